package aesgcm_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/aesgcm"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/porttest"
)

var scope = ports.SecretScope{OrgID: "org-1", BucketID: "bucket-1", Field: ports.FieldSecret}

// newVault builds a vault over spec, in the BUCKETD_MASTER_KEYS format.
func newVault(tb testing.TB, spec string) *aesgcm.Vault {
	tb.Helper()
	ring, err := aesgcm.ParseKeyRing(spec)
	if err != nil {
		tb.Fatalf("ParseKeyRing: %v", err)
	}
	v, err := aesgcm.New(ring)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return v
}

func seal(tb testing.TB, v *aesgcm.Vault, plaintext string) []byte {
	tb.Helper()
	sealed, err := v.Seal(tb.Context(), domain.NewSecret(plaintext), scope)
	if err != nil {
		tb.Fatalf("Seal: %v", err)
	}
	return sealed
}

func TestVaultContract(t *testing.T) {
	porttest.RunVaultContract(t, func(t *testing.T) ports.Vault {
		return newVault(t, "k2:"+randomKey(aesgcm.KeySize)+",k1:"+randomKey(aesgcm.KeySize))
	})
}

func TestNewRejectsMissingRing(t *testing.T) {
	cases := map[string]*aesgcm.KeyRing{"nil": nil, "zero value": {}}
	for name, ring := range cases {
		t.Run(name, func(t *testing.T) {
			if v, err := aesgcm.New(ring); err == nil {
				t.Fatalf("New(%s ring) = %v, want an error", name, v)
			}
		})
	}
}

func TestSealedLayout(t *testing.T) {
	v := newVault(t, "key-1:"+randomKey(aesgcm.KeySize))
	sealed := seal(t, v, "abc")
	const nonce, tag = 12, 16
	if want := 2 + len("key-1") + nonce + len("abc") + tag; len(sealed) != want {
		t.Fatalf("sealed value has %d bytes, want %d", len(sealed), want)
	}
	if sealed[0] != 1 || sealed[1] != byte(len("key-1")) || string(sealed[2:7]) != "key-1" {
		t.Fatalf("header = %q, want version 1, length 5 and key id key-1", sealed[:7])
	}
}

func TestOpenWithAnotherRing(t *testing.T) {
	sealed := seal(t, newVault(t, "k1:"+randomKey(aesgcm.KeySize)), "secret")
	cases := []struct{ name, spec, wantErr string }{
		{
			"key id not in the ring", "k9:" + randomKey(aesgcm.KeySize),
			`open secret: key id "k1" is not in the key ring`,
		},
		{
			"same id, other key", "k1:" + randomKey(aesgcm.KeySize),
			"open secret: authentication failed (tampered ciphertext or wrong scope)",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := newVault(t, c.spec).Open(t.Context(), sealed, scope)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Open error = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestOldKeyOpensAfterRotation(t *testing.T) {
	k1, k2 := "k1:"+randomKey(aesgcm.KeySize), "k2:"+randomKey(aesgcm.KeySize)
	before := newVault(t, k1)
	after := newVault(t, k2+","+k1)

	sealedBefore := seal(t, before, "sealed under k1")
	if got, err := after.Open(t.Context(), sealedBefore, scope); err != nil || got.Reveal() != "sealed under k1" {
		t.Fatalf("the rotated ring cannot open what k1 sealed: (%q, %v)", got.Reveal(), err)
	}

	sealedAfter := seal(t, after, "sealed under k2")
	if id := string(sealedAfter[2 : 2+sealedAfter[1]]); id != "k2" {
		t.Fatalf("the rotated ring sealed under %q, want the active key k2", id)
	}
	if got, err := after.Open(t.Context(), sealedAfter, scope); err != nil || got.Reveal() != "sealed under k2" {
		t.Fatalf("Open = (%q, %v), want the plaintext", got.Reveal(), err)
	}
	if _, err := before.Open(t.Context(), sealedAfter, scope); err == nil || !strings.Contains(err.Error(), `key id "k2" is not in the key ring`) {
		t.Fatalf("the old ring opened a k2 value or failed for the wrong reason: %v", err)
	}
}

// Two ids may hold the same key bytes by operator mistake; the header is authenticated, so a
// value still cannot be relabelled from one to the other.
func TestHeaderIsAuthenticated(t *testing.T) {
	key := randomKey(aesgcm.KeySize)
	v := newVault(t, "ka:"+key+",kb:"+key)
	sealed := seal(t, v, "relabel me")
	copy(sealed[2:4], "kb")
	if got, err := v.Open(t.Context(), sealed, scope); err == nil {
		t.Fatalf("Open of a relabelled value succeeded with %d bytes; want an error", len(got.Reveal()))
	}
}

func TestOpenReportsMalformedInput(t *testing.T) {
	v := newVault(t, "k1:"+randomKey(aesgcm.KeySize))
	sealed := seal(t, v, "secret")
	withByte := func(i int, b byte) []byte {
		changed := bytes.Clone(sealed)
		changed[i] = b
		return changed
	}
	cases := []struct {
		name    string
		input   []byte
		wantErr string
	}{
		{"one byte", sealed[:1], "sealed value is truncated: 1 bytes cannot hold a header"},
		{"other version", withByte(0, 2), "unsupported format version 2; this build reads version 1"},
		{"empty key id", withByte(1, 0), "malformed header: key id length 0 is outside 1 to 32"},
		{"key id too long", withByte(1, 33), "malformed header: key id length 33 is outside 1 to 32"},
		{"cut inside the key id", sealed[:3], "truncated inside its key id (3 of 4 header bytes)"},
		{"cut inside the nonce", sealed[:10], "sealed value is truncated: 6 bytes after the header, at least 28 needed"},
		{"cut inside the tag", sealed[:len(sealed)-1], "authentication failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Open(t.Context(), c.input, scope)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Open error = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestFormattingHidesKeys(t *testing.T) {
	rawKey := bytes.Repeat([]byte{0xA7, 0x3C, 0x5E, 0x91}, aesgcm.KeySize/4)
	encoded := base64.StdEncoding.EncodeToString(rawKey)
	spec := "k1:" + encoded + ",k2:" + randomKey(aesgcm.KeySize)
	ring, err := aesgcm.ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	v, err := aesgcm.New(ring)
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{encoded, encoded[:8], hex.EncodeToString(rawKey[:4]), fmt.Sprintf("%d", rawKey[:4]), string(rawKey[:4])}
	forbidden = append(forbidden, strings.Trim(fmt.Sprintf("%d", rawKey[:4]), "[]"), fmt.Sprintf("%#v", rawKey[:4])[len("[]byte{"):])

	var logged bytes.Buffer
	loggers := []*slog.Logger{slog.New(slog.NewTextHandler(&logged, nil)), slog.New(slog.NewJSONHandler(&logged, nil))}
	values := map[string]any{"*KeyRing": ring, "KeyRing": *ring, "*Vault": v, "Vault": *v}
	for name, value := range values {
		var out strings.Builder
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			fmt.Fprintf(&out, verb+"\n", value)
		}
		for _, logger := range loggers {
			logger.Info("value", "v", value)
		}
		for _, f := range forbidden {
			if strings.Contains(out.String(), f) || strings.Contains(logged.String(), f) {
				t.Fatalf("printing a %s shows key material %q:\n%s\n%s", name, f, out.String(), logged.String())
			}
		}
	}
}

// FuzzOpen feeds arbitrary bytes to Open: it must never panic, and nothing but the one value
// the vault sealed may open.
func FuzzOpen(f *testing.F) {
	v := newVault(f, "k1:"+randomKey(aesgcm.KeySize))
	sealed := seal(f, v, "fuzz")
	f.Add(sealed)
	f.Add([]byte{1, 2, 'k', '1'})
	f.Add([]byte{1, 33})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := v.Open(t.Context(), data, scope)
		if err == nil && !bytes.Equal(data, sealed) {
			t.Fatalf("Open of a value the vault never sealed returned %d bytes", len(got.Reveal()))
		}
	})
}

// typicalSecret has the length of an AWS secret access key.
const typicalSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

func BenchmarkSeal(b *testing.B) {
	v := newVault(b, "k1:"+randomKey(aesgcm.KeySize))
	secret := domain.NewSecret(typicalSecret)
	b.SetBytes(int64(len(typicalSecret)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Seal(b.Context(), secret, scope); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen opens under the active key, and under an older key of the ring, as every
// value sealed before a rotation is until `bucketd keys rotate` has resealed it.
func BenchmarkOpen(b *testing.B) {
	k1, k2 := "k1:"+randomKey(aesgcm.KeySize), "k2:"+randomKey(aesgcm.KeySize)
	v := newVault(b, k2+","+k1)
	for _, bc := range []struct {
		name   string
		sealed []byte
	}{
		{"active key", seal(b, v, typicalSecret)},
		{"old key", seal(b, newVault(b, k1), typicalSecret)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if got, err := v.Open(b.Context(), bc.sealed, scope); err != nil || got.Reveal() != typicalSecret {
				b.Fatalf("Open = (%q, %v), want the plaintext", got.Reveal(), err)
			}
			b.SetBytes(int64(len(typicalSecret)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Open(b.Context(), bc.sealed, scope); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
