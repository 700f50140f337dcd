package awsrole

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// cacheKey is what assumed credentials are cached by: the same role assumed for another
// organization, or with another ExternalId, is another entry.
type cacheKey struct {
	arn, externalID, orgID string
}

// entry is one role's credentials, or the AssumeRole request under way for them (ready open).
type entry struct {
	ready chan struct{}
	creds aws.Credentials
	err   error
}

// cache holds assumed credentials until renewBefore before they expire, at most max of them.
type cache struct {
	max     int
	mu      sync.Mutex
	entries map[cacheKey]*entry
}

func newCache(maxEntries int) *cache {
	return &cache{max: maxEntries, entries: map[cacheKey]*entry{}}
}

// fresh reports whether e holds credentials good for longer than renewBefore at now.
func (e *entry) fresh(now time.Time) bool {
	select {
	case <-e.ready:
		return e.err == nil && now.Before(e.creds.Expires.Add(-renewBefore))
	default:
		return false
	}
}

// get returns key's cached credentials when fresh, waits for a fetch under way, or else fetches
// them itself and caches the result; a failure is not cached, so the next caller asks again.
func (c *cache) get(ctx context.Context, key cacheKey, now func() time.Time,
	fetch func(context.Context) (aws.Credentials, error)) (aws.Credentials, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		if e.fresh(now()) {
			c.mu.Unlock()
			return e.creds, nil
		}
		select {
		case <-e.ready: // stale or failed: replace it below
		default:
			c.mu.Unlock()
			select {
			case <-e.ready:
				return e.creds, e.err
			case <-ctx.Done():
				return aws.Credentials{}, ctx.Err()
			}
		}
	}
	e := &entry{ready: make(chan struct{})}
	c.makeRoom(now())
	c.entries[key] = e
	c.mu.Unlock()

	e.creds, e.err = fetch(ctx)
	close(e.ready)
	if e.err != nil {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	return e.creds, e.err
}

// makeRoom drops entries until one more fits: the stale ones first, then the one that expires
// soonest. Requests under way are kept while anything else can go. c.mu is held.
func (c *cache) makeRoom(now time.Time) {
	if len(c.entries) < c.max {
		return
	}
	for k, e := range c.entries {
		if isDone(e) && !e.fresh(now) {
			delete(c.entries, k)
		}
	}
	for len(c.entries) >= c.max {
		delete(c.entries, c.victim())
	}
}

// victim is the entry to drop: of those fetched, the one that expires soonest; any one when
// every entry is a request under way. c.mu is held.
func (c *cache) victim() cacheKey {
	var victim cacheKey
	var soonest time.Time
	found := false
	for k, e := range c.entries {
		if isDone(e) && (!found || e.creds.Expires.Before(soonest)) {
			victim, soonest, found = k, e.creds.Expires, true
		}
	}
	if !found {
		for k := range c.entries {
			return k
		}
	}
	return victim
}

func isDone(e *entry) bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}
