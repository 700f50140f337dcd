package httpapi_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/adapters/httpapi/metricstest"
	"github.com/bucketd/bucketd/domain"
)

// rateLimited configures a harness to allow each token perSecond requests with bursts of burst.
func rateLimited(perSecond float64, burst int) func(*httpapi.Config) {
	return func(cfg *httpapi.Config) { cfg.RateLimit, cfg.RateBurst = perSecond, burst }
}

// sameUserTokens authenticates every token starting with "bkd_same_" as testPrincipal, so a
// user with several tokens can be played; any other token goes to fakeAuthenticator.
type sameUserTokens struct{ fakeAuthenticator }

func (a sameUserTokens) Authenticate(ctx context.Context, token domain.Secret) (domain.Principal, error) {
	if strings.HasPrefix(token.Reveal(), "bkd_same_") {
		return testPrincipal, nil
	}
	return a.fakeAuthenticator.Authenticate(ctx, token)
}

// listAs is GET /bucket with token.
func listAs(token string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/bucket", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// wantRateLimited checks a 429 RATE_LIMITED answer with Retry-After retryAfter that names
// neither the token nor anything but the rate.
func wantRateLimited(t *testing.T, res response, retryAfter string) {
	t.Helper()
	e := wantError(t, res, http.StatusTooManyRequests, "RATE_LIMITED")
	if got := res.header.Get("Retry-After"); got != retryAfter {
		t.Errorf("Retry-After = %q, want %q", got, retryAfter)
	}
	if !strings.Contains(e.Message, "retry after") || strings.Contains(string(res.body), "bkd_") {
		t.Errorf("message %q must say when to retry and never quote a token", e.Message)
	}
}

func TestRateLimitTokenBucket(t *testing.T) {
	h := newHarness(t, rateLimited(2, 3))
	for range 3 {
		wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)
	}
	// The burst is spent; at 2 per second the next token is half a second away: 1 s rounded up.
	wantRateLimited(t, h.serve(t, listAs(testToken)), "1")
	if n := len(h.buckets.received()); n != 3 {
		t.Errorf("the service received %d calls, want 3: a limited request must not reach it", n)
	}
	// Other users' tokens have budgets of their own.
	wantStatus(t, h.serve(t, listAs(colleagueToken)), http.StatusOK)

	h.clock.Advance(500 * time.Millisecond)
	wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)
	wantRateLimited(t, h.serve(t, listAs(testToken)), "1")

	// A quiet token refills to its burst, and no further.
	h.clock.Advance(time.Hour)
	for range 3 {
		wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)
	}
	wantRateLimited(t, h.serve(t, listAs(testToken)), "1")
}

func TestRateLimitRetryAfterRoundsUp(t *testing.T) {
	// One request every 4 s, no burst beyond it.
	h := newHarness(t, rateLimited(0.25, 1))
	wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)
	tests := []struct {
		after time.Duration
		want  string
	}{
		{0, "4"},
		{1500 * time.Millisecond, "3"}, // 2.5 s left
		{1499 * time.Millisecond, "2"}, // 1.001 s left
		{1000 * time.Millisecond, "1"}, // 1 ms left: never 0
	}
	for _, tc := range tests {
		h.clock.Advance(tc.after)
		wantRateLimited(t, h.serve(t, listAs(testToken)), tc.want)
	}
	h.clock.Advance(time.Millisecond)
	wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)
}

func TestRateLimitIsPerToken(t *testing.T) {
	h := newHarness(t, rateLimited(1, 2), func(cfg *httpapi.Config) { cfg.Authenticator = sameUserTokens{} })
	for range 2 {
		wantStatus(t, h.serve(t, listAs("bkd_same_first")), http.StatusOK)
	}
	wantRateLimited(t, h.serve(t, listAs("bkd_same_first")), "1")
	// The same user's second token is a separate budget: a leaked or runaway token throttles
	// only itself.
	for range 2 {
		wantStatus(t, h.serve(t, listAs("bkd_same_second")), http.StatusOK)
	}
	wantRateLimited(t, h.serve(t, listAs("bkd_same_second")), "1")
}

// TestRateLimitComesBeforeTheBody shows where the limit applies: after authentication, before
// the body is read, so a token over its rate is refused whatever it sends, while a request
// without a valid token is refused as unauthenticated and charges no token.
func TestRateLimitComesBeforeTheBody(t *testing.T) {
	h := newHarness(t, rateLimited(1, 1))
	wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)

	schemaInvalid := createRequest(strings.NewReader(`{"name": 5}`))
	wantRateLimited(t, h.serve(t, schemaInvalid), "1")
	anonymous := httptest.NewRequest(http.MethodGet, "/bucket", nil)
	for _, req := range []*http.Request{anonymous, listAs("bkd_unknown_token")} {
		wantError(t, h.serve(t, req), http.StatusUnauthorized, "UNAUTHENTICATED")
	}
	// Public operations carry no token and are never limited.
	for range 5 {
		wantStatus(t, h.serve(t, httptest.NewRequest(http.MethodGet, "/healthz", nil)), http.StatusOK)
	}
	if n := len(h.buckets.received()); n != 1 {
		t.Errorf("the service received %d calls, want 1", n)
	}
}

func TestRateLimitOffByDefault(t *testing.T) {
	h := newHarness(t)
	for i := range 500 {
		if res := h.record(listAs(testToken)); res.status != http.StatusOK {
			t.Fatalf("request %d answered %d %s without a configured limit", i, res.status, res.body)
		}
	}
}

// TestRateLimitersAreEvicted shows the memory bound: a token that went quiet long enough to
// refill is forgotten at the next sweep, which the metrics report.
func TestRateLimitersAreEvicted(t *testing.T) {
	h := newHarness(t, rateLimited(10, 20))
	trackedAfter := func() float64 {
		res := h.serve(t, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		wantStatus(t, res, http.StatusOK)
		return metricstest.Parse(t, res.body).Value(t, "bucketd_rate_limiters")
	}
	wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)
	wantStatus(t, h.serve(t, listAs(colleagueToken)), http.StatusOK)
	if n := trackedAfter(); n != 2 {
		t.Fatalf("%g limiters tracked after two tokens' requests, want 2", n)
	}
	// Within the sweep interval nothing is dropped, even when full again.
	h.clock.Advance(30 * time.Second)
	wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)
	if n := trackedAfter(); n != 2 {
		t.Fatalf("%g limiters tracked before the sweep interval passed, want 2", n)
	}
	// A minute later the colleague's bucket has long refilled and is dropped; testToken's
	// own limiter is re-created for the request that triggered the sweep.
	h.clock.Advance(time.Minute)
	wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)
	if n := trackedAfter(); n != 1 {
		t.Fatalf("%g limiters tracked after the sweep, want 1", n)
	}
}

// TestRateLimitKeepsAPartlyEmptyBucket shows that a sweep drops only refilled buckets: a
// token still short of its burst keeps its debt.
func TestRateLimitKeepsAPartlyEmptyBucket(t *testing.T) {
	h := newHarness(t, rateLimited(0.01, 2)) // one request per 100 s
	for range 2 {
		wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)
	}
	// 1.2 tokens back, not full, when another token's request runs the sweep.
	h.clock.Advance(2 * time.Minute)
	wantStatus(t, h.serve(t, listAs(colleagueToken)), http.StatusOK)
	wantStatus(t, h.serve(t, listAs(testToken)), http.StatusOK)
	wantRateLimited(t, h.serve(t, listAs(testToken)), "80")
}

func TestNewServerRejectsBadRateLimits(t *testing.T) {
	tests := []struct {
		name  string
		rate  float64
		burst int
	}{
		{"negative rate", -1, 10},
		{"NaN rate", math.NaN(), 10},
		{"infinite rate", math.Inf(1), 10},
		{"rate without burst", 5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := httpapi.NewServer(httpapi.Config{Buckets: &fakeBuckets{}, Authenticator: fakeAuthenticator{},
				Idempotency: newFakeIdempotency(), RequestMAC: newRequestMAC(t, "k1:"+testMasterKey), Readiness: &fakePinger{}, Audit: &fakeAudit{}, RateLimit: tc.rate, RateBurst: tc.burst})
			if err == nil {
				t.Fatalf("NewServer accepted RateLimit %g, RateBurst %d", tc.rate, tc.burst)
			}
		})
	}
}
