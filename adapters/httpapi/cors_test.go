package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/httpapi"
)

const (
	appOrigin   = "https://app.example.com"
	otherOrigin = "https://evil.example.net"
)

func TestParseCORSOrigins(t *testing.T) {
	got, err := httpapi.ParseCORSOrigins(" https://app.example.com, http://localhost:3000 ,,http://[::1]:8080")
	if err != nil {
		t.Fatal(err)
	}
	want := httpapi.CORSOrigins{"https://app.example.com": true, "http://localhost:3000": true, "http://[::1]:8080": true}
	if len(got) != len(want) {
		t.Fatalf("origins = %v, want %v", got, want)
	}
	for o := range want {
		if !got[o] {
			t.Errorf("origins = %v, want %s among them", got, o)
		}
	}
	for _, bad := range []string{
		"app.example.com", "https://app.example.com/", "https://app.example.com/path", "https://*.example.com", "*",
		"ftp://app.example.com", "https://user@app.example.com", "https://app.example.com?x=1", "https://App.Example.com",
		"https://", "null",
	} {
		if _, err := httpapi.ParseCORSOrigins(bad); err == nil || !strings.Contains(err.Error(), "is not an origin") {
			t.Errorf("ParseCORSOrigins(%q) = %v, want an error naming the rule", bad, err)
		}
	}
}

// preflight is what a browser sends before a cross-origin POST with a token and a JSON body.
func preflight(origin, path string) *http.Request {
	req, _ := http.NewRequest(http.MethodOptions, path, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, idempotency-key")
	return req
}

// accessControl returns the Access-Control-* headers of an answer.
func accessControl(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = v
		}
	}
	return out
}

func withOrigins(c *httpapi.Config) { c.CORSOrigins = httpapi.CORSOrigins{appOrigin: true} }

func TestPreflightFromAConfiguredOrigin(t *testing.T) {
	h := newHarness(t, withOrigins)
	for _, path := range []string{"/bucket", "/bucket/" + newBucketID, "/bucket/" + newBucketID + "/validate", "/user/quota"} {
		res := h.record(preflight(appOrigin, path))
		if res.status != http.StatusNoContent || len(res.body) != 0 {
			t.Fatalf("preflight of %s: %d %s, want 204 without a body", path, res.status, res.body)
		}
		want := map[string]string{
			"Access-Control-Allow-Origin":  appOrigin,
			"Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
			"Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key",
			"Access-Control-Max-Age":       "600",
		}
		for k, v := range want {
			if got := res.header.Get(k); got != v {
				t.Errorf("preflight of %s: %s = %q, want %q", path, k, got, v)
			}
		}
		if vary := res.header.Values("Vary"); !slices.Contains(vary, "Origin") || !slices.Contains(vary, "Access-Control-Request-Headers") {
			t.Errorf("preflight of %s: Vary = %q, want Origin and the requested method and headers", path, vary)
		}
	}
	h.wantNoCalls(t)
}

func TestOtherOriginsGetNoAccessControlHeaders(t *testing.T) {
	for name, configure := range map[string]func(*httpapi.Config){"none configured": nil, "another configured": withOrigins} {
		t.Run(name, func(t *testing.T) {
			var h *harness
			if configure == nil {
				h = newHarness(t)
			} else {
				h = newHarness(t, configure)
			}
			res := h.serve(t, preflight(otherOrigin, "/bucket"))
			wantError(t, res, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
			if ac := accessControl(res.header); len(ac) != 0 {
				t.Errorf("preflight from %s: %v, want no Access-Control-* header", otherOrigin, ac)
			}
			req := apiRequest(http.MethodGet, "/bucket", "")
			req.Header.Set("Origin", otherOrigin)
			res = h.serve(t, req)
			wantStatus(t, res, http.StatusOK)
			if ac := accessControl(res.header); len(ac) != 0 {
				t.Errorf("GET from %s: %v, want no Access-Control-* header", otherOrigin, ac)
			}
			if configure != nil && !slices.Contains(res.header.Values("Vary"), "Origin") {
				t.Errorf("GET from %s: Vary = %q, want Origin: the answer to %s differs", otherOrigin, res.header.Values("Vary"), appOrigin)
			}
		})
	}
}

func TestAnswersToAConfiguredOriginCarryItsName(t *testing.T) {
	h := newHarness(t, withOrigins)
	ok := apiRequest(http.MethodGet, "/bucket", "")
	refused := httptestRequestWithoutToken(http.MethodGet, "/bucket")
	for name, req := range map[string]*http.Request{"200": ok, "401": refused} {
		req.Header.Set("Origin", appOrigin)
		res := h.serve(t, req)
		if got := res.header.Get("Access-Control-Allow-Origin"); got != appOrigin {
			t.Errorf("%s: Access-Control-Allow-Origin = %q, want %q, or the page cannot read the answer", name, got, appOrigin)
		}
		if got := res.header.Get("Access-Control-Expose-Headers"); got != "X-Request-Id, Retry-After, Idempotent-Replayed" {
			t.Errorf("%s: Access-Control-Expose-Headers = %q", name, got)
		}
		if got := res.header.Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("%s: Access-Control-Allow-Credentials = %q: bucketd uses no cookies", name, got)
		}
	}
}

func httptestRequestWithoutToken(method, path string) *http.Request {
	req := apiRequest(method, path, "")
	req.Header.Del("Authorization")
	return req
}
