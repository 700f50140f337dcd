package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

// GET /bucket/{bucketId} authenticates with its read (app.Buckets.GetAsHolder), yet answers
// like every other request: a refused token first, then the rate limit, then the request's
// validation, and only then the read.

func TestGetBucketRefusesABadTokenBeforeValidating(t *testing.T) {
	h := newHarness(t)
	tooLong := "/bucket/" + strings.Repeat("a", 65) // the spec allows 64 characters
	req := apiRequest(http.MethodGet, tooLong, "")
	req.Header.Set("Authorization", "Bearer bkd_unknown_token")
	wantError(t, h.serve(t, req), http.StatusUnauthorized, "UNAUTHENTICATED")
	h.wantNoCalls(t)
	// With a valid token the read is made, but the validation answers.
	wantError(t, h.serve(t, apiRequest(http.MethodGet, tooLong, "")), http.StatusBadRequest, "INVALID_REQUEST")
}

func TestGetBucketIsRateLimited(t *testing.T) {
	h := newHarness(t, rateLimited(1, 1))
	wantStatus(t, h.serve(t, apiRequest(http.MethodGet, "/bucket/"+newBucketID, "")), http.StatusOK)
	wantRateLimited(t, h.serve(t, apiRequest(http.MethodGet, "/bucket/"+newBucketID, "")), "1")
}

// TestGetBucketReadsTheIDTheHandlerAnswers sends ids escaped in the path: the read made with the
// authentication is of the id the generated handler decodes, so it is answered.
func TestGetBucketReadsTheIDTheHandlerAnswers(t *testing.T) {
	for _, path := range []string{"/bucket/%30" + newBucketID[1:], "/bucket/" + strings.ReplaceAll(newBucketID, "-", "%2D")} {
		t.Run(path, func(t *testing.T) {
			h := newHarness(t)
			wantStatus(t, h.serve(t, apiRequest(http.MethodGet, path, "")), http.StatusOK)
			if call := h.buckets.onlyCall(t, "Get"); call.bucketID != newBucketID {
				t.Errorf("read bucket %q, want %q", call.bucketID, newBucketID)
			}
		})
	}
}

func TestGetBucketAnswersTheReadsRefusal(t *testing.T) {
	h := newHarness(t)
	const message = "bucket 0192f7a5-0e1f-7a2b-8c3d-4e5f60718293 belongs to workspace w, which you are not a member of"
	h.buckets.get = func(string) (domain.Bucket, error) {
		return domain.Bucket{}, domain.Errorf(domain.KindForbidden, message)
	}
	if e := wantError(t, h.serve(t, apiRequest(http.MethodGet, "/bucket/"+newBucketID, "")), http.StatusForbidden, "FORBIDDEN"); e.Message != message {
		t.Errorf("message = %q, want %q", e.Message, message)
	}
}
