package httpapi_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
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

// BenchmarkListBucketsHandler measures the adapter's own cost per GET /bucket answering a page
// of 100 buckets, with a service that answers at once: mapping and encoding the page.
func BenchmarkListBucketsHandler(b *testing.B) {
	h := newHarness(b)
	page := make([]domain.Bucket, 100)
	for i := range page {
		page[i] = storedBucket()
	}
	h.buckets.list = func(app.ListInput) (domain.BucketPage, error) { return domain.BucketPage{Buckets: page}, nil }
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/bucket", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		h.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status = %d, want 200 (body %s)", rec.Code, rec.Body)
		}
	}
}
