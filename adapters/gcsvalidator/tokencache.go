package gcsvalidator

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// renewBefore is how long before its expiry a cached token is renewed: far more than a
// validation lasts, so no validation starts with a token that dies on the way.
const renewBefore = 2 * time.Minute

// maxMintedTokens bounds the cache of impersonated accounts' tokens: one entry per account and
// scope validated within a token's lifetime, a few hundred bytes each.
const maxMintedTokens = 1024

// tokenCache keeps access tokens until shortly before they expire, at most max of them, and
// fetches each missing one once however many validations want it at the same time: the first
// fetches, the others wait for its result (a failure included, which is not kept). It is safe
// for concurrent use.
type tokenCache struct {
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*cachedToken
}

// cachedToken is a token being fetched (ready open) or fetched.
type cachedToken struct {
	ready   chan struct{}
	value   string
	renewAt time.Time
	a       answer
}

func newTokenCache(maxEntries int, now func() time.Time) *tokenCache {
	return &tokenCache{max: maxEntries, now: now, entries: map[string]*cachedToken{}}
}

// fetchFunc fetches a token: its value, its expiry and the answer that classifies a failure.
type fetchFunc func(ctx context.Context) (value string, expiry time.Time, a answer)

// get returns key's token, fetching it when none is cached or the cached one is due for
// renewal. cached reports whether the token came from the cache rather than this call's (or a
// concurrent call's) fetch.
func (c *tokenCache) get(ctx context.Context, key string, fetch fetchFunc) (value string, cached bool, a answer) {
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok {
		select {
		case <-e.ready:
			if c.now().Before(e.renewAt) {
				c.mu.Unlock()
				return e.value, true, answer{}
			}
			ok = false
		default:
		}
	}
	if ok { // another validation is fetching it: wait for its result
		c.mu.Unlock()
		select {
		case <-e.ready:
			return e.value, false, e.a
		case <-ctx.Done():
			return "", false, transportAnswer(ctx.Err())
		}
	}
	e = &cachedToken{ready: make(chan struct{})}
	c.makeRoom()
	c.entries[key] = e
	c.mu.Unlock()

	defer func() {
		if p := recover(); p != nil { // no waiter hangs on a fetch that panicked; Validate reports the panic
			e.a = answer{err: errFetchPanicked, kind: domain.KindInternal}
			c.settle(key, e, time.Time{})
			panic(p)
		}
	}()
	value, expiry, a := fetch(ctx)
	e.value, e.a = value, a
	c.settle(key, e, expiry)
	return value, false, a
}

// errFetchPanicked is what waiters see when the fetch they waited for panicked.
var errFetchPanicked = errors.New("the token fetch failed")

// settle publishes e's result to the waiters and keeps it only if it is a token with time left.
func (c *tokenCache) settle(key string, e *cachedToken, expiry time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.renewAt = expiry.Add(-renewBefore)
	if !e.a.ok() || !c.now().Before(e.renewAt) {
		if c.entries[key] == e {
			delete(c.entries, key)
		}
	}
	close(e.ready)
}

// forget drops key's token if it is value, as when the API refused it: the next get fetches a
// fresh one.
func (c *tokenCache) forget(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && e.value == value {
		delete(c.entries, key)
	}
}

// makeRoom makes room for one more entry: it drops the tokens due for renewal, and when the
// cache is still full the one renewed soonest. Tokens being fetched stay. c.mu is held.
func (c *tokenCache) makeRoom() {
	if len(c.entries) < c.max {
		return
	}
	now := c.now()
	var soonest string
	for key, e := range c.entries {
		select {
		case <-e.ready:
		default:
			continue
		}
		if !now.Before(e.renewAt) {
			delete(c.entries, key)
		} else if soonest == "" || e.renewAt.Before(c.entries[soonest].renewAt) {
			soonest = key
		}
	}
	if len(c.entries) >= c.max && soonest != "" {
		delete(c.entries, soonest)
	}
}
