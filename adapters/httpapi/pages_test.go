package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bucketd/bucketd/adapters/httpapi"
)

// pagesHandler answers every request with the path it was given, as a file server would serve
// the file of that path.
var pagesHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("page " + r.URL.Path))
})

func withPages(cfg *httpapi.Config) {
	cfg.Pages = []httpapi.Pages{{Prefix: "/console", Handler: pagesHandler}}
}

// TestPagesNeedNoToken checks the pages are served to anyone, whatever Authorization a browser
// sends, and that the request validator, which knows only the spec's operations, never sees them.
func TestPagesNeedNoToken(t *testing.T) {
	h := newHarness(t, withPages)
	for _, path := range []string{"/console", "/console/", "/console/sign-in", "/console/assets/index-AbC123.js"} {
		for _, auth := range []string{"", "Bearer not-a-token", "Basic Zm9vOmJhcg=="} {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				req := httptest.NewRequest(method, path+"?workspaceId=x", nil)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				res := h.record(req)
				if res.status != http.StatusOK {
					t.Fatalf("%s %s with Authorization %q = %d %s, want 200 from the pages' handler", method, path, auth, res.status, res.body)
				}
				if want := "page " + path; method == http.MethodGet && string(res.body) != want {
					t.Errorf("%s %s = %q, want %q", method, path, res.body, want)
				}
			}
		}
	}
	for _, rec := range h.logs.records(t) {
		if rec["msg"] == "http request" && rec["route"] != "/console" && rec["route"] != "/console/*" {
			t.Errorf("access log route %v, want the pages' route template", rec["route"])
		}
	}
	if n := h.scrape(t).Value(t, "bucketd_http_requests_total", "route", "/console/*", "method", "GET", "status", "200"); n != 9 {
		t.Errorf("bucketd_http_requests_total{/console/* GET 200} = %g, want 9", n)
	}
}

// TestPagesAreReadOnly checks that only GET and HEAD reach the pages, and that paths beside
// the prefix stay the API's.
func TestPagesAreReadOnly(t *testing.T) {
	h := newHarness(t, withPages)
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		res := h.record(httptest.NewRequest(method, "/console/sign-in", nil))
		wantError(t, res, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	}
	res := h.record(httptest.NewRequest(http.MethodGet, "/consoles", nil))
	wantError(t, res, http.StatusNotFound, "NOT_FOUND")
}

func TestNewServerRefusesBadPages(t *testing.T) {
	cfg := httpapi.Config{Buckets: &fakeBuckets{}, SignIn: &fakeSignIn{}, Workspaces: &fakeWorkspaces{}, Credentials: &fakeCredentials{}, Authenticator: fakeAuthenticator{}, Idempotency: newFakeIdempotency(),
		RequestMAC: newRequestMAC(t, "k1:"+testMasterKey), Readiness: &fakePinger{}, Audit: &fakeAudit{}}
	for _, p := range []httpapi.Pages{
		{Prefix: "", Handler: pagesHandler},
		{Prefix: "console", Handler: pagesHandler},
		{Prefix: "/console/", Handler: pagesHandler},
		{Prefix: "/console/:id", Handler: pagesHandler},
		{Prefix: "/console/*", Handler: pagesHandler},
		{Prefix: "/console"},
	} {
		cfg.Pages = []httpapi.Pages{p}
		if _, err := httpapi.NewServer(cfg); err == nil {
			t.Errorf("NewServer accepted pages at %q with handler %v", p.Prefix, p.Handler != nil)
		}
	}
}
