package azurevalidator

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// Token cache bounds. Entra issues storage tokens for an hour or more; a token is used until
// tokenMargin before it expires, so no request carries one that could expire on the way.
const (
	tokenMargin     = 5 * time.Minute
	maxCachedTokens = 1024
)

// tokenID names the service principal a token belongs to. The secret is part of it: a token is
// only ever handed to a caller who presented the secret it was obtained with.
type tokenID struct {
	authority, tenant, clientID, secret string
}

// tokenCache keeps the storage tokens of service principals, so that validating many buckets
// of one principal, and the health job's rounds, cost one token request an hour instead of one
// each. It holds at most max tokens; when full it drops the expired ones, then the one expiring
// soonest. Entries are keyed by an HMAC of the tokenID under a key of the process's own, so the
// cache holds no client secret. Failures are never cached. It is safe for concurrent use;
// concurrent misses for one principal may each ask the authority, and the last token is kept.
type tokenCache struct {
	mu      sync.Mutex
	key     []byte
	entries map[[sha256.Size]byte]azcore.AccessToken
	max     int
	now     func() time.Time
}

func newTokenCache(maxEntries int, now func() time.Time) *tokenCache {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand never fails on the platforms Go supports
	return &tokenCache{key: key, entries: map[[sha256.Size]byte]azcore.AccessToken{}, max: maxEntries, now: now}
}

// get returns id's cached token while it has more than tokenMargin to live, and otherwise asks
// fetch and keeps what it returns.
func (c *tokenCache) get(ctx context.Context, id tokenID, fetch func(context.Context) (azcore.AccessToken, error)) (azcore.AccessToken, error) {
	k := c.keyOf(id)
	c.mu.Lock()
	tok, ok := c.entries[k]
	fresh := ok && c.usable(tok)
	c.mu.Unlock()
	if fresh {
		return tok, nil
	}
	tok, err := fetch(ctx)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.usable(tok) {
		c.makeRoom()
		c.entries[k] = tok
	}
	return tok, nil
}

// usable reports whether tok has more than tokenMargin to live.
func (c *tokenCache) usable(tok azcore.AccessToken) bool {
	return c.now().Add(tokenMargin).Before(tok.ExpiresOn)
}

// makeRoom drops what must go before one more entry fits: the expired entries, then, while the
// cache is full, the entry expiring soonest. The caller holds mu.
func (c *tokenCache) makeRoom() {
	if len(c.entries) < c.max {
		return
	}
	for k, tok := range c.entries {
		if !c.usable(tok) {
			delete(c.entries, k)
		}
	}
	for len(c.entries) >= c.max {
		var soonest [sha256.Size]byte
		var first time.Time
		for k, tok := range c.entries {
			if first.IsZero() || tok.ExpiresOn.Before(first) {
				soonest, first = k, tok.ExpiresOn
			}
		}
		delete(c.entries, soonest)
	}
}

// len is how many tokens the cache holds.
func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *tokenCache) keyOf(id tokenID) [sha256.Size]byte {
	mac := hmac.New(sha256.New, c.key)
	for _, part := range []string{id.authority, id.tenant, id.clientID, id.secret} {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(part)))
		mac.Write(n[:])
		mac.Write([]byte(part))
	}
	var k [sha256.Size]byte
	copy(k[:], mac.Sum(nil))
	return k
}
