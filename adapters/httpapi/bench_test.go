package httpapi_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkCreateBucketHandler measures the adapter's own cost per create request: routing,
// authentication, spec validation, decoding and encoding, with a service that does nothing.
func BenchmarkCreateBucketHandler(b *testing.B) {
	h := newHarness(b)
	body := []byte(mustJSON(b, validRequest()))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, createRequest(bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatalf("status = %d, want 200 (body %s)", rec.Code, rec.Body)
		}
	}
}

// BenchmarkGetBucketHandler measures the adapter's own cost per GET /bucket/{id}: routing,
// authentication, spec validation and encoding, with a service that answers at once.
func BenchmarkGetBucketHandler(b *testing.B) {
	h := newHarness(b)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/bucket/"+storedBucket().ID, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		h.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status = %d, want 200 (body %s)", rec.Code, rec.Body)
		}
	}
}
