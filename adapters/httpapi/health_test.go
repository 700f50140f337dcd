package httpapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/gen/api"
)

func TestProbesNeedNoToken(t *testing.T) {
	tests := []struct{ path, status string }{
		{"/healthz", "ok"},
		{"/readyz", "ready"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			h := newHarness(t)
			res := h.serve(t, httptest.NewRequest(http.MethodGet, tc.path, nil))

			if res.status != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", res.status, res.body)
			}
			wantJSONContentType(t, res)
			var got api.HealthResponse
			if err := json.Unmarshal(res.body, &got); err != nil {
				t.Fatalf("decode body: %v: %s", err, res.body)
			}
			if got != (api.HealthResponse{Success: true, Status: tc.status}) {
				t.Errorf("body = %+v, want success with status %q", got, tc.status)
			}
		})
	}
}

func TestReadyzFailsWhileTheDatabaseDoesNotAnswer(t *testing.T) {
	h := newHarness(t)
	const cause = "dial tcp 10.9.8.7:5432: i/o timeout"
	h.pinger.err = errors.New(cause)
	res := h.serve(t, httptest.NewRequest(http.MethodGet, "/readyz", nil))

	e := wantError(t, res, http.StatusServiceUnavailable, "UNAVAILABLE")
	wantStatusHeaders(t, res)
	if strings.Contains(e.Message, cause) {
		t.Errorf("message %q reveals the cause", e.Message)
	}
	if !h.pinger.hadDeadline {
		t.Error("the database ping carried no deadline, so a hung database would hang the probe")
	}
}

func TestNewServerRefusesMissingDependencies(t *testing.T) {
	full := httpapi.Config{Buckets: &fakeBuckets{}, SignIn: &fakeSignIn{}, Workspaces: &fakeWorkspaces{}, Credentials: &fakeCredentials{}, Authenticator: fakeAuthenticator{}, Idempotency: newFakeIdempotency(),
		RequestMAC: newRequestMAC(t, "k1:"+testMasterKey), Readiness: &fakePinger{}, Audit: &fakeAudit{}}
	tests := []struct {
		name string
		edit func(*httpapi.Config)
	}{
		{"Buckets", func(c *httpapi.Config) { c.Buckets = nil }},
		{"SignIn", func(c *httpapi.Config) { c.SignIn = nil }},
		{"Workspaces", func(c *httpapi.Config) { c.Workspaces = nil }},
		{"Credentials", func(c *httpapi.Config) { c.Credentials = nil }},
		{"Authenticator", func(c *httpapi.Config) { c.Authenticator = nil }},
		{"Idempotency", func(c *httpapi.Config) { c.Idempotency = nil }},
		{"RequestMAC", func(c *httpapi.Config) { c.RequestMAC = nil }},
		{"Readiness", func(c *httpapi.Config) { c.Readiness = nil }},
		{"Audit", func(c *httpapi.Config) { c.Audit = nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := full
			tc.edit(&cfg)
			if _, err := httpapi.NewServer(cfg); err == nil || !strings.Contains(err.Error(), tc.name) {
				t.Errorf("NewServer without %s: error = %v, want one naming it", tc.name, err)
			}
		})
	}
	if _, err := httpapi.NewServer(full); err != nil {
		t.Errorf("NewServer with every dependency: %v", err)
	}
}
