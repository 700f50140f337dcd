package main_test

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/metricstest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// TestRateLimitAndMetrics runs the real binary with a tight rate limit against versitygw: a
// create that passes, one the provider refuses, reads until the token is over its rate, then a
// scrape of /metrics that must show each of those requests, both validations by provider and
// outcome, the refusal, and the database pool.
func TestRateLimitAndMetrics(t *testing.T) {
	gw := versitygw.Start(t)
	gw.CreateBucket(t, "metrics-bucket")
	checker := contracttest.New(t)
	// One request per 100 s after a burst of 4: nothing refills during the test.
	s := startServer(t, checker, t.TempDir(), "--dev", "--addr", "127.0.0.1:0", "--rate-limit", "0.01", "--rate-burst", "4")
	token, workspaceID := devCredentials(t, s)
	c := s.Client(t, checker, token)

	endpoint := gw.Endpoint
	req := api.CreateBucketRequest{Name: "Metrics", Bucket: "metrics-bucket", StorageType: api.StorageTypeS3, Key: gw.RootKey,
		Secret: gw.RootSecret, Region: ptr[api.Region](versitygw.Region), Endpoint: &endpoint, WorkspaceId: workspaceID}
	wantCreated(t, create(t, c, req))
	refused := req
	refused.Name, refused.Secret = "Refused", "e2e-wrong-secret-metrics"
	wantError(t, create(t, c, refused), http.StatusBadRequest, "INVALID_CREDENTIALS")
	for range 2 {
		mustList(t, c, api.ListBucketsParams{})
	}
	limited := listBuckets(t, c, api.ListBucketsParams{})
	wantAPIError(t, "GET /bucket over the rate", limited, http.StatusTooManyRequests, "RATE_LIMITED")
	if got := limited.HTTPResponse.Header.Get("Retry-After"); got != "100" {
		t.Errorf("Retry-After = %q, want 100 (seconds until the next request at 0.01 per second)", got)
	}

	scrape := scrapeMetrics(t, s.Client(t, checker, ""))
	for _, want := range []struct {
		name   string
		labels []string
		value  float64
	}{
		{"bucketd_http_requests_total", []string{"route", "/bucket", "method", "POST", "status", "200"}, 1},
		{"bucketd_http_requests_total", []string{"route", "/bucket", "method", "POST", "status", "400"}, 1},
		{"bucketd_http_requests_total", []string{"route", "/bucket", "method", "GET", "status", "200"}, 2},
		{"bucketd_http_requests_total", []string{"route", "/bucket", "method", "GET", "status", "429"}, 1},
		{"bucketd_http_request_duration_seconds", []string{"route", "/bucket", "method", "POST"}, 2},
		{"bucketd_validations_total", []string{"provider", "S3", "outcome", "OK"}, 1},
		{"bucketd_validations_total", []string{"provider", "S3", "outcome", "INVALID_CREDENTIALS"}, 1},
		{"bucketd_rate_limited_total", nil, 1},
		{"bucketd_quota_rejections_total", nil, 0},
		{"bucketd_rate_limiters", nil, 1},
	} {
		if got := scrape.Value(t, want.name, want.labels...); got != want.value {
			t.Errorf("%s%v = %g, want %g", want.name, want.labels, got, want.value)
		}
	}
	if open := scrape.Value(t, "go_sql_open_connections", "db_name", "bucketd"); open < 1 {
		t.Errorf("go_sql_open_connections = %g; the server has used its database, want at least 1", open)
	}
	// SQLite's pool is unlimited (0); the series must be there all the same.
	scrape.Value(t, "go_sql_max_open_connections", "db_name", "bucketd")
}

// scrapeMetrics sends GET /metrics without a token and parses the answer.
func scrapeMetrics(t *testing.T, c *client.ClientWithResponses) metricstest.Scrape {
	t.Helper()
	res, err := c.GetMetricsWithResponse(t.Context())
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	if res.StatusCode() != http.StatusOK {
		t.Fatalf("GET /metrics answered %d %s, want 200", res.StatusCode(), res.Body)
	}
	return metricstest.Parse(t, res.Body)
}

// TestServeRejectsBadLimits runs `bucketd serve` with malformed limits, from flags and from the
// environment: each must stop the command with a message naming the setting.
func TestServeRejectsBadLimits(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"negative rate", []string{"--rate-limit", "-1"}, "", "rate-limit"},
		{"rate not a number", []string{"--rate-limit", "fast"}, "", "rate-limit"},
		{"infinite rate", []string{"--rate-limit", "+Inf"}, "", "rate-limit"},
		{"zero burst", []string{"--rate-burst", "0"}, "", "rate-burst"},
		{"zero header bytes", []string{"--max-header-bytes", "0"}, "", "max-header-bytes"},
		{"zero read-header timeout", []string{"--read-header-timeout", "0s"}, "", "read-header-timeout"},
		{"write timeout within the validation timeout", []string{"--write-timeout", "5s"}, "", "--validation-timeout"},
		{"malformed environment rate", nil, "BUCKETD_RATE_LIMIT=lots", "BUCKETD_RATE_LIMIT"},
		{"malformed environment idle timeout", nil, "BUCKETD_IDLE_TIMEOUT=forever", "BUCKETD_IDLE_TIMEOUT"},
		{"malformed trusted proxy", []string{"--trusted-proxies", "10.0.0.0/8,10.0.0.0/33"}, "", "10.0.0.0/33"},
		{"malformed environment trusted proxies", nil, "BUCKETD_TRUSTED_PROXIES=proxy.example.com", "BUCKETD_TRUSTED_PROXIES"},
		{"CORS origin with a path", []string{"--cors-origins", "https://app.example.com/console"}, "", "https://app.example.com/console"},
		{"wildcard CORS origin", nil, "BUCKETD_CORS_ORIGINS=*", "BUCKETD_CORS_ORIGINS"},
		{"negative auth failure rate", []string{"--auth-failure-rate", "-1"}, "", "auth-failure-rate"},
		{"zero auth failure burst", []string{"--auth-failure-burst", "0"}, "", "auth-failure-burst"},
		{"zero audit retention", []string{"--audit-retention", "0s"}, "", "audit-retention"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
			defer cancel()
			dir := t.TempDir()
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--database-url", "sqlite://" + dir + "/never.db"}, tc.args...)
			cmd := exec.CommandContext(ctx, bucketdBin, args...)
			cmd.Dir, cmd.Env = dir, bucketdEnv()
			if tc.env != "" {
				cmd.Env = append(cmd.Env, tc.env)
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("bucketd serve %v (env %q) started; want it refused\n%s", tc.args, tc.env, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("the refusal does not name %s:\n%s", tc.want, out)
			}
		})
	}
}
