// Package porttest holds the contract suites of the ports. Each suite takes a constructor and
// runs the same subtests against every adapter of a port, so all of them behave alike.
package porttest

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// RunVaultContract checks that a ports.Vault round-trips secrets, binds every ciphertext to its
// scope, and refuses, without panicking or leaking the plaintext, anything it did not seal
// exactly as given. newVault returns a ready vault; each subtest calls it once.
func RunVaultContract(t *testing.T, newVault func(t *testing.T) ports.Vault) {
	t.Helper()
	t.Run("RoundTrip", func(t *testing.T) { testVaultRoundTrip(t, newVault(t)) })
	t.Run("SealsOfSamePlaintextDiffer", func(t *testing.T) { testVaultSealsDiffer(t, newVault(t)) })
	t.Run("CiphertextHidesPlaintext", func(t *testing.T) { testVaultHidesPlaintext(t, newVault(t)) })
	t.Run("IncompleteScopeRefused", func(t *testing.T) { testVaultIncompleteScope(t, newVault(t)) })
	t.Run("WrongScopeFails", func(t *testing.T) { testVaultWrongScope(t, newVault(t)) })
	t.Run("TamperedByteFails", func(t *testing.T) { testVaultTampered(t, newVault(t)) })
	t.Run("TruncatedOrExtendedFails", func(t *testing.T) { testVaultTruncated(t, newVault(t)) })
	t.Run("GarbageFails", func(t *testing.T) { testVaultGarbage(t, newVault(t)) })
	t.Run("ConcurrentUse", func(t *testing.T) { testVaultConcurrent(t, newVault(t)) })
}

// vaultScope is the scope the subtests seal under unless they vary it.
var vaultScope = ports.SecretScope{OrgID: "org-a", BucketID: "bkt-b", Field: ports.FieldSecret}

func testVaultRoundTrip(t *testing.T, v ports.Vault) {
	large := make([]byte, 64<<10)
	for i := range large {
		large[i] = byte(i*31 + 7)
	}
	cases := []struct{ name, plaintext string }{
		{"empty", ""},
		{"one byte", "x"},
		{"whitespace", " \t\n"},
		{"unicode", "pässwörd 🔑 秘密"},
		{"pem", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg==\n-----END PRIVATE KEY-----\n"},
		{"binary", "\x00\xff\x01\xfe\x00"},
		{"64 KiB", string(large)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sealed := vaultMustSeal(t, v, c.plaintext, vaultScope)
			got, err := v.Open(t.Context(), sealed, vaultScope)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got.Reveal() != c.plaintext {
				t.Fatalf("Open returned %d bytes that differ from the %d sealed", len(got.Reveal()), len(c.plaintext))
			}
		})
	}
}

func testVaultSealsDiffer(t *testing.T, v ports.Vault) {
	const plaintext = "same plaintext twice"
	first := vaultMustSeal(t, v, plaintext, vaultScope)
	second := vaultMustSeal(t, v, plaintext, vaultScope)
	if bytes.Equal(first, second) {
		t.Fatal("two seals of the same plaintext and scope are identical; each seal needs a fresh nonce")
	}
	for _, sealed := range [][]byte{first, second} {
		if got, err := v.Open(t.Context(), sealed, vaultScope); err != nil || got.Reveal() != plaintext {
			t.Fatalf("Open = (%q, %v), want the plaintext", got.Reveal(), err)
		}
	}
}

func testVaultHidesPlaintext(t *testing.T, v ports.Vault) {
	const plaintext = "contract-plaintext-marker-0123456789"
	if sealed := vaultMustSeal(t, v, plaintext, vaultScope); bytes.Contains(sealed, []byte(plaintext)) {
		t.Fatal("the sealed value contains the plaintext")
	}
}

func testVaultIncompleteScope(t *testing.T, v ports.Vault) {
	const plaintext = "bound to nothing"
	cases := map[string]func(*ports.SecretScope){
		"no org id":    func(s *ports.SecretScope) { s.OrgID = "" },
		"no bucket id": func(s *ports.SecretScope) { s.BucketID = "" },
		"no field":     func(s *ports.SecretScope) { s.Field = "" },
	}
	for name, unset := range cases {
		t.Run(name, func(t *testing.T) {
			scope := vaultScope
			unset(&scope)
			sealed, err := v.Seal(t.Context(), domain.NewSecret(plaintext), scope)
			if err == nil {
				t.Fatalf("Seal with scope %+v succeeded (%d bytes); want an error", scope, len(sealed))
			}
			vaultCheckErrorHides(t, err, plaintext)
		})
	}
}

func testVaultWrongScope(t *testing.T, v ports.Vault) {
	const plaintext = "scoped secret"
	sealed := vaultMustSeal(t, v, plaintext, vaultScope)
	cases := map[string]ports.SecretScope{
		"other org":    {OrgID: "org-z", BucketID: vaultScope.BucketID, Field: vaultScope.Field},
		"other bucket": {OrgID: vaultScope.OrgID, BucketID: "bkt-z", Field: vaultScope.Field},
		"other field":  {OrgID: vaultScope.OrgID, BucketID: vaultScope.BucketID, Field: ports.FieldKey},
		"org and bucket swapped": {
			OrgID: vaultScope.BucketID, BucketID: vaultScope.OrgID, Field: vaultScope.Field,
		},
		// Same concatenation as vaultScope with a boundary moved: the encoding must tell them apart.
		"org/bucket boundary moved": {
			OrgID: vaultScope.OrgID + "b", BucketID: strings.TrimPrefix(vaultScope.BucketID, "b"), Field: vaultScope.Field,
		},
		"bucket/field boundary moved": {
			OrgID: vaultScope.OrgID, BucketID: vaultScope.BucketID + "s", Field: strings.TrimPrefix(vaultScope.Field, "s"),
		},
		"empty": {},
	}
	for name, scope := range cases {
		t.Run(name, func(t *testing.T) { vaultRequireOpenFails(t, v, sealed, scope, plaintext) })
	}
}

func testVaultTampered(t *testing.T, v ports.Vault) {
	const plaintext = "tamper with me"
	sealed := vaultMustSeal(t, v, plaintext, vaultScope)
	for i := range sealed {
		for _, mask := range []byte{0x01, 0x80} {
			tampered := bytes.Clone(sealed)
			tampered[i] ^= mask
			vaultRequireOpenFails(t, v, tampered, vaultScope, plaintext)
		}
	}
	if got, err := v.Open(t.Context(), sealed, vaultScope); err != nil || got.Reveal() != plaintext {
		t.Fatalf("the untouched value no longer opens: (%q, %v)", got.Reveal(), err)
	}
}

func testVaultTruncated(t *testing.T, v ports.Vault) {
	const plaintext = "cut me short"
	sealed := vaultMustSeal(t, v, plaintext, vaultScope)
	for n := range sealed {
		vaultRequireOpenFails(t, v, sealed[:n:n], vaultScope, plaintext)
	}
	vaultRequireOpenFails(t, v, append(bytes.Clone(sealed), 0), vaultScope, plaintext)
}

func testVaultGarbage(t *testing.T, v ports.Vault) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	cases := map[string][]byte{
		"nil":             nil,
		"empty":           {},
		"one byte":        {1},
		"text":            []byte("this was never sealed"),
		"random 16 bytes": random(16),
		"random 64 bytes": random(64),
		"random 4 KiB":    random(4 << 10),
	}
	for name, garbage := range cases {
		t.Run(name, func(t *testing.T) { vaultRequireOpenFails(t, v, garbage, vaultScope, "") })
	}
}

func testVaultConcurrent(t *testing.T, v ports.Vault) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				scope := ports.SecretScope{OrgID: "org-a", BucketID: string(rune('a'+g)) + "-bucket", Field: ports.FieldKey}
				plaintext := strings.Repeat("s", i)
				sealed, err := v.Seal(t.Context(), domain.NewSecret(plaintext), scope)
				if err != nil {
					t.Errorf("Seal: %v", err)
					return
				}
				if got, err := v.Open(t.Context(), sealed, scope); err != nil || got.Reveal() != plaintext {
					t.Errorf("Open = (%q, %v), want %q", got.Reveal(), err, plaintext)
					return
				}
			}
		})
	}
	wg.Wait()
}

func vaultMustSeal(t *testing.T, v ports.Vault, plaintext string, scope ports.SecretScope) []byte {
	t.Helper()
	sealed, err := v.Seal(t.Context(), domain.NewSecret(plaintext), scope)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return sealed
}

// vaultRequireOpenFails opens sealed and requires an error that does not carry plaintext,
// with no secret returned alongside it.
func vaultRequireOpenFails(t *testing.T, v ports.Vault, sealed []byte, scope ports.SecretScope, plaintext string) {
	t.Helper()
	got, err := v.Open(t.Context(), sealed, scope)
	if err == nil {
		t.Fatalf("Open of %x under %+v succeeded; want an error", sealed, scope)
	}
	if !got.IsZero() {
		t.Fatalf("Open failed with %q but still returned a %d-byte secret", err, len(got.Reveal()))
	}
	vaultCheckErrorHides(t, err, plaintext)
}

func vaultCheckErrorHides(t *testing.T, err error, plaintext string) {
	t.Helper()
	if plaintext != "" && strings.Contains(err.Error(), plaintext) {
		t.Fatalf("the error %q contains the plaintext", err)
	}
}
