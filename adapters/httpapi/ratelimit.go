package httpapi

import (
	"crypto/sha256"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// limiterSweepInterval is how often the limiters of keys gone quiet are dropped.
const limiterSweepInterval = time.Minute

// rateLimiter throttles each key to a steady rate with bursts: a token bucket per key. The
// server keeps two: one per API token for the requests it sends (limitRate), and one per client
// address for the bearer tokens it sends that are refused (limitAuthFailures).
//
// It counts in this process only, so behind a load balancer with N processes a key may send up
// to N times the rate. That is acceptable because the limit is a throttle against runaway
// clients and floods, not a correctness rule (bucket quotas are enforced in the database): an
// exact cluster-wide count would cost a shared-store round trip on every request. Operators size
// the per-process rate with the number of processes in mind, or turn it off and limit at their
// proxy.
//
// Memory stays bounded by the keys active within a sweep interval: a limiter whose bucket has
// refilled is dropped, which changes nothing, since a new limiter starts full.
type rateLimiter[K comparable] struct {
	limit rate.Limit
	burst int
	// tracked reports how many limiters are held.
	tracked prometheus.Gauge

	mu        sync.Mutex
	limiters  map[K]*rate.Limiter
	lastSweep time.Time
}

// limiterKey identifies a token without holding it: its user and the SHA-256 digest the
// database also stores.
type limiterKey struct {
	userID string
	digest [sha256.Size]byte
}

func newRateLimiter[K comparable](perSecond float64, burst int, tracked prometheus.Gauge) *rateLimiter[K] {
	return &rateLimiter[K]{limit: rate.Limit(perSecond), burst: burst, tracked: tracked, limiters: map[K]*rate.Limiter{}}
}

// allow takes one request from key's bucket at now. When the bucket is empty it takes nothing
// and reports how long until a request would be allowed.
func (l *rateLimiter[K]) allow(key K, now time.Time) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	lim := l.limiters[key]
	if lim == nil {
		lim = rate.NewLimiter(l.limit, l.burst)
		l.limiters[key] = lim
		l.tracked.Set(float64(len(l.limiters)))
	}
	if lim.AllowN(now, 1) {
		return 0, true
	}
	return l.waitOf(lim, now), false
}

// check reports, taking nothing, how long until key's bucket allows a request at now: 0 when it
// allows one already. A key without a limiter has a full bucket.
func (l *rateLimiter[K]) check(key K, now time.Time) (wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.limiters[key]
	if lim == nil || lim.TokensAt(now) >= 1 {
		return 0
	}
	return l.waitOf(lim, now)
}

// waitOf is how long until lim, whose bucket holds less than one request at now, allows one.
func (l *rateLimiter[K]) waitOf(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	return time.Duration(missing / float64(l.limit) * float64(time.Second))
}

// sweep drops, at most once per limiterSweepInterval, the limiters whose bucket is full again.
func (l *rateLimiter[K]) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < limiterSweepInterval {
		return
	}
	l.lastSweep = now
	for key, lim := range l.limiters {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.limiters, key)
		}
	}
	l.tracked.Set(float64(len(l.limiters)))
}

// limitRate charges one request to the caller's token, answering 429 RATE_LIMITED with
// Retry-After when its bucket is empty. authenticate calls it, so the limit holds before any
// body is read or validated, whatever the request.
func (s *Server) limitRate(c echo.Context, p domain.Principal, token domain.Secret) error {
	if s.limiter == nil {
		return nil
	}
	wait, ok := s.limiter.allow(limiterKey{userID: p.UserID, digest: [sha256.Size]byte(domain.TokenDigest(token))}, s.now())
	if ok {
		return nil
	}
	return rateLimited(c, wait, "this API token sent more than %g requests per second (bursts of up to %d)",
		float64(s.limiter.limit), s.limiter.burst)
}

// failureKey is the key under which a client address's refused tokens are counted: the address,
// or for IPv6 its /64 prefix, since one host commonly holds a whole /64 and could otherwise
// multiply its budget by the addresses it picks. An address that does not parse (a request not
// from a TCP connection) counts under the zero prefix.
func failureKey(clientAddr string) netip.Prefix {
	addr, err := netip.ParseAddr(clientAddr)
	if err != nil {
		return netip.Prefix{}
	}
	bits := addr.BitLen()
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

// limitAuthFailures answers 429 RATE_LIMITED with Retry-After, before any token is looked up,
// while the client address key has spent its budget of refused tokens; chargeAuthFailure
// spends it. So a flood of bogus tokens from one address costs a database lookup per budgeted
// refusal, and then none until the budget refills; a valid token from that address waits too.
func (s *Server) limitAuthFailures(c echo.Context, key netip.Prefix) error {
	if s.failures == nil {
		return nil
	}
	wait := s.failures.check(key, s.now())
	if wait == 0 {
		return nil
	}
	return rateLimited(c, wait, "this client address sent more than %d refused API tokens at once, or more than %g per second",
		s.failures.burst, float64(s.failures.limit))
}

// chargeAuthFailure spends one refused token of key's budget.
func (s *Server) chargeAuthFailure(key netip.Prefix) {
	if s.failures != nil {
		s.failures.allow(key, s.now())
	}
}

// rateLimited sets Retry-After to wait in whole seconds, rounded up, and returns the
// RATE_LIMITED error whose message is why, then when to retry.
func rateLimited(c echo.Context, wait time.Duration, why string, args ...any) error {
	seconds := max(1, int(math.Ceil(wait.Seconds())))
	c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
	return domain.Errorf(domain.KindRateLimited, "%s; retry after %d s", fmt.Sprintf(why, args...), seconds)
}
