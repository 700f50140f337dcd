package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/gen/api"
)

// FuzzCreateBucketRequest sends arbitrary bodies to POST /bucket through the whole handler
// (routing, authentication, the strict JSON rules, spec validation, decoding) with a service
// that accepts everything. Whatever the body, the answer is never a 5xx, is JSON within the
// contract, and is either a success from exactly one service call or an error body with a code
// and no service call; the service never receives a string the strict rules refuse.
func FuzzCreateBucketRequest(f *testing.F) {
	valid := mustJSON(f, validRequest())
	for _, seed := range []string{valid, `{}`, valid + `}`, strings.Replace(valid, `"S3"`, `"BLOB"`, 1)} {
		f.Add([]byte(seed))
	}
	// The access log of every input would only fill memory.
	h := newHarness(f, func(c *httpapi.Config) { c.Logger = slog.New(slog.DiscardHandler) })

	f.Fuzz(func(t *testing.T, body []byte) {
		h.buckets.mu.Lock()
		h.buckets.calls = nil // each input starts with a service that was never called
		h.buckets.mu.Unlock()
		req := createRequest(bytes.NewReader(body))
		res := h.record(req)

		if res.status >= http.StatusInternalServerError {
			t.Fatalf("status %d for body %q: %s", res.status, body, res.body)
		}
		h.contract.Check(t, req, res.status, res.header, res.body)
		calls := h.buckets.received()
		if res.status != http.StatusOK {
			wantError(t, res, res.status, errorCode(t, res.body))
			if len(calls) != 0 {
				t.Fatalf("refused with %d, yet the service was called: %s", res.status, res.body)
			}
			return
		}
		if len(calls) != 1 {
			t.Fatalf("accepted after %d service calls, want 1", len(calls))
		}
		wantStrictText(t, calls[0].cmd)
	})
}

// errorCode is the code of an error body, failing t when there is none.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e api.Error
	if err := json.Unmarshal(body, &e); err != nil || e.Code == "" {
		t.Fatalf("error body without a code: %s", body)
	}
	return e.Code
}

// wantStrictText fails if a string the service received breaks the strict JSON rules.
func wantStrictText(t *testing.T, in app.BucketInput) {
	t.Helper()
	for field, s := range map[string]string{"name": in.Name, "bucket": in.Bucket, "storageType": in.StorageType,
		"key": in.Key.Reveal(), "secret": in.Secret.Reveal(), "region": in.Region, "endpoint": in.Endpoint,
		"workspaceId": in.WorkspaceID, "validation": string(in.Mode)} {
		if !utf8.ValidString(s) {
			t.Fatalf("the service received %s that is not valid UTF-8", field)
		}
		for _, r := range s {
			if unicode.IsControl(r) && !strings.ContainsRune("\t\n\r", r) {
				t.Fatalf("the service received %s with the control character %U", field, r)
			}
		}
	}
}
