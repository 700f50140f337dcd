// Package argon2id hashes passwords with Argon2id (RFC 9106) and encodes each hash in the PHC
// string format, with its parameters, so that they can change while older hashes keep
// verifying:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<hash, base64>
package argon2id

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var _ ports.PasswordHasher = (*Hasher)(nil)

// Params are Argon2id's cost parameters.
type Params struct {
	// MemoryKiB is the memory one hash fills, in KiB.
	MemoryKiB uint32
	// Time is the number of passes over that memory.
	Time uint32
	// Threads is the degree of parallelism, which is part of the hash.
	Threads uint8
}

// DefaultParams are OWASP's first recommendation for Argon2id (19 MiB, 2 passes, 1 thread):
// about 20-30 ms of one core per hash on a current server, a cost that bounds an attacker with
// the stored hashes to tens of guesses per second per core, while a sign-in barely notices it.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const (
	saltBytes = 16
	hashBytes = 32
	// maxMemoryKiB bounds the memory of a stored hash's parameters (1 GiB), so that a hash
	// with absurd parameters is an error, never an allocation that takes the process down.
	maxMemoryKiB = 1 << 20
)

var b64 = base64.RawStdEncoding

// Hasher hashes and verifies passwords. At most Concurrency hashes run at once, so that a burst
// of sign-ins costs at most Concurrency times a hash's memory; the others wait their turn, or
// until their request ends.
type Hasher struct {
	params Params
	slots  chan struct{}
	// dummy is a hash of a random password under params, which Verify checks a password against
	// when there is no real hash, so that no answer comes back sooner for an unknown account.
	dummy string
}

// New returns a Hasher that hashes under params with at most concurrency hashes at once (0
// means GOMAXPROCS).
func New(params Params, concurrency int) (*Hasher, error) {
	if err := params.check(); err != nil {
		return nil, err
	}
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{params: params, slots: make(chan struct{}, concurrency)}
	var random [32]byte
	_, _ = rand.Read(random[:])
	dummy, err := h.Hash(context.Background(), domain.NewSecret(b64.EncodeToString(random[:])))
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

func (p Params) check() error {
	switch {
	case p.Time < 1 || p.Threads < 1:
		return fmt.Errorf("argon2id: time %d and threads %d must be at least 1", p.Time, p.Threads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("argon2id: memory %d KiB must be between 8 KiB per thread and %d KiB", p.MemoryKiB, maxMemoryKiB)
	}
	return nil
}

// Hash returns the PHC-encoded Argon2id hash of password under a fresh random salt.
func (h *Hasher) Hash(ctx context.Context, password domain.Secret) (string, error) {
	salt := make([]byte, saltBytes)
	_, _ = rand.Read(salt)
	sum, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encode(h.params, salt, sum), nil
}

// Verify reports whether password matches the encoded hash, comparing in constant time. An
// empty encoded is checked against the dummy hash and reports false.
func (h *Hasher) Verify(ctx context.Context, password domain.Secret, encoded string) (bool, error) {
	known := encoded != ""
	if !known {
		encoded = h.dummy
	}
	params, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got, err := h.derive(ctx, password, salt, params)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1 && known, nil
}

// derive runs Argon2id once a slot is free, or returns the context's error: a request that
// ended while it waited hashes nothing.
func (h *Hasher) derive(ctx context.Context, password domain.Secret, salt []byte, p Params) ([]byte, error) {
	busy := func() error {
		return domain.Wrap(domain.KindUnavailable, ctx.Err(), "the server is busy checking other passwords; retry shortly")
	}
	if ctx.Err() != nil {
		return nil, busy()
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, busy()
	}
	defer func() { <-h.slots }()
	return argon2.IDKey([]byte(password.Reveal()), salt, p.Time, p.MemoryKiB, p.Threads, hashBytes), nil
}

func encode(p Params, salt, sum []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(sum))
}

// errMalformed never quotes the hash: it is no secret's plain text, but it is nothing a log needs.
var errMalformed = errors.New("argon2id: the stored password hash is not a PHC-encoded argon2id hash of version 19")

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return Params{}, nil, nil, errMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil || p.check() != nil {
		return Params{}, nil, nil, errMalformed
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Params{}, nil, nil, errMalformed
	}
	sum, err := b64.DecodeString(parts[5])
	if err != nil || len(sum) < 16 {
		return Params{}, nil, nil, errMalformed
	}
	return p, salt, sum, nil
}
