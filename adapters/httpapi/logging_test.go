package httpapi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
)

// generatedID is the shape of a request id the server makes up.
var generatedID = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestRequestIDIsEchoedOrReplaced(t *testing.T) {
	tests := []struct {
		name, incoming string
		echoed         bool
	}{
		{"plain id", "req-42.abc_DEF", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"none", "", false},
		{"65 characters", strings.Repeat("a", 65), false},
		{"spaces", "req 42", false},
		{"newline", "req-42\ninjected=1", false},
		{"quote", `req-42"`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			if tc.incoming != "" {
				req.Header.Set("X-Request-Id", tc.incoming)
			}
			res := h.serve(t, req)

			rid := res.header.Get("X-Request-Id")
			if tc.echoed && rid != tc.incoming {
				t.Errorf("X-Request-Id = %q, want the incoming %q", rid, tc.incoming)
			}
			if !tc.echoed && !generatedID.MatchString(rid) {
				t.Errorf("X-Request-Id = %q, want a fresh 16-hex-digit id", rid)
			}
			if !tc.echoed && tc.incoming != "" && strings.Contains(h.logs.String(), tc.incoming) {
				t.Errorf("the refused incoming id reached the log:\n%s", h.logs)
			}
			if !hasRecord(h.logs.records(t), func(r map[string]any) bool {
				return r["msg"] == "http request" && r["request_id"] == rid && r["route"] == "/healthz" &&
					r["method"] == http.MethodGet && r["status"] == float64(http.StatusOK)
			}) {
				t.Errorf("no access log line with request id %q; logs:\n%s", rid, h.logs)
			}
		})
	}
}

func TestRequestIDsDiffer(t *testing.T) {
	h := newHarness(t)
	first := h.serve(t, httptest.NewRequest(http.MethodGet, "/healthz", nil)).header.Get("X-Request-Id")
	second := h.serve(t, httptest.NewRequest(http.MethodGet, "/healthz", nil)).header.Get("X-Request-Id")
	if first == second {
		t.Errorf("two requests got the same id %q", first)
	}
}

// TestSecretsNeverLeak runs requests that touch the secret and the token on every path through
// the adapter and searches everything observable for them.
func TestSecretsNeverLeak(t *testing.T) {
	const secret = "LEAKCANARY-secret-8d1f0c7b2e9a"
	const wrongToken = "bkd_tok_LEAKCANARY_wrong_4b7e"
	h := newHarness(t)
	h.buckets.respond = func(cmd app.BucketInput) (app.CreateResult, error) {
		switch cmd.Name {
		case "provider error":
			return app.CreateResult{}, domain.Wrap(domain.KindProviderError, errors.New("503 from provider"),
				"list: the provider answered 503 Service Unavailable; retry later")
		case "internal":
			return app.CreateResult{}, errors.New("seal: vault is sealed")
		case "panic":
			panic("panic holding " + cmd.Secret.Reveal())
		}
		return app.CreateResult{BucketID: newBucketID}, nil
	}
	withName := func(name, secretValue string) *http.Request {
		body := validRequest()
		body["name"], body["secret"] = name, secretValue
		return createRequest(strings.NewReader(mustJSON(t, body)))
	}
	badToken := withName("bad token", secret)
	badToken.Header.Set("Authorization", "Bearer "+wrongToken)
	requests := []*http.Request{
		withName("success", secret),
		withName("secret too long", secret+strings.Repeat("x", 16385)),
		withName("provider error", secret),
		withName("internal", secret),
		withName("panic", secret),
		withName(strings.Repeat("n", 129), secret), // invalid name with the secret in the body
		badToken,
	}
	var seen strings.Builder
	for _, req := range requests {
		res := h.serve(t, req)
		seen.Write(res.body)
		for name, values := range res.header {
			seen.WriteString(name + ": " + strings.Join(values, ",") + "\n")
		}
	}
	seen.WriteString(h.logs.String())
	for _, canary := range []string{secret, testToken, wrongToken, testKey} {
		if strings.Contains(seen.String(), canary) {
			t.Errorf("%q appears in a response or a log line:\n%s", canary, seen.String())
		}
	}
	if calls := h.buckets.received(); len(calls) != 4 {
		t.Errorf("the service was called %d times, want 4 (success, provider error, internal, panic)", len(calls))
	}
}

// TestLogLinesCarryTheRequestIDOnce runs requests down every logging path; a repeated key makes
// a JSON line that log pipelines such as Elasticsearch reject.
func TestLogLinesCarryTheRequestIDOnce(t *testing.T) {
	h := newHarness(t)
	h.buckets.respond = func(cmd app.BucketInput) (app.CreateResult, error) {
		if cmd.Name == "panic" {
			panic("boom")
		}
		return app.CreateResult{}, errors.New("unclassified")
	}
	panicking := validRequest()
	panicking["name"] = "panic"
	h.serve(t, createRequest(strings.NewReader(mustJSON(t, validRequest()))))
	h.serve(t, createRequest(strings.NewReader(mustJSON(t, panicking))))
	h.serve(t, httptest.NewRequest(http.MethodGet, "/nope", nil))

	lines := 0
	for line := range strings.Lines(h.logs.String()) {
		lines++
		if n := strings.Count(line, `"request_id":`); n != 1 {
			t.Errorf("log line has request_id %d times, want once: %s", n, line)
		}
	}
	if lines < 5 {
		t.Errorf("got %d log lines, want at least 3 access lines and 2 error lines:\n%s", lines, h.logs)
	}
}
