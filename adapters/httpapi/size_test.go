package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// bodyLimit is the documented request body limit (openapi.yaml, PayloadTooLarge).
const bodyLimit = 64 << 10

// validBodyOfSize is a valid create request padded with an ignored field to exactly n bytes.
func validBodyOfSize(t testing.TB, n int) string {
	t.Helper()
	body := validRequest()
	body["pad"] = ""
	base := len(mustJSON(t, body))
	if n < base {
		t.Fatalf("a valid body needs at least %d bytes, asked for %d", base, n)
	}
	body["pad"] = strings.Repeat("x", n-base)
	s := mustJSON(t, body)
	if len(s) != n {
		t.Fatalf("padded body has %d bytes, want %d", len(s), n)
	}
	return s
}

// unsized hides the length of a reader, so the request is sent as if chunked.
type unsized struct{ io.Reader }

func TestCreateBucketLimitsTheBodySize(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		chunked bool
		status  int
	}{
		{"at the limit", bodyLimit, false, http.StatusOK},
		{"at the limit, chunked", bodyLimit, true, http.StatusOK},
		{"one byte over", bodyLimit + 1, false, http.StatusRequestEntityTooLarge},
		{"one byte over, chunked", bodyLimit + 1, true, http.StatusRequestEntityTooLarge},
		{"far over, chunked", 4 * bodyLimit, true, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var body io.Reader = strings.NewReader(validBodyOfSize(t, tc.size))
			if tc.chunked {
				body = unsized{body}
			}
			req := createRequest(body)
			wantLen := int64(tc.size)
			if tc.chunked {
				wantLen = -1
			}
			if req.ContentLength != wantLen {
				t.Fatalf("request ContentLength = %d, want %d", req.ContentLength, wantLen)
			}
			res := h.serve(t, req)

			if tc.status == http.StatusOK {
				if res.status != http.StatusOK {
					t.Fatalf("status = %d, want 200 (body %s)", res.status, res.body)
				}
				return
			}
			wantError(t, res, tc.status, "PAYLOAD_TOO_LARGE")
			h.wantNoCalls(t)
		})
	}
}
