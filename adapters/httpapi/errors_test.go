package httpapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
)

// contractClasses is the error table of docs/api.md, written out independently of the adapter's table.
var contractClasses = map[domain.Kind]struct {
	status int
	code   string
}{
	domain.KindInternal:              {500, "INTERNAL"},
	domain.KindInvalidInput:          {400, "INVALID_REQUEST"},
	domain.KindWorkspaceNotFound:     {400, "WORKSPACE_NOT_FOUND"},
	domain.KindUnauthenticated:       {401, "UNAUTHENTICATED"},
	domain.KindForbidden:             {403, "FORBIDDEN"},
	domain.KindNotFound:              {404, "NOT_FOUND"},
	domain.KindNameTaken:             {409, "NAME_ALREADY_USED"},
	domain.KindQuotaExceeded:         {429, "QUOTA_EXCEEDED"},
	domain.KindInvalidCredentials:    {400, "INVALID_CREDENTIALS"},
	domain.KindAccessDenied:          {400, "ACCESS_DENIED"},
	domain.KindBucketNotFound:        {400, "BUCKET_NOT_FOUND"},
	domain.KindRegionMismatch:        {400, "REGION_MISMATCH"},
	domain.KindEndpointNotAllowed:    {400, "ENDPOINT_NOT_ALLOWED"},
	domain.KindEndpointUnreachable:   {400, "ENDPOINT_UNREACHABLE"},
	domain.KindProviderError:         {502, "PROVIDER_ERROR"},
	domain.KindProviderTimeout:       {504, "PROVIDER_TIMEOUT"},
	domain.KindUnavailable:           {503, "UNAVAILABLE"},
	domain.KindIdempotencyInProgress: {409, "IDEMPOTENCY_IN_PROGRESS"},
	domain.KindIdempotencyKeyReused:  {422, "IDEMPOTENCY_KEY_REUSED"},
	domain.KindConflict:              {409, "CONFLICT"},
	domain.KindRateLimited:           {429, "RATE_LIMITED"},
	domain.KindNotImplemented:        {501, "NOT_IMPLEMENTED"},
	domain.KindCredentialInUse:       {409, "CREDENTIAL_IN_USE"},
	domain.KindRotationRefused:       {409, "ROTATION_REFUSED"},
}

// undocumentedOnCreate lists kinds whose status openapi.yaml does not list for POST /bucket,
// because the create flow never produces them; their answers are held to the Error schema.
var undocumentedOnCreate = map[domain.Kind]bool{domain.KindNotFound: true, domain.KindNotImplemented: true}

// lastKind is the highest error kind the domain names; a kind added without a row in
// contractClasses fails the test below.
func lastKind(t *testing.T) domain.Kind {
	t.Helper()
	k := domain.KindInternal
	for !strings.HasPrefix((k + 1).String(), "kind(") {
		k++
	}
	if k < domain.KindConflict {
		t.Fatalf("the domain names kinds only up to %v", k)
	}
	return k
}

func TestCreateBucketMapsEveryErrorKind(t *testing.T) {
	for kind := domain.KindInternal; kind <= lastKind(t); kind++ {
		want, ok := contractClasses[kind]
		if !ok {
			t.Fatalf("the contract table has no row for %v", kind)
		}
		t.Run(kind.String(), func(t *testing.T) {
			h := newHarness(t)
			message := fmt.Sprintf("the %v check failed; fix it", kind)
			h.buckets.respond = func(app.BucketInput) (app.CreateResult, error) {
				return app.CreateResult{}, fmt.Errorf("create: %w", domain.Errorf(kind, "%s", message))
			}
			req := createRequest(strings.NewReader(mustJSON(t, validRequest())))
			res := h.record(req)
			if undocumentedOnCreate[kind] {
				h.contract.CheckUndocumented(t, req, res.status, res.body)
			} else {
				h.contract.Check(t, req, res.status, res.header, res.body)
			}

			e := wantError(t, res, want.status, want.code)
			if kind == domain.KindInternal {
				wantGenericInternal(t, res, e.Message, message)
			} else if e.Message != message {
				t.Errorf("message = %q, want %q", e.Message, message)
			}
			wantStatusHeaders(t, res)
		})
	}
}

// TestErrorCodeIsTheAnswersCode shows the code other series name a failure by is the code the
// API answers it with.
func TestErrorCodeIsTheAnswersCode(t *testing.T) {
	for kind := domain.KindInternal; kind <= lastKind(t); kind++ {
		if got, want := httpapi.ErrorCode(kind), contractClasses[kind].code; got != want {
			t.Errorf("ErrorCode(%v) = %q, want %q", kind, got, want)
		}
	}
}

// wantGenericInternal checks that a 500 hides its cause and names the request id.
func wantGenericInternal(t *testing.T, res response, message, cause string) {
	t.Helper()
	if strings.Contains(message, cause) {
		t.Errorf("INTERNAL message %q reveals the cause", message)
	}
	if rid := res.header.Get("X-Request-Id"); rid == "" || !strings.Contains(message, rid) {
		t.Errorf("INTERNAL message %q does not contain the request id %q", message, rid)
	}
}

// wantStatusHeaders checks the headers the contract ties to a status.
func wantStatusHeaders(t *testing.T, res response) {
	t.Helper()
	retryAfter := res.header.Get("Retry-After")
	if res.status == http.StatusServiceUnavailable {
		if s, err := strconv.Atoi(retryAfter); err != nil || s <= 0 {
			t.Errorf("Retry-After = %q on 503, want a positive number of seconds", retryAfter)
		}
	}
	auth := res.header.Get("WWW-Authenticate")
	if res.status == http.StatusUnauthorized && auth != `Bearer realm="bucketd"` {
		t.Errorf("WWW-Authenticate = %q on 401, want Bearer realm=\"bucketd\"", auth)
	}
	if res.status != http.StatusUnauthorized && auth != "" {
		t.Errorf("WWW-Authenticate = %q on %d, want none", auth, res.status)
	}
}

func TestCreateBucketHidesAnUnclassifiedError(t *testing.T) {
	h := newHarness(t)
	const cause = "dial tcp 10.1.2.3:5432: connection refused"
	h.buckets.respond = func(app.BucketInput) (app.CreateResult, error) {
		return app.CreateResult{}, errors.New(cause)
	}
	res := h.serve(t, createRequest(strings.NewReader(mustJSON(t, validRequest()))))

	e := wantError(t, res, http.StatusInternalServerError, "INTERNAL")
	wantGenericInternal(t, res, e.Message, cause)
	if strings.Contains(e.Message, "10.1.2.3") {
		t.Errorf("message %q reveals part of the cause", e.Message)
	}
	// The details belong in the log, under the request id.
	rid := res.header.Get("X-Request-Id")
	if !hasRecord(h.logs.records(t), func(r map[string]any) bool {
		return r["msg"] == "request failed" && r["request_id"] == rid && strings.Contains(fmt.Sprint(r["error"]), cause)
	}) {
		t.Errorf("no error log line with request id %s and the cause; logs:\n%s", rid, h.logs)
	}
}

func TestServerRecoversFromAPanicInTheService(t *testing.T) {
	h := newHarness(t)
	h.buckets.respond = func(cmd app.BucketInput) (app.CreateResult, error) {
		if cmd.Name == "panic" {
			panic("boom with " + cmd.Secret.Reveal())
		}
		return app.CreateResult{BucketID: newBucketID}, nil
	}
	body := validRequest()
	body["name"] = "panic"
	res := h.serve(t, createRequest(strings.NewReader(mustJSON(t, body))))

	e := wantError(t, res, http.StatusInternalServerError, "INTERNAL")
	wantGenericInternal(t, res, e.Message, "boom")
	records := h.logs.records(t)
	if !hasRecord(records, func(r map[string]any) bool { return r["msg"] == "panic serving request" }) {
		t.Errorf("the panic was not logged; logs:\n%s", h.logs)
	}
	if !hasRecord(records, func(r map[string]any) bool {
		return r["msg"] == "http request" && r["status"] == float64(http.StatusInternalServerError)
	}) {
		t.Errorf("no access log line with status 500 for the panicked request; logs:\n%s", h.logs)
	}
	if strings.Contains(h.logs.String(), testSecret) {
		t.Errorf("the panic value, which holds the secret, reached the log")
	}

	next := h.serve(t, createRequest(strings.NewReader(mustJSON(t, validRequest()))))
	if next.status != http.StatusOK {
		t.Errorf("request after the panic: status = %d, want 200 (body %s)", next.status, next.body)
	}
}

func TestUnknownRoutesAnswerWithTheErrorBody(t *testing.T) {
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, "/nope", http.StatusNotFound, "NOT_FOUND"},
		{http.MethodPost, "/nope/extra/segments", http.StatusNotFound, "NOT_FOUND"},
		{http.MethodGet, "/buckets", http.StatusNotFound, "NOT_FOUND"},
		{http.MethodPatch, "/bucket/" + newBucketID + "/", http.StatusNotFound, "NOT_FOUND"},
		{http.MethodGet, "/bucket/" + newBucketID + "/other", http.StatusNotFound, "NOT_FOUND"},
		{http.MethodGet, "/user/quota/", http.StatusNotFound, "NOT_FOUND"},
		{http.MethodGet, "/user/a/b/c", http.StatusNotFound, "NOT_FOUND"},
		{http.MethodPatch, "/bucket", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{http.MethodPost, "/bucket/available", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{http.MethodDelete, "/healthz", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			h := newHarness(t)
			req := httptest.NewRequest(tc.method, tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			res := h.serve(t, req)
			wantError(t, res, tc.status, tc.code)
		})
	}
}

// TestFlashbackRoutesOutsideTheJobAreNotImplemented: a Flashback app calling a route bucketd
// does not serve learns that, by name, whoever it is; it is never told that a bucket is missing.
func TestFlashbackRoutesOutsideTheJobAreNotImplemented(t *testing.T) {
	routes := []struct{ method, path string }{
		{http.MethodGet, "/bucket/stats"},
		{http.MethodGet, "/bucket/stats?bucketId=a,b"},
		{http.MethodGet, "/bucket/" + newBucketID + "/status"},
		{http.MethodPost, "/bucket/" + newBucketID + "/stats"},
		{http.MethodGet, "/repo"},
		{http.MethodPost, "/repo"},
		{http.MethodDelete, "/repo/" + newBucketID + "/apikey/k"},
		{http.MethodGet, "/stats/daily?repoId=x"},
		{http.MethodGet, "/v2/stats/storage"},
		{http.MethodGet, "/unit/stats"},
		{http.MethodPost, "/user/register"},
		{http.MethodGet, "/user/profile"},
		{http.MethodPut, "/user/" + newBucketID + "/role"},
		{http.MethodPost, "/user/resend-verification/abc"},
		{http.MethodGet, "/api/agentengine/plans"},
	}
	for _, token := range []string{testToken, ""} {
		for _, r := range routes {
			t.Run(fmt.Sprintf("%s %s token=%t", r.method, r.path, token != ""), func(t *testing.T) {
				h := newHarness(t)
				req := httptest.NewRequest(r.method, r.path, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				e := wantError(t, h.serve(t, req), http.StatusNotImplemented, "NOT_IMPLEMENTED")
				path, _, _ := strings.Cut(r.path, "?")
				if want := fmt.Sprintf("%s %q is a Flashback route outside bucketd's job", r.method, path); !strings.HasPrefix(e.Message, want) {
					t.Errorf("message %q, want it to start with %q", e.Message, want)
				}
				h.wantNoCalls(t)
			})
		}
	}
}

func TestNotImplementedQuotesAndClipsTheCallersPath(t *testing.T) {
	h := newHarness(t)
	req := httptest.NewRequest(http.MethodGet, "/repo/"+strings.Repeat("x", 5000)+"%0Aforged", nil)
	e := wantError(t, h.serve(t, req), http.StatusNotImplemented, "NOT_IMPLEMENTED")
	if strings.ContainsAny(e.Message, "\n\r") || len(e.Message) > 500 || strings.Contains(e.Message, "forged") {
		t.Errorf("message %q: want the path quoted and clipped", e.Message)
	}
}

// hasRecord reports whether any log record satisfies match.
func hasRecord(records []map[string]any, match func(map[string]any) bool) bool {
	for _, r := range records {
		if match(r) {
			return true
		}
	}
	return false
}
