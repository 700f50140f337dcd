package argon2id_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/argon2id"
	"github.com/bucketd/bucketd/domain"
)

// cheap keeps the tests fast; the parameters are read back from each hash, so nothing in the
// logic depends on their size.
var cheap = argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}

func newHasher(t *testing.T, p argon2id.Params) *argon2id.Hasher {
	t.Helper()
	h, err := argon2id.New(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashVerifies(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, cheap)
	pw := domain.NewSecret("correct horse battery staple")
	encoded, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(encoded, pw.Reveal()) {
		t.Fatalf("encoded hash %q: want the PHC form with its parameters, without the password", encoded)
	}
	if again, _ := h.Hash(ctx, pw); again == encoded {
		t.Error("two hashes of one password are equal: the salt is not fresh")
	}
	for password, want := range map[string]bool{pw.Reveal(): true, "Correct horse battery staple": false, "": false} {
		ok, err := h.Verify(ctx, domain.NewSecret(password), encoded)
		if err != nil || ok != want {
			t.Errorf("Verify(%q) = %t, %v; want %t", password, ok, err, want)
		}
	}
}

func TestHashesUnderOtherParametersKeepVerifying(t *testing.T) {
	ctx := context.Background()
	pw := domain.NewSecret("correct horse battery staple")
	old, err := newHasher(t, cheap).Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := newHasher(t, argon2id.Params{MemoryKiB: 128, Time: 2, Threads: 2}).Verify(ctx, pw, old); err != nil || !ok {
		t.Fatalf("a hash made under other parameters: Verify = %t, %v", ok, err)
	}
}

func TestVerifyWithoutHashIsFalse(t *testing.T) {
	ok, err := newHasher(t, cheap).Verify(context.Background(), domain.NewSecret("anything"), "")
	if err != nil || ok {
		t.Fatalf("Verify against no hash = %t, %v; want false, nil", ok, err)
	}
}

func TestVerifyRefusesMalformedHashes(t *testing.T) {
	h := newHasher(t, cheap)
	for _, encoded := range []string{
		"plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
	} {
		if ok, err := h.Verify(context.Background(), domain.NewSecret("x"), encoded); err == nil || ok {
			t.Errorf("Verify(%q) = %t, %v; want an error", encoded, ok, err)
		}
	}
}

func TestNewRefusesUnsoundParameters(t *testing.T) {
	for _, p := range []argon2id.Params{{MemoryKiB: 64, Time: 0, Threads: 1}, {MemoryKiB: 4, Time: 1, Threads: 1}, {MemoryKiB: 64, Time: 1, Threads: 0}} {
		if _, err := argon2id.New(p, 1); err == nil {
			t.Errorf("New(%+v) accepted unsound parameters", p)
		}
	}
}

func TestAnEndedRequestHashesNothing(t *testing.T) {
	h := newHasher(t, cheap)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Verify(ctx, domain.NewSecret("pw"), ""); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("Verify with an ended context: %v; want KindUnavailable", err)
	}
}

// BenchmarkHashDefault measures one hash under DefaultParams, the cost docs/security.md quotes:
// go test -run '^$' -bench HashDefault -benchtime 20x ./adapters/argon2id/
func BenchmarkHashDefault(b *testing.B) {
	h, err := argon2id.New(argon2id.DefaultParams, 1)
	if err != nil {
		b.Fatal(err)
	}
	pw := domain.NewSecret("correct horse battery staple")
	for b.Loop() {
		if _, err := h.Hash(context.Background(), pw); err != nil {
			b.Fatal(err)
		}
	}
}
