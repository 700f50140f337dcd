package console

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// build is a console build as vite writes it, small enough to read in the test.
var build = fstest.MapFS{
	"index.html":              {Data: []byte(`<!doctype html><script type="module" src="/console/assets/index-AbC123.js"></script>`)},
	"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	"assets/index-AbC123.js":  {Data: []byte(`console.log("hi")`)},
	"assets/index-XyZ789.css": {Data: []byte(`body{}`)},
	"assets/notes.txt":        {Data: []byte(`a type the console does not serve`)},
}

func serve(t *testing.T, h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestServe(t *testing.T) {
	h, err := newHandler(build)
	if err != nil {
		t.Fatal(err)
	}
	index := string(build["index.html"].Data)
	for _, tc := range []struct {
		target, wantBody, wantType, wantCache string
		wantStatus                            int
	}{
		// The console's routes all answer the page, which is revalidated before each use.
		{"/console", index, "text/html; charset=utf-8", cacheRevalidate, 200},
		{"/console/", index, "text/html; charset=utf-8", cacheRevalidate, 200},
		{"/console/sign-in", index, "text/html; charset=utf-8", cacheRevalidate, 200},
		{"/console/buckets/0192f7a5-0e1f-7a2b-8c3d-4e5f60718293", index, "text/html; charset=utf-8", cacheRevalidate, 200},
		{"/console/buckets/", index, "text/html; charset=utf-8", cacheRevalidate, 200},
		// Hashed assets never change under their name.
		{"/console/assets/index-AbC123.js", `console.log("hi")`, "text/javascript; charset=utf-8", cacheImmutable, 200},
		{"/console/assets/index-XyZ789.css", `body{}`, "text/css; charset=utf-8", cacheImmutable, 200},
		{"/console/favicon.svg", `<svg xmlns="http://www.w3.org/2000/svg"/>`, "image/svg+xml", cacheRevalidate, 200},
		// An asset that is not there is 404, never the page: a stale page's script must fail
		// loudly rather than be answered HTML.
		{"/console/assets/index-Gone000.js", "", "", cacheRevalidate, 404},
		{"/console/assets", "", "", cacheRevalidate, 404},
		{"/console/assets/", "", "", cacheRevalidate, 404},
		{"/console/assets/notes.txt", "", "", cacheRevalidate, 404},
		{"/console/index.html", "", "", cacheRevalidate, 404},
		{"/console/missing.js", "", "", cacheRevalidate, 404},
		{"/console/Buckets", "", "", cacheRevalidate, 404},
		{"/console//buckets", "", "", cacheRevalidate, 404},
		{"/console/../etc/passwd", "", "", cacheRevalidate, 404},
		{"/consoles", "", "", cacheRevalidate, 404},
		{"/bucket", "", "", cacheRevalidate, 404},
	} {
		t.Run(tc.target, func(t *testing.T) {
			w := serve(t, h, http.MethodGet, tc.target, nil)
			if w.Code != tc.wantStatus {
				t.Fatalf("GET %s = %d, want %d", tc.target, w.Code, tc.wantStatus)
			}
			if got := w.Header().Get("Cache-Control"); got != tc.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tc.wantCache)
			}
			wantSecurityHeaders(t, w.Header())
			if tc.wantStatus != 200 {
				return
			}
			if w.Body.String() != tc.wantBody {
				t.Errorf("body = %q, want %q", w.Body.String(), tc.wantBody)
			}
			if got := w.Header().Get("Content-Type"); got != tc.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tc.wantType)
			}
		})
	}
}

func wantSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for name, want := range map[string]string{
		"Content-Security-Policy": Policy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// TestPolicy checks the policy forbids what the console must never do, so that an edit that
// loosens it fails here.
func TestPolicy(t *testing.T) {
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(Policy+";", want+";") {
			t.Errorf("the policy %q lacks %q", Policy, want)
		}
	}
	for _, never := range []string{"'unsafe-inline'", "'unsafe-eval'", "data:", "*"} {
		if strings.Contains(Policy, never) {
			t.Errorf("the policy %q allows %s", Policy, never)
		}
	}
}

func TestMethods(t *testing.T) {
	h, err := newHandler(build)
	if err != nil {
		t.Fatal(err)
	}
	head := serve(t, h, http.MethodHead, "/console/sign-in", nil)
	if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") != "84" {
		t.Errorf("HEAD = %d with %d bytes and Content-Length %q, want 200, no body, the page's length",
			head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		w := serve(t, h, method, "/console/", nil)
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s = %d, Allow %q; want 405, Allow GET, HEAD", method, w.Code, w.Header().Get("Allow"))
		}
		wantSecurityHeaders(t, w.Header())
	}
}

// TestRevalidate checks that a browser holding the current page is told so without the page.
func TestRevalidate(t *testing.T) {
	h, err := newHandler(build)
	if err != nil {
		t.Fatal(err)
	}
	first := serve(t, h, http.MethodGet, "/console/", nil)
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("the page has no ETag")
	}
	again := serve(t, h, http.MethodGet, "/console/buckets", http.Header{"If-None-Match": {etag}})
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("with If-None-Match of the current page: %d with %d bytes, want 304 and no body", again.Code, again.Body.Len())
	}
}

func TestNoIndex(t *testing.T) {
	if _, err := newHandler(fstest.MapFS{"assets/a.js": {Data: []byte("x")}}); err == nil {
		t.Error("a build without index.html was accepted")
	}
}

// TestEmbeddedBuild checks the committed build: its page loads only files the handler serves,
// as hashed assets, and has no inline script or style the policy would block.
func TestEmbeddedBuild(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	page := serve(t, h, http.MethodGet, "/console/", nil).Body.String()
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	var scripts int
	for _, ref := range refs {
		url := ref[1]
		if !strings.HasPrefix(url, Path+"/") {
			t.Errorf("the page loads %q, outside %s", url, Path)
			continue
		}
		w := serve(t, h, http.MethodGet, url, nil)
		if w.Code != 200 {
			t.Errorf("the page loads %s, which answers %d", url, w.Code)
		}
		if strings.HasSuffix(url, ".js") {
			scripts++
			if w.Header().Get("Cache-Control") != cacheImmutable {
				t.Errorf("the script %s is not served as a hashed, immutable asset", url)
			}
		}
	}
	if scripts == 0 {
		t.Errorf("the page loads no script:\n%s", page)
	}
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]|<style|\sstyle=`).MatchString(page) {
		t.Errorf("the page has an inline script or style, which the policy blocks:\n%s", page)
	}
}
