package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/adapters/httpapi/contracttest"
	"github.com/bucketd/bucketd/adapters/testpeers/logcapture"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
)

// Fixed values of the fixtures. The token and the credentials are distinctive so the leak test
// can search every log line and response for them.
const (
	testToken   = "bkd_tok_Q7hZ2mXv9LpR4sTw8NcY3fKd"
	testKey     = "AKIAIOSFODNN7EXAMPLE"
	testSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	workspaceID = "0192f7a4-5b6c-7d8e-9f01-23456789abcd"
	newBucketID = "0192f7a5-0e1f-7a2b-8c3d-4e5f60718293"
)

// testPrincipal is the caller behind testToken.
var testPrincipal = domain.Principal{
	UserID:     "0192f7a4-0000-7000-8000-000000000001",
	OrgID:      "0192f7a4-0000-7000-8000-000000000002",
	Role:       domain.RoleMember,
	Workspaces: []string{workspaceID},
}

// fakeAuthenticator knows exactly one token.
type fakeAuthenticator struct{}

func (fakeAuthenticator) Authenticate(_ context.Context, token domain.Secret) (domain.Principal, error) {
	if token.Reveal() != testToken {
		return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, "the bearer token is invalid, expired or revoked")
	}
	return testPrincipal, nil
}

// createCall is one call the fake bucket service received.
type createCall struct {
	principal domain.Principal
	cmd       app.BucketInput
}

// fakeBuckets records every command and answers with respond, or with newBucketID when respond
// is nil. Set respond before serving requests.
type fakeBuckets struct {
	respond  func(app.BucketInput) (app.CreateResult, error)
	validate func(app.BucketInput) (app.ValidationOutcome, error)

	mu    sync.Mutex
	calls []createCall
}

func (f *fakeBuckets) Create(_ context.Context, p domain.Principal, cmd app.BucketInput) (app.CreateResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, createCall{principal: p, cmd: cmd})
	f.mu.Unlock()
	if f.respond != nil {
		return f.respond(cmd)
	}
	return app.CreateResult{BucketID: newBucketID, Status: domain.StatusOnline}, nil
}

func (f *fakeBuckets) Validate(_ context.Context, p domain.Principal, cmd app.BucketInput) (app.ValidationOutcome, error) {
	f.mu.Lock()
	f.calls = append(f.calls, createCall{principal: p, cmd: cmd})
	f.mu.Unlock()
	if f.validate != nil {
		return f.validate(cmd)
	}
	return app.ValidationOutcome{Report: domain.ValidationReport{Checks: []domain.Check{{Name: "connect", Status: domain.CheckPass, Message: "reached"}}}}, nil
}

func (f *fakeBuckets) received() []createCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]createCall(nil), f.calls...)
}

// fakePinger answers /readyz with err and remembers whether the probe carried a deadline.
type fakePinger struct {
	err error

	mu          sync.Mutex
	hadDeadline bool
}

func (f *fakePinger) Ping(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, f.hadDeadline = ctx.Deadline()
	return f.err
}

// syncBuffer is a log sink safe for the concurrent writes of a handler under -race.
type syncBuffer struct{ logcapture.Buffer }

// records decodes the JSON log lines written so far.
func (b *syncBuffer) records(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %q", err, line)
		}
		out = append(out, rec)
	}
	return out
}

// harness is a Server on fakes, its handler, and everything it logged.
type harness struct {
	handler  http.Handler
	buckets  *fakeBuckets
	pinger   *fakePinger
	logs     *syncBuffer
	contract *contracttest.Checker
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{buckets: &fakeBuckets{}, pinger: &fakePinger{}, logs: &syncBuffer{}, contract: contracttest.New(t)}
	logger := slog.New(httpapi.RequestIDHandler(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	srv, err := httpapi.NewServer(httpapi.Config{
		Buckets:       h.buckets,
		Authenticator: fakeAuthenticator{},
		Readiness:     h.pinger,
		Logger:        logger,
	})
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if h.handler, err = srv.Handler(); err != nil {
		t.Fatalf("Handler: %v", err)
	}
	return h
}

// response is what the handler answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// record serves req in process.
func (h *harness) record(req *http.Request) response {
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Result().Header, body: rec.Body.Bytes()}
}

// serve serves req and checks the answer against the contract of its operation.
func (h *harness) serve(t testing.TB, req *http.Request) response {
	t.Helper()
	res := h.record(req)
	h.contract.Check(t, req, res.status, res.header, res.body)
	return res
}

// validRequest is a complete create request; tests delete or replace fields.
func validRequest() map[string]any {
	return map[string]any{
		"name":        "My S3 Bucket",
		"bucket":      "my-bucket-name",
		"storageType": "S3",
		"key":         testKey,
		"secret":      testSecret,
		"region":      "us-east-1",
		"endpoint":    "https://minio.example.com",
		"workspaceId": workspaceID,
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal request: %v", err)
	}
	return string(b)
}

// createRequest is an authenticated POST /bucket with a JSON body.
func createRequest(body io.Reader) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/bucket", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testToken)
	return req
}

// wantJSONContentType fails unless res declares a JSON body.
func wantJSONContentType(t testing.TB, res response) {
	t.Helper()
	if got := res.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
}

// wantError checks status, content type and the exact error body shape, and returns the body.
func wantError(t testing.TB, res response, status int, code string) api.Error {
	t.Helper()
	if res.status != status {
		t.Errorf("status = %d, want %d (body %s)", res.status, status, res.body)
	}
	wantJSONContentType(t, res)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(res.body, &fields); err != nil {
		t.Fatalf("error body is not a JSON object: %v: %s", err, res.body)
	}
	if len(fields) != 3 {
		t.Errorf("error body has fields %v, want exactly success, message, code", keys(fields))
	}
	var e api.Error
	if err := json.Unmarshal(res.body, &e); err != nil {
		t.Fatalf("decode error body: %v: %s", err, res.body)
	}
	if e.Success || e.Code != code || e.Message == "" {
		t.Errorf("error body = %+v, want success false, code %s and a message", e, code)
	}
	return e
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// wantNoCalls fails if the bucket service was reached.
func (h *harness) wantNoCalls(t testing.TB) {
	t.Helper()
	if calls := h.buckets.received(); len(calls) != 0 {
		t.Errorf("the bucket service was called %d times, want 0", len(calls))
	}
}
