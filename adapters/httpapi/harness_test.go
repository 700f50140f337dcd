package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/logcapture"
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
	Workspaces: map[string]domain.WorkspaceRole{workspaceID: domain.WorkspaceWrite},
}

// otherToken belongs to an admin of another organization, otherPrincipal.
const otherToken = "bkd_tok_Vn3pK8sLq2Wd6RtY9mXc4JhF"

var otherPrincipal = domain.Principal{
	UserID: "0192f7a4-0000-7000-8000-000000000003",
	OrgID:  "0192f7a4-0000-7000-8000-000000000004",
	Role:   domain.RoleAdmin,
}

// colleagueToken belongs to colleaguePrincipal, another member of testPrincipal's organization
// and workspace: same organization, another user.
const colleagueToken = "bkd_tok_Hc5tW2nRz8Kq4YvM7pLd3XsB"

var colleaguePrincipal = domain.Principal{
	UserID:     "0192f7a4-0000-7000-8000-000000000005",
	OrgID:      testPrincipal.OrgID,
	Role:       domain.RoleMember,
	Workspaces: map[string]domain.WorkspaceRole{workspaceID: domain.WorkspaceWrite},
}

// fakeAuthenticator knows testToken, colleagueToken and otherToken.
type fakeAuthenticator struct{}

func (fakeAuthenticator) Authenticate(_ context.Context, token domain.Secret) (domain.Principal, error) {
	switch token.Reveal() {
	case testToken:
		return testPrincipal, nil
	case colleagueToken:
		return colleaguePrincipal, nil
	case otherToken:
		return otherPrincipal, nil
	}
	return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, "the bearer token is invalid, expired or revoked")
}

// serviceCall is one call the fake bucket service received: the method, the caller, and the
// bucket id and input the method takes (the others stay zero).
type serviceCall struct {
	method     string
	principal  domain.Principal
	bucketID   string
	cmd        app.BucketInput // Create, Validate
	list       app.ListInput
	update     app.UpdateInput
	revalidate app.RevalidateInput
}

// fakeBuckets records every call and answers it with the function set for its method, or with
// a fixed success when that function is nil. Set the functions before serving requests.
type fakeBuckets struct {
	respond    func(app.BucketInput) (app.CreateResult, error)
	validate   func(app.BucketInput) (app.ValidationOutcome, error)
	get        func(bucketID string) (domain.Bucket, error)
	list       func(app.ListInput) (domain.BucketPage, error)
	update     func(bucketID string, in app.UpdateInput) (app.UpdateResult, error)
	delete     func(bucketID string) error
	revalidate func(bucketID string, in app.RevalidateInput) (app.RevalidateResult, error)
	quota      func() (domain.Quota, error)
	// auth authenticates GetAsHolder's tokens; nil means fakeAuthenticator.
	auth ports.Authenticator

	mu    sync.Mutex
	calls []serviceCall
}

func (f *fakeBuckets) record(c serviceCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// passingReport is the default validation: one passing check.
var passingReport = domain.ValidationReport{Checks: []domain.Check{{Name: "connect", Status: domain.CheckPass, Message: "reached"}}}

func (f *fakeBuckets) Create(_ context.Context, p domain.Principal, cmd app.BucketInput) (app.CreateResult, error) {
	f.record(serviceCall{method: "Create", principal: p, cmd: cmd})
	if f.respond != nil {
		return f.respond(cmd)
	}
	return app.CreateResult{BucketID: newBucketID, Status: domain.StatusOnline}, nil
}

func (f *fakeBuckets) Validate(_ context.Context, p domain.Principal, cmd app.BucketInput) (app.ValidationOutcome, error) {
	f.record(serviceCall{method: "Validate", principal: p, cmd: cmd})
	if f.validate != nil {
		return f.validate(cmd)
	}
	return app.ValidationOutcome{Report: passingReport}, nil
}

// GetAsHolder authenticates the token as the server's authenticator does (fakeAuthenticator
// unless auth is set), then records a "Get" call and answers it like the others.
func (f *fakeBuckets) GetAsHolder(ctx context.Context, token domain.Secret, bucketID string) (ports.HolderRead, error) {
	var auth ports.Authenticator = fakeAuthenticator{}
	if f.auth != nil {
		auth = f.auth
	}
	p, err := auth.Authenticate(ctx, token)
	if err != nil {
		return ports.HolderRead{}, err
	}
	f.record(serviceCall{method: "Get", principal: p, bucketID: bucketID})
	if f.get != nil {
		b, err := f.get(bucketID)
		return ports.HolderRead{Principal: p, Bucket: b, Err: err}, nil
	}
	b := storedBucket()
	b.ID = bucketID
	return ports.HolderRead{Principal: p, Bucket: b}, nil
}

func (f *fakeBuckets) List(_ context.Context, p domain.Principal, in app.ListInput) (domain.BucketPage, error) {
	f.record(serviceCall{method: "List", principal: p, list: in})
	if f.list != nil {
		return f.list(in)
	}
	return domain.BucketPage{Buckets: []domain.Bucket{storedBucket()}}, nil
}

func (f *fakeBuckets) Update(_ context.Context, p domain.Principal, bucketID string, in app.UpdateInput) (app.UpdateResult, error) {
	f.record(serviceCall{method: "Update", principal: p, bucketID: bucketID, update: in})
	if f.update != nil {
		return f.update(bucketID, in)
	}
	return app.UpdateResult{BucketID: bucketID, Status: domain.StatusOnline}, nil
}

func (f *fakeBuckets) Delete(_ context.Context, p domain.Principal, bucketID string) error {
	f.record(serviceCall{method: "Delete", principal: p, bucketID: bucketID})
	if f.delete != nil {
		return f.delete(bucketID)
	}
	return nil
}

func (f *fakeBuckets) Revalidate(_ context.Context, p domain.Principal, bucketID string, in app.RevalidateInput) (app.RevalidateResult, error) {
	f.record(serviceCall{method: "Revalidate", principal: p, bucketID: bucketID, revalidate: in})
	if f.revalidate != nil {
		return f.revalidate(bucketID, in)
	}
	return app.RevalidateResult{ValidationOutcome: app.ValidationOutcome{Report: passingReport}, Status: domain.StatusOnline}, nil
}

func (f *fakeBuckets) Quota(_ context.Context, p domain.Principal) (domain.Quota, error) {
	f.record(serviceCall{method: "Quota", principal: p})
	if f.quota != nil {
		return f.quota()
	}
	return domain.Quota{Plan: domain.PlanFreeTrial, Used: 3, Limit: 10}, nil
}

func (f *fakeBuckets) received() []serviceCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]serviceCall(nil), f.calls...)
}

// onlyCall returns the one call the service received, failing t unless it was exactly one call
// of method.
func (f *fakeBuckets) onlyCall(t testing.TB, method string) serviceCall {
	t.Helper()
	calls := f.received()
	if len(calls) != 1 || calls[0].method != method {
		t.Fatalf("the service received %v, want exactly one %s", methodsOf(calls), method)
	}
	return calls[0]
}

func methodsOf(calls []serviceCall) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.method
	}
	return out
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
	server   *httpapi.Server
	handler  http.Handler
	buckets  *fakeBuckets
	signIn   *fakeSignIn
	idem     *fakeIdempotency
	clock    *fakeClock
	pinger   *fakePinger
	audit    *fakeAudit
	logs     *syncBuffer
	contract *contracttest.Checker
	// workspaces answers the workspace routes.
	workspaces *fakeWorkspaces
	apiKeys    *fakeCredentials
}

// newHarness builds the server on fakes; configure, when given, changes its Config first.
func newHarness(t testing.TB, configure ...func(*httpapi.Config)) *harness {
	t.Helper()
	h := &harness{
		buckets:    &fakeBuckets{},
		signIn:     &fakeSignIn{},
		idem:       newFakeIdempotency(),
		clock:      &fakeClock{now: time.Date(2026, 11, 26, 22, 10, 24, 0, time.UTC)},
		pinger:     &fakePinger{},
		audit:      &fakeAudit{},
		logs:       &syncBuffer{},
		contract:   contracttest.New(t),
		workspaces: &fakeWorkspaces{},
		apiKeys:    &fakeCredentials{},
	}
	logger := slog.New(httpapi.RequestIDHandler(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	cfg := httpapi.Config{
		Buckets:       h.buckets,
		SignIn:        h.signIn,
		Workspaces:    h.workspaces,
		Credentials:   h.apiKeys,
		Authenticator: fakeAuthenticator{},
		Idempotency:   h.idem,
		RequestMAC:    newRequestMAC(t, "k1:"+testMasterKey),
		Readiness:     h.pinger,
		Audit:         h.audit,
		Logger:        logger,
		Now:           h.clock.Now,
	}
	for _, c := range configure {
		c(&cfg)
	}
	h.buckets.auth = cfg.Authenticator
	srv, err := httpapi.NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	h.server = srv
	if h.handler, err = srv.Handler(); err != nil {
		t.Fatalf("Handler: %v", err)
	}
	return h
}

// fakeClock is the server's clock; tests move it forward.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
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

// storedBucket is a bucket as the service returns it, sealed credentials included, so the
// tests can show that nothing but metadata and the key hint is rendered.
func storedBucket() domain.Bucket {
	created := time.Date(2026, 11, 26, 22, 10, 24, 0, time.UTC)
	checked := created.Add(5 * time.Minute)
	return domain.Bucket{
		ID:                   newBucketID,
		OrgID:                testPrincipal.OrgID,
		WorkspaceID:          workspaceID,
		Name:                 "My S3 Bucket",
		Bucket:               "my-bucket-name",
		StorageType:          domain.StorageS3,
		Region:               "us-east-1",
		Endpoint:             "https://minio.example.com",
		KeyHint:              "AKIA…MPLE",
		Status:               domain.StatusOnline,
		LastStatusAt:         &checked,
		CreatedAt:            created,
		UpdatedAt:            checked,
		SealedKey:            []byte("sealed " + testKey),
		SealedSecret:         []byte("sealed " + testSecret),
		SecretFingerprint:    "3q2-7wXyZ0aBcDeFgHiJkL",
		SecretVersion:        2,
		CredentialsUpdatedAt: &created,
	}
}

// apiRequest is a request with testToken and, unless body is empty, a JSON body.
func apiRequest(method, path, body string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	return req
}

// wantStatus fails t now unless res has status.
func wantStatus(t testing.TB, res response, status int) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status = %d, want %d (body %s)", res.status, status, res.body)
	}
}

// fieldsOf decodes a JSON object body into its members.
func fieldsOf(t testing.TB, body []byte) map[string]json.RawMessage {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, body)
	}
	return fields
}

// wantFields fails unless the JSON object has exactly the members want.
func wantFields(t testing.TB, what string, fields map[string]json.RawMessage, want ...string) {
	t.Helper()
	got := keys(fields)
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s has fields %v, want exactly %v", what, got, want)
	}
}
