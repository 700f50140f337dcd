package httpapi_test

import (
	"context"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/metricstest"
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
			for _, limit := range []struct {
				name string
				set  func(*httpapi.Config)
			}{
				{"RateLimit", func(cfg *httpapi.Config) { cfg.RateLimit, cfg.RateBurst = tc.rate, tc.burst }},
				{"AuthFailureLimit", func(cfg *httpapi.Config) { cfg.AuthFailureLimit, cfg.AuthFailureBurst = tc.rate, tc.burst }},
			} {
				cfg := httpapi.Config{Buckets: &fakeBuckets{}, SignIn: &fakeSignIn{}, Authenticator: fakeAuthenticator{},
					Idempotency: newFakeIdempotency(), RequestMAC: newRequestMAC(t, "k1:"+testMasterKey), Readiness: &fakePinger{}, Audit: &fakeAudit{}}
				limit.set(&cfg)
				if _, err := httpapi.NewServer(cfg); err == nil {
					t.Errorf("NewServer accepted %s %g with burst %d", limit.name, tc.rate, tc.burst)
				}
			}
		})
	}
}

// authFailuresLimited configures a harness to allow each client address perSecond refused
// tokens with bursts of burst, and counts the lookups of its authenticator.
func authFailuresLimited(perSecond float64, burst int, lookups *countingAuthenticator) func(*httpapi.Config) {
	return func(cfg *httpapi.Config) {
		cfg.AuthFailureLimit, cfg.AuthFailureBurst = perSecond, burst
		cfg.Authenticator = lookups
	}
}

// countingAuthenticator is fakeAuthenticator counting its lookups, each a database query in
// the real one.
type countingAuthenticator struct {
	fakeAuthenticator
	calls atomic.Int64
}

func (a *countingAuthenticator) Authenticate(ctx context.Context, token domain.Secret) (domain.Principal, error) {
	a.calls.Add(1)
	return a.fakeAuthenticator.Authenticate(ctx, token)
}

// listFrom is GET /bucket with token from the client at peer.
func listFrom(peer, token string) *http.Request {
	req := listAs(token)
	req.RemoteAddr = peer
	return req
}

// TestAuthFailuresAreLimitedBeforeAnyLookup shows the budget of refused tokens per client
// address: once spent, every request with a token from the address is refused RATE_LIMITED
// without a lookup and without being tallied for the audit trail, until the budget refills;
// other addresses keep theirs.
func TestAuthFailuresAreLimitedBeforeAnyLookup(t *testing.T) {
	lookups := &countingAuthenticator{}
	h := newHarness(t, authFailuresLimited(1, 3, lookups))
	const attacker, neighbour = "203.0.113.9:5000", "203.0.113.10:5000"
	for i := range 3 {
		wantError(t, h.serve(t, listFrom(attacker, "bkd_bogus_"+strconv.Itoa(i))), http.StatusUnauthorized, "UNAUTHENTICATED")
	}
	for range 5 {
		wantRateLimited(t, h.serve(t, listFrom(attacker, "bkd_bogus_more")), "1")
	}
	// The address, not the token, is over its budget: a valid token from it waits too.
	wantRateLimited(t, h.serve(t, listFrom(attacker, testToken)), "1")
	if n := lookups.calls.Load(); n != 3 {
		t.Errorf("%d token lookups, want 3: a request over the budget must not reach the authenticator", n)
	}
	wantStatus(t, h.serve(t, listFrom(neighbour, testToken)), http.StatusOK)
	wantError(t, h.serve(t, listFrom(neighbour, "bkd_bogus_n")), http.StatusUnauthorized, "UNAUTHENTICATED")
	// A request without a token costs no lookup and spends no budget.
	wantError(t, h.serve(t, func() *http.Request {
		req := httptest.NewRequest(http.MethodGet, "/bucket", nil)
		req.RemoteAddr = neighbour
		return req
	}()), http.StatusUnauthorized, "UNAUTHENTICATED")

	// At one per second, the budget refills by one refusal a second.
	h.clock.Advance(time.Second)
	wantError(t, h.serve(t, listFrom(attacker, "bkd_bogus_refilled")), http.StatusUnauthorized, "UNAUTHENTICATED")
	wantRateLimited(t, h.serve(t, listFrom(attacker, "bkd_bogus_refilled")), "1")
	// A valid token spends nothing once the address is under its budget again.
	h.clock.Advance(time.Second)
	for range 3 {
		wantStatus(t, h.serve(t, listFrom(attacker, testToken)), http.StatusOK)
	}
	wantError(t, h.serve(t, listFrom(attacker, "bkd_bogus_last")), http.StatusUnauthorized, "UNAUTHENTICATED")

	h.flushRefusals()
	counts := map[string]int{}
	for _, e := range h.audit.recorded() {
		counts[e.ClientAddr] += e.Count
	}
	if want := map[string]int{"203.0.113.9": 5, "203.0.113.10": 1}; !maps.Equal(counts, want) {
		t.Errorf("refusals audited per address = %v, want %v: limited requests are not tallied", counts, want)
	}
	scrape := metricstest.Parse(t, h.serve(t, httptest.NewRequest(http.MethodGet, "/metrics", nil)).body)
	for name, want := range map[string]float64{
		"bucketd_auth_failures_total":   6,
		"bucketd_rate_limited_total":    7,
		"bucketd_auth_failure_limiters": 2,
	} {
		if got := scrape.Value(t, name); got != want {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
	// Budgets that refilled are forgotten at the next sweep: a valid token creates none.
	h.clock.Advance(time.Hour)
	wantStatus(t, h.serve(t, listFrom(attacker, testToken)), http.StatusOK)
	scrape = metricstest.Parse(t, h.serve(t, httptest.NewRequest(http.MethodGet, "/metrics", nil)).body)
	if got := scrape.Value(t, "bucketd_auth_failure_limiters"); got != 0 {
		t.Errorf("bucketd_auth_failure_limiters = %g an hour later, want 0", got)
	}
}

// TestAuthFailureBudgetIsPerClientAddress shows what shares a budget: an IPv6 /64, whose
// addresses one host can pick at will, and never the forwarded headers of an untrusted client.
func TestAuthFailureBudgetIsPerClientAddress(t *testing.T) {
	tests := []struct {
		name          string
		trusted       string
		first, second *http.Request
		shared        bool
	}{
		{"IPv6 addresses of one /64", "", listFrom("[2001:db8:1:2::1]:5000", "bkd_bogus"), listFrom("[2001:db8:1:2:ffff::9]:5000", "bkd_bogus"), true},
		{"IPv6 addresses of two /64s", "", listFrom("[2001:db8:1:2::1]:5000", "bkd_bogus"), listFrom("[2001:db8:1:3::1]:5000", "bkd_bogus"), false},
		{"IPv4 neighbours", "", listFrom("192.0.2.1:5000", "bkd_bogus"), listFrom("192.0.2.2:5000", "bkd_bogus"), false},
		{"an untrusted client varying X-Forwarded-For", "10.0.0.0/8",
			forwarded(listFrom("192.0.2.1:5000", "bkd_bogus"), "198.51.100.1"), forwarded(listFrom("192.0.2.1:5000", "bkd_bogus"), "198.51.100.2"), true},
		{"two clients behind a trusted proxy", "10.0.0.0/8",
			forwarded(listFrom("10.0.0.1:5000", "bkd_bogus"), "198.51.100.1"), forwarded(listFrom("10.0.0.1:5000", "bkd_bogus"), "198.51.100.2"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, authFailuresLimited(0.01, 1, &countingAuthenticator{}), trusting(t, tc.trusted))
			wantError(t, h.serve(t, tc.first), http.StatusUnauthorized, "UNAUTHENTICATED")
			res := h.serve(t, tc.second)
			if tc.shared {
				wantRateLimited(t, res, "100")
			} else {
				wantError(t, res, http.StatusUnauthorized, "UNAUTHENTICATED")
			}
		})
	}
}

// forwarded adds an X-Forwarded-For header naming client.
func forwarded(req *http.Request, client string) *http.Request {
	req.Header.Set("X-Forwarded-For", client)
	return req
}

func TestAuthFailureLimitOff(t *testing.T) {
	lookups := &countingAuthenticator{}
	h := newHarness(t, authFailuresLimited(0, 0, lookups))
	for i := range 200 {
		if res := h.record(listFrom("203.0.113.9:5000", "bkd_bogus")); res.status != http.StatusUnauthorized {
			t.Fatalf("refused token %d answered %d %s without a configured limit", i, res.status, res.body)
		}
	}
	if n := lookups.calls.Load(); n != 200 {
		t.Errorf("%d lookups, want 200", n)
	}
}

// gatedAuthenticator counts its lookups and holds each until open is closed.
type gatedAuthenticator struct {
	countingAuthenticator
	open chan struct{}
}

func (a *gatedAuthenticator) Authenticate(ctx context.Context, token domain.Secret) (domain.Principal, error) {
	a.calls.Add(1)
	<-a.open
	return a.fakeAuthenticator.Authenticate(ctx, token)
}

// TestConcurrentRefusedTokensStayWithinTheBudget sends 50 bogus tokens at once from an address
// with two refusals left while the lookups are slow: only two are looked up, the others are
// refused at once, so a flood cannot send more lookups to a slow database than its budget
// allows. An address with half its budget left or more keeps its concurrency.
func TestConcurrentRefusedTokensStayWithinTheBudget(t *testing.T) {
	const burst, flood = 20, 50
	lookups := &gatedAuthenticator{open: make(chan struct{})}
	h := newHarness(t, func(cfg *httpapi.Config) {
		cfg.AuthFailureLimit, cfg.AuthFailureBurst, cfg.Authenticator = 0.001, burst, lookups
	})
	var openOnce sync.Once
	openAll := func() { openOnce.Do(func() { close(lookups.open) }) }
	t.Cleanup(openAll)
	// sendAll sends n bogus tokens at once from peer and returns their statuses as they come.
	sendAll := func(peer string, n int) <-chan int {
		statuses := make(chan int, n)
		for i := range n {
			go func() { statuses <- h.record(listFrom(peer, "bkd_bogus_"+strconv.Itoa(i))).status }()
		}
		return statuses
	}
	// next returns the next status, failing t if none comes in time.
	next := func(statuses <-chan int) int {
		select {
		case status := <-statuses:
			return status
		case <-time.After(10 * time.Second):
			t.Fatalf("no answer within 10 s; %d lookups are running", lookups.calls.Load())
			return 0
		}
	}

	// An address that failed once keeps its concurrency: 30 lookups run at once.
	const neighbour = "203.0.113.10:5000"
	go func() { lookups.open <- struct{}{} }()
	wantError(t, h.record(listFrom(neighbour, "bkd_bogus_once")), http.StatusUnauthorized, "UNAUTHENTICATED")
	before := lookups.calls.Load()
	concurrent := sendAll(neighbour, 30)
	for deadline := time.Now().Add(10 * time.Second); lookups.calls.Load()-before < 30; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 30 lookups running at once from an address with 19 refusals left, want all", lookups.calls.Load()-before)
		}
	}
	for range 30 {
		lookups.open <- struct{}{}
		if status := next(concurrent); status != http.StatusUnauthorized {
			t.Fatalf("a bogus token from an address with its budget answered %d, want 401", status)
		}
	}

	const attacker = "203.0.113.9:5000"
	for i := range burst - 2 {
		go func() { lookups.open <- struct{}{} }()
		wantError(t, h.record(listFrom(attacker, "bkd_bogus_first_"+strconv.Itoa(i))), http.StatusUnauthorized, "UNAUTHENTICATED")
	}
	before = lookups.calls.Load()
	statuses := sendAll(attacker, flood)
	for range flood - 2 {
		if status := next(statuses); status != http.StatusTooManyRequests {
			t.Fatalf("a bogus token beyond the budget answered %d while two lookups were running, want 429", status)
		}
	}
	if n := lookups.calls.Load() - before; n != 2 {
		t.Errorf("%d lookups of the 50 sent at once, want the 2 the budget has left", n)
	}
	openAll()
	for range 2 {
		if status := next(statuses); status != http.StatusUnauthorized {
			t.Errorf("a looked-up bogus token answered %d, want 401", status)
		}
	}
	wantRateLimited(t, h.serve(t, listFrom(attacker, "bkd_bogus_after")), "1000")
}
