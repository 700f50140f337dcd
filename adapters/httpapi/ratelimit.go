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
// address for the bearer tokens it sends that are refused (admitTokenLookup).
//
// It counts in this process only, so behind a load balancer with N processes a key may send up
// to N times the rate. That is acceptable because the limit is a throttle against runaway
// clients and floods, not a correctness rule (bucket quotas are enforced in the database): an
// exact cluster-wide count would cost a shared-store round trip on every request. Operators size
// the per-process rate with the number of processes in mind, or turn it off and limit at their
// proxy.
//
// Memory stays bounded by the keys active within a sweep interval: a bucket that has refilled,
// with no request holding part of it, is dropped, which changes nothing, since a new bucket
// starts full.
type rateLimiter[K comparable] struct {
	limit rate.Limit
	burst int
	// tracked reports how many buckets are kept.
	tracked prometheus.Gauge

	mu        sync.Mutex
	buckets   map[K]*bucket
	lastSweep time.Time
}

// bucket is one key's token bucket, and how many requests hold one of its tokens (hold)
// until they know whether they spend it.
type bucket struct {
	*rate.Limiter
	held int
}

// limiterKey identifies a token without holding it: its user and the SHA-256 digest the
// database also stores.
type limiterKey struct {
	userID string
	digest [sha256.Size]byte
}

func newRateLimiter[K comparable](perSecond float64, burst int, tracked prometheus.Gauge) *rateLimiter[K] {
	return &rateLimiter[K]{limit: rate.Limit(perSecond), burst: burst, tracked: tracked, buckets: map[K]*bucket{}}
}

// allow takes one request from key's bucket at now. When the bucket is empty it takes nothing
// and reports how long until a request would be allowed.
func (l *rateLimiter[K]) allow(key K, now time.Time) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{Limiter: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
		l.tracked.Set(float64(len(l.buckets)))
	}
	if b.AllowN(now, 1) {
		return 0, true
	}
	return l.waitFor(b.TokensAt(now)), false
}

// hold admits a request that spends one of key's tokens only if it fails, such as a token
// lookup, and returns release, to be called with its outcome and the time then. It admits none
// while the bucket, less the tokens held, has less than one token left, and reports how long
// until it would.
//
// Once less than half the bucket is left, each request admitted holds a token until it is
// released, so however many arrive at once, no more of them run than their failures could pay
// for: a flood gets one request per token refilled, not one per request that arrived while the
// last one ran. Above half, requests run unheld, so a client that fails now and then keeps its
// concurrency; a key without a bucket has not failed of late. The cost is one wave, the
// requests already running when the bucket falls below half.
func (l *rateLimiter[K]) hold(key K, now time.Time) (release func(failed bool, at time.Time), wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	left := float64(l.burst)
	if b != nil {
		left = b.TokensAt(now) - float64(b.held)
	}
	switch {
	case left < 1:
		return nil, l.waitFor(left), false
	case left >= float64(l.burst)/2:
		return func(failed bool, at time.Time) {
			if failed {
				l.allow(key, at)
			}
		}, 0, true
	}
	b.held++
	return func(failed bool, at time.Time) {
		l.mu.Lock()
		defer l.mu.Unlock()
		b.held--
		if failed {
			b.AllowN(at, 1)
		}
	}, 0, true
}

// waitFor is how long until a bucket holding tokens (less than one) has one.
func (l *rateLimiter[K]) waitFor(tokens float64) time.Duration {
	return time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
}

// sweep drops, at most once per limiterSweepInterval, the buckets that are full again and that
// no request holds.
func (l *rateLimiter[K]) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < limiterSweepInterval {
		return
	}
	l.lastSweep = now
	for key, b := range l.buckets {
		if b.held == 0 && b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, key)
		}
	}
	l.tracked.Set(float64(len(l.buckets)))
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

// failureKey is the key under which a client address's refused tokens are counted
// (domain.ClientPrefix).
func failureKey(clientAddr string) netip.Prefix { return domain.ClientPrefix(clientAddr) }

// admitTokenLookup admits the lookup of a bearer token sent from the client address key, or
// answers 429 RATE_LIMITED with Retry-After while the address's budget of refused tokens is
// spent: before the token is looked up, so a flood of bogus tokens from one address costs at
// most a lookup per refusal its budget allows, however many requests it sends at once, and a
// valid token from that address waits too. The caller calls release with whether the token was
// refused, which spends the budget, and the time then.
func (s *Server) admitTokenLookup(c echo.Context, key netip.Prefix) (release func(refused bool, at time.Time), err error) {
	if s.failures == nil {
		return func(bool, time.Time) {}, nil
	}
	release, wait, ok := s.failures.hold(key, s.now())
	if !ok {
		return nil, rateLimited(c, wait, "this client address sent more than %d refused API tokens at once, or more than %g per second",
			s.failures.burst, float64(s.failures.limit))
	}
	return release, nil
}

// rateLimited sets Retry-After to wait in whole seconds, rounded up, and returns the
// RATE_LIMITED error whose message is why, then when to retry.
func rateLimited(c echo.Context, wait time.Duration, why string, args ...any) error {
	seconds := max(1, int(math.Ceil(wait.Seconds())))
	c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
	return domain.Errorf(domain.KindRateLimited, "%s; retry after %d s", fmt.Sprintf(why, args...), seconds)
}
