package httpapi

import (
	"crypto/sha256"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// limiterSweepInterval is how often the limiters of tokens gone quiet are dropped.
const limiterSweepInterval = time.Minute

// rateLimiter throttles each API token to a steady rate with bursts: a token bucket per token.
//
// It counts in this process only, so behind a load balancer with N processes a token may send
// up to N times the rate. That is acceptable because the limit is a throttle against runaway
// clients and floods, not a correctness rule (bucket quotas are enforced in the database): an
// exact cluster-wide count would cost a shared-store round trip on every request. Operators size
// the per-process rate with the number of processes in mind, or turn it off and limit at their
// proxy.
//
// Memory stays bounded: limiters exist only for tokens that authenticated, and a limiter whose
// bucket has refilled is dropped, which changes nothing, since a new limiter starts full.
type rateLimiter struct {
	limit rate.Limit
	burst int
	// tracked reports how many limiters are held.
	tracked prometheus.Gauge

	mu        sync.Mutex
	limiters  map[limiterKey]*rate.Limiter
	lastSweep time.Time
}

// limiterKey identifies a token without holding it: its user and the SHA-256 digest the
// database also stores.
type limiterKey struct {
	userID string
	digest [sha256.Size]byte
}

func newRateLimiter(perSecond float64, burst int, tracked prometheus.Gauge) *rateLimiter {
	return &rateLimiter{limit: rate.Limit(perSecond), burst: burst, tracked: tracked, limiters: map[limiterKey]*rate.Limiter{}}
}

// allow takes one request from key's bucket at now. When the bucket is empty it takes nothing
// and reports how long until a request would be allowed.
func (l *rateLimiter) allow(key limiterKey, now time.Time) (wait time.Duration, ok bool) {
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
	missing := 1 - lim.TokensAt(now)
	return time.Duration(missing / float64(l.limit) * float64(time.Second)), false
}

// sweep drops, at most once per limiterSweepInterval, the limiters whose bucket is full again.
func (l *rateLimiter) sweep(now time.Time) {
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
// Retry-After (whole seconds, rounded up) when its bucket is empty. authenticate calls it, so
// the limit holds before any body is read or validated, whatever the request.
func (s *Server) limitRate(c echo.Context, p domain.Principal, token domain.Secret) error {
	if s.limiter == nil {
		return nil
	}
	wait, ok := s.limiter.allow(limiterKey{userID: p.UserID, digest: [sha256.Size]byte(domain.TokenDigest(token))}, s.now())
	if ok {
		return nil
	}
	seconds := max(1, int(math.Ceil(wait.Seconds())))
	c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
	return domain.Errorf(domain.KindRateLimited,
		"this API token sent more than %g requests per second (bursts of up to %d); retry after %d s",
		float64(s.limiter.limit), s.limiter.burst, seconds)
}
