package httpapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
)

func TestCreateBucketPassesTheRequestToTheService(t *testing.T) {
	full := app.BucketInput{
		Name:        "My S3 Bucket",
		Bucket:      "my-bucket-name",
		StorageType: "S3",
		Key:         domain.NewSecret(testKey),
		Secret:      domain.NewSecret(testSecret),
		Region:      "us-east-1",
		Endpoint:    "https://minio.example.com",
		WorkspaceID: workspaceID,
		// The request validator fills in the spec's default for an absent "validation".
		Mode: domain.ValidateReadOnly,
	}
	tests := []struct {
		name string
		edit func(map[string]any)
		want func(*app.BucketInput)
	}{
		{"every field", func(map[string]any) {}, func(*app.BucketInput) {}},
		{
			"unknown fields of Flashback's client are ignored, apiKeyUuid reaches the service",
			func(b map[string]any) { b["walletAddress"] = "0xabc"; b["apiKeyUuid"] = "k-1" },
			func(c *app.BucketInput) { c.APIKeyID = "k-1" },
		},
		{
			"BLOB passes through for the service to alias",
			func(b map[string]any) { b["storageType"] = "BLOB" },
			func(c *app.BucketInput) { c.StorageType = "BLOB" },
		},
		{
			"endpoint is optional",
			func(b map[string]any) { delete(b, "endpoint") },
			func(c *app.BucketInput) { c.Endpoint = "" },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			body := validRequest()
			tc.edit(body)
			res := h.serve(t, createRequest(strings.NewReader(mustJSON(t, body))))

			if res.status != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", res.status, res.body)
			}
			wantJSONContentType(t, res)
			var got api.CreateBucketResponse
			dec := json.NewDecoder(strings.NewReader(string(res.body)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("decode body: %v: %s", err, res.body)
			}
			if got != (api.CreateBucketResponse{Success: true, BucketId: newBucketID}) {
				t.Errorf("body = %+v, want success with bucketId %s", got, newBucketID)
			}

			calls := h.buckets.received()
			if len(calls) != 1 {
				t.Fatalf("the service was called %d times, want 1", len(calls))
			}
			want := full
			tc.want(&want)
			cmd := calls[0].cmd
			if cmd.Key.Reveal() != testKey || cmd.Secret.Reveal() != testSecret {
				t.Errorf("credentials reached the service as key %q, secret %q", cmd.Key.Reveal(), cmd.Secret.Reveal())
			}
			if withoutCredentials(cmd) != withoutCredentials(want) {
				t.Errorf("command = %+v, want %+v", cmd, want)
			}
			if !reflect.DeepEqual(calls[0].principal, testPrincipal) {
				t.Errorf("principal = %+v, want %+v", calls[0].principal, testPrincipal)
			}
		})
	}
}

// withoutCredentials blanks the secrets, which compare by identity, so the rest of a command can
// be compared with ==; the credentials are compared through Reveal.
func withoutCredentials(c app.BucketInput) app.BucketInput {
	c.Key, c.Secret = domain.Secret{}, domain.Secret{}
	return c
}

func TestCreateBucketRejectsInvalidFields(t *testing.T) {
	type test struct {
		name  string
		edit  func(map[string]any)
		field string // the field the message must name
	}
	var tests []test
	// region may be left out: the validation learns it (app).
	for _, field := range []string{"name", "bucket", "storageType", "key", "secret", "workspaceId"} {
		tests = append(tests, test{"missing " + field, func(b map[string]any) { delete(b, field) }, field})
	}
	tests = append(tests,
		test{"name is a number", func(b map[string]any) { b["name"] = 42 }, "name"},
		test{"key is null", func(b map[string]any) { b["key"] = nil }, "key"},
		test{"storageType outside the enum", func(b map[string]any) { b["storageType"] = "FTP" }, "storageType"},
		test{"workspaceId is not a UUID", func(b map[string]any) { b["workspaceId"] = "ws-1" }, "workspaceId"},
		test{"name over 128 characters", func(b map[string]any) { b["name"] = strings.Repeat("n", 129) }, "name"},
		test{"empty bucket", func(b map[string]any) { b["bucket"] = "" }, "bucket"},
		test{"secret over 16384 characters", func(b map[string]any) { b["secret"] = strings.Repeat("s", 16385) }, "secret"},
		test{"endpoint is an object", func(b map[string]any) { b["endpoint"] = map[string]any{} }, "endpoint"},
		test{"region is a number", func(b map[string]any) { b["region"] = 1 }, "region"},
		test{"region over 64 characters", func(b map[string]any) { b["region"] = strings.Repeat("r", 65) }, "region"},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			body := validRequest()
			tc.edit(body)
			res := h.serve(t, createRequest(strings.NewReader(mustJSON(t, body))))

			e := wantError(t, res, http.StatusBadRequest, "INVALID_REQUEST")
			if !strings.Contains(e.Message, `"`+tc.field+`"`) {
				t.Errorf("message %q does not name the field %q", e.Message, tc.field)
			}
			h.wantNoCalls(t)
		})
	}
}

func TestCreateBucketRejectsBodiesThatAreNotAnObject(t *testing.T) {
	tests := []struct{ name, body string }{
		{"truncated JSON", `{"name": "My S3 Bucket", "bucket": `},
		{"malformed JSON", `{name: My S3 Bucket}`},
		{"empty body", ``},
		{"JSON array", `[]`},
		{"JSON null", `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			res := h.serve(t, createRequest(strings.NewReader(tc.body)))
			wantError(t, res, http.StatusBadRequest, "INVALID_REQUEST")
			h.wantNoCalls(t)
		})
	}
}

func TestCreateBucketRequiresABearerToken(t *testing.T) {
	tests := []struct {
		name          string
		authorization string
		body          string
	}{
		{"no Authorization header", "", mustJSON(t, validRequest())},
		{"Basic credentials", "Basic dXNlcjpwYXNzd29yZA==", mustJSON(t, validRequest())},
		{"Bearer with an empty token", "Bearer ", mustJSON(t, validRequest())},
		{"Bearer with a blank token", "Bearer    ", mustJSON(t, validRequest())},
		{"unknown token", "Bearer bkd_tok_unknown", mustJSON(t, validRequest())},
		{"token without a scheme", testToken, mustJSON(t, validRequest())},
		{"bad body and no token", "", `{"name": 42`},
		{"invalid fields and no token", "", `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			req := createRequest(strings.NewReader(tc.body))
			req.Header.Set("Authorization", tc.authorization)
			if tc.authorization == "" {
				req.Header.Del("Authorization")
			}
			res := h.serve(t, req)

			wantError(t, res, http.StatusUnauthorized, "UNAUTHENTICATED")
			if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="bucketd"` {
				t.Errorf("WWW-Authenticate = %q, want Bearer realm=\"bucketd\"", got)
			}
			h.wantNoCalls(t)
		})
	}
}

func TestCreateBucketAcceptsTheBearerSchemeInAnyCase(t *testing.T) {
	h := newHarness(t)
	req := createRequest(strings.NewReader(mustJSON(t, validRequest())))
	req.Header.Set("Authorization", "bearer "+testToken)
	if res := h.serve(t, req); res.status != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", res.status, res.body)
	}
}

func TestCreateBucketChecksTheContentType(t *testing.T) {
	tests := []struct {
		contentType string
		status      int
	}{
		{"text/plain", http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"", http.StatusUnsupportedMediaType},
		{"application/json; charset=utf-8", http.StatusOK},
		{"Application/JSON", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.contentType, func(t *testing.T) {
			h := newHarness(t)
			req := createRequest(strings.NewReader(mustJSON(t, validRequest())))
			req.Header.Set("Content-Type", tc.contentType)
			res := h.serve(t, req)

			if tc.status == http.StatusOK {
				if res.status != http.StatusOK {
					t.Fatalf("status = %d, want 200 (body %s)", res.status, res.body)
				}
				return
			}
			wantError(t, res, tc.status, "UNSUPPORTED_MEDIA_TYPE")
			h.wantNoCalls(t)
		})
	}
}
