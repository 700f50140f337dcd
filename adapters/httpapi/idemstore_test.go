package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// fakeIdempotency is an in-memory ports.IdempotencyStore with the port's documented semantics,
// so the middleware is tested against them rather than against whatever a mock was told:
//
//   - an absent key, an answer past its expiry, or a claim older than the lease: a fresh claim;
//   - a fingerprint the request does not match, running or answered: KindIdempotencyKeyReused
//     (or the request's error when it cannot tell);
//   - a running claim within the lease: KindIdempotencyInProgress;
//   - a kept answer with the same fingerprint: that answer;
//   - Complete needs a running claim; Abandon drops a running claim and leaves answers alone.
//
// It logs every call, so tests can tell whether the store was touched at all.
type fakeIdempotency struct {
	mu   sync.Mutex
	keys map[orgKey]*heldKey
	ops  []storeOp
}

// orgKey is an Idempotency-Key of one organization: keys of different organizations never meet.
type orgKey struct{ org, key string }

// heldKey is a claimed key: running while answer is nil, answered otherwise.
type heldKey struct {
	fingerprint []byte
	claimedAt   time.Time
	answer      *ports.StoredResponse
	expiresAt   time.Time
}

// storeOp is one call the store received.
type storeOp struct{ method, org, key string }

func newFakeIdempotency() *fakeIdempotency {
	return &fakeIdempotency{keys: map[orgKey]*heldKey{}}
}

func (s *fakeIdempotency) Begin(_ context.Context, orgID, key string, fingerprint ports.RequestFingerprint, now time.Time, lease time.Duration) (*ports.StoredResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = append(s.ops, storeOp{"Begin", orgID, key})
	k := orgKey{orgID, key}
	held, ok := s.keys[k]
	switch {
	case !ok,
		held.answer != nil && !now.Before(held.expiresAt),
		held.answer == nil && now.Sub(held.claimedAt) >= lease:
		s.keys[k] = &heldKey{fingerprint: bytes.Clone(fingerprint.Stored()), claimedAt: now}
		return nil, nil
	}
	same, err := fingerprint.Matches(held.fingerprint)
	switch {
	case err != nil:
		return nil, err
	case !same:
		return nil, domain.Errorf(domain.KindIdempotencyKeyReused,
			"Idempotency-Key %q was used for a different request; use a new key", key)
	case held.answer == nil:
		return nil, domain.Errorf(domain.KindIdempotencyInProgress,
			"a request with this Idempotency-Key is still being processed; retry shortly")
	}
	replay := ports.StoredResponse{Status: held.answer.Status, Body: bytes.Clone(held.answer.Body)}
	return &replay, nil
}

func (s *fakeIdempotency) Complete(_ context.Context, orgID, key string, resp ports.StoredResponse, expiresAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = append(s.ops, storeOp{"Complete", orgID, key})
	held, ok := s.keys[orgKey{orgID, key}]
	if !ok || held.answer != nil {
		return fmt.Errorf("complete Idempotency-Key %q: no running claim", key)
	}
	held.answer = &ports.StoredResponse{Status: resp.Status, Body: bytes.Clone(resp.Body)}
	held.expiresAt = expiresAt
	return nil
}

func (s *fakeIdempotency) Abandon(_ context.Context, orgID, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = append(s.ops, storeOp{"Abandon", orgID, key})
	k := orgKey{orgID, key}
	if held, ok := s.keys[k]; ok && held.answer == nil {
		delete(s.keys, k)
	}
	return nil
}

func (s *fakeIdempotency) Purge(_ context.Context, now time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = append(s.ops, storeOp{"Purge", "", ""})
	var n int64
	for k, held := range s.keys {
		if held.answer != nil && !now.Before(held.expiresAt) {
			delete(s.keys, k)
			n++
		}
	}
	return n, nil
}

// calls returns the calls the store received so far.
func (s *fakeIdempotency) calls() []storeOp {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]storeOp(nil), s.ops...)
}
