package httpapi_test

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	_ "github.com/glebarez/go-sqlite" // registers the "sqlite" database/sql driver

	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/metricstest"
	"github.com/prometheus/client_golang/prometheus"
)

// scrape serves GET /metrics without a token, checks the answer against the contract and the
// exposition format, and parses it.
func (h *harness) scrape(t *testing.T) metricstest.Scrape {
	t.Helper()
	res := h.serve(t, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	wantStatus(t, res, http.StatusOK)
	if got, want := res.header.Get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	return metricstest.Parse(t, res.body)
}

func TestMetricsCountRequestsByRouteMethodAndStatus(t *testing.T) {
	h := newHarness(t)
	requests := []*http.Request{
		listAs(testToken),
		listAs(testToken),
		apiRequest(http.MethodGet, "/bucket/"+newBucketID, ""),
		createRequest(strings.NewReader(`{"name": 5}`)),
		httptest.NewRequest(http.MethodGet, "/no/such/path", nil),
		httptest.NewRequest("BREW", "/bucket", nil),
		listAs("bkd_unknown_token"),
	}
	for _, req := range requests {
		h.record(req)
	}
	scrape := h.scrape(t)
	tests := []struct {
		route, method, status string
		want                  float64
	}{
		{"/bucket", "GET", "200", 2},
		{"/bucket", "GET", "401", 1},
		// The route template, never the bucket id, so the series stay few.
		{"/bucket/:bucketId", "GET", "200", 1},
		{"/bucket", "POST", "400", 1},
		{"unmatched", "GET", "404", 1},
		// An invented method shares one label.
		{"/bucket", "OTHER", "405", 1},
	}
	for _, tc := range tests {
		got := scrape.Value(t, "bucketd_http_requests_total", "route", tc.route, "method", tc.method, "status", tc.status)
		if got != tc.want {
			t.Errorf("bucketd_http_requests_total{%s %s %s} = %g, want %g", tc.route, tc.method, tc.status, got, tc.want)
		}
	}
	if n := scrape.Value(t, "bucketd_http_request_duration_seconds", "route", "/bucket", "method", "GET"); n != 3 {
		t.Errorf("the latency histogram of GET /bucket observed %g requests, want 3", n)
	}
	// A scrape is counted like any request, after it is answered.
	if n := h.scrape(t).Value(t, "bucketd_http_requests_total", "route", "/metrics", "method", "GET", "status", "200"); n != 1 {
		t.Errorf("the second scrape counts %g earlier scrapes, want 1", n)
	}
}

func TestMetricsCountRefusals(t *testing.T) {
	h := newHarness(t, rateLimited(1, 1))
	h.buckets.respond = func(app.BucketInput) (app.CreateResult, error) {
		return app.CreateResult{}, domain.Errorf(domain.KindQuotaExceeded, "bucket quota exceeded: 10 of 10 buckets used")
	}
	wantError(t, h.serve(t, createRequest(strings.NewReader(mustJSON(t, validRequest())))), http.StatusTooManyRequests, "QUOTA_EXCEEDED")
	for range 2 {
		wantError(t, h.serve(t, listAs(testToken)), http.StatusTooManyRequests, "RATE_LIMITED")
	}
	scrape := h.scrape(t)
	for name, want := range map[string]float64{"bucketd_quota_rejections_total": 1, "bucketd_rate_limited_total": 2} {
		if got := scrape.Value(t, name); got != want {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
}

// newMetrics is the Metrics of a server on a registry of its own, failing t on error.
func newMetrics(t *testing.T, registry *prometheus.Registry, dbStats func() sql.DBStats) *httpapi.Metrics {
	t.Helper()
	m, err := httpapi.NewMetrics(registry, dbStats)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMetricsServeEverySeriesOfTheRegistry shows GET /metrics serves what other adapters
// registered on the registry the server was given, next to its own series.
func TestMetricsServeEverySeriesOfTheRegistry(t *testing.T) {
	registry := prometheus.NewRegistry()
	metrics := newMetrics(t, registry, nil)
	other := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bucketd_other_adapter_total", Help: "Registered elsewhere."},
		[]string{"outcome"})
	registry.MustRegister(other)
	other.WithLabelValues("OK").Add(3)
	scrape := newHarness(t, func(cfg *httpapi.Config) { cfg.Metrics = metrics }).scrape(t)
	if got := scrape.Value(t, "bucketd_other_adapter_total", "outcome", "OK"); got != 3 {
		t.Errorf("bucketd_other_adapter_total{outcome=OK} = %g, want 3", got)
	}
	scrape.Value(t, "bucketd_rate_limiters")
	if _, err := httpapi.NewMetrics(registry, nil); err == nil {
		t.Error("NewMetrics registered the HTTP series twice on one registry")
	}
}

func TestMetricsReportTheDatabasePool(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(7)
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatalf("take a connection: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	h := newHarness(t, func(cfg *httpapi.Config) { cfg.Metrics = newMetrics(t, prometheus.NewRegistry(), db.Stats) })
	scrape := h.scrape(t)
	for name, want := range map[string]float64{
		"go_sql_max_open_connections": 7,
		"go_sql_open_connections":     1,
		"go_sql_in_use_connections":   1,
		"go_sql_idle_connections":     0,
		"go_sql_wait_count_total":     0,
	} {
		if got := scrape.Value(t, name, "db_name", "bucketd"); got != want {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
	if _, ok := newHarness(t).scrape(t).Lookup("go_sql_open_connections", "db_name", "bucketd"); ok {
		t.Error("a server given no pool statistics reports some")
	}
}

// TestMetricsNameNoCaller shows the endpoint is safe to serve without a token: after
// requests by two organizations, no organization, user, bucket, token or credential appears.
func TestMetricsNameNoCaller(t *testing.T) {
	h := newHarness(t)
	h.record(createRequest(strings.NewReader(mustJSON(t, validRequest()))))
	h.record(apiRequest(http.MethodGet, "/bucket/"+newBucketID, ""))
	h.record(listAs(otherToken))
	res := h.serve(t, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, value := range []string{testToken, otherToken, testKey, testSecret, testPrincipal.OrgID, testPrincipal.UserID,
		otherPrincipal.OrgID, workspaceID, newBucketID} {
		if strings.Contains(string(res.body), value) {
			t.Errorf("the metrics contain %q", value)
		}
	}
	// The Go runtime and the process are reported too.
	scrape := metricstest.Parse(t, res.body)
	for _, name := range []string{"go_goroutines", "process_open_fds"} {
		scrape.Value(t, name)
	}
}
