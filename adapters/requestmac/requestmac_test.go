package requestmac_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/requestmac"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// purpose is what the MAC keys are derived for. Changing it changes every MAC key, so that
// fingerprints stored before the change no longer match their retries.
const purpose = "bucketd idempotency fingerprint v1"

// masterKey is one master key of a ring, by id, with the key it gives the MAC.
type masterKey struct {
	id     string
	macKey []byte
}

// newMasterKey returns a master key whose MAC key is 32 fresh random bytes.
func newMasterKey(id string) masterKey {
	k := masterKey{id: id, macKey: make([]byte, 32)}
	_, _ = rand.Read(k.macKey)
	return k
}

// ring stands for the master key ring, the active key first. It gives each master key's MAC
// key for any purpose and records the purposes it was asked for.
type ring struct {
	keys  []masterKey
	asked []string
}

func (r *ring) Derive(purpose string) []ports.DerivedKey {
	r.asked = append(r.asked, purpose)
	out := make([]ports.DerivedKey, len(r.keys))
	for i, k := range r.keys {
		out[i] = ports.DerivedKey{MasterKeyID: k.id, Key: domain.NewSecret(string(k.macKey))}
	}
	return out
}

func newMAC(t *testing.T, keys ...masterKey) *requestmac.MAC {
	t.Helper()
	m, err := requestmac.New(&ring{keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The HMAC-SHA-256 of "request" under a 32-byte zero key:
//
//	python3 -c "import hmac,hashlib;print(hmac.new(bytes(32),b'request',hashlib.sha256).hexdigest())"
const knownMAC = "4291cfc334aa15bc57dc633eff080082f22d21ccdc54e54de86bc2ee561dbac8"

func TestSumMatchesAKnownAnswer(t *testing.T) {
	r := &ring{keys: []masterKey{{id: "zero", macKey: make([]byte, 32)}}}
	m, err := requestmac.New(r)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.asked, []string{purpose}) {
		t.Errorf("New derived keys for %q, want them for %q only", r.asked, purpose)
	}
	got := m.Sum([]byte("request"))
	want := append([]byte{1, 4}, "zero"...)
	want = append(want, mustHex(t, knownMAC)...)
	if !bytes.Equal(got, want) {
		t.Errorf("Sum = %x, want %x", got, want)
	}
	plain := sha256.Sum256([]byte("request"))
	if bytes.Contains(got, plain[:8]) {
		t.Errorf("Sum %x holds the plain SHA-256 of the request", got)
	}
}

func TestVerify(t *testing.T) {
	m := newMAC(t, newMasterKey("k1"))
	sum := m.Sum([]byte("create A"))
	if ok, err := m.Verify([]byte("create A"), sum); !ok || err != nil {
		t.Errorf("Verify of the same request = %v, %v; want true", ok, err)
	}
	for what, msg := range map[string]string{"another request": "create B", "a longer request": "create A ", "no request": ""} {
		if ok, err := m.Verify([]byte(msg), sum); ok || err != nil {
			t.Errorf("Verify of %s = %v, %v; want false, nil", what, ok, err)
		}
	}
	// Another ring with a key of the same id is another key: the MAC does not verify.
	if ok, err := newMAC(t, newMasterKey("k1")).Verify([]byte("create A"), sum); ok || err != nil {
		t.Errorf("Verify under another k1 = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyAfterRotation(t *testing.T) {
	k1, k2 := newMasterKey("k1"), newMasterKey("k2")
	old := newMAC(t, k1).Sum([]byte("create A"))
	rotated := newMAC(t, k2, k1)
	if ok, err := rotated.Verify([]byte("create A"), old); !ok || err != nil {
		t.Errorf("Verify, with k2 active, of a fingerprint made under k1 = %v, %v; want true", ok, err)
	}
	if ok, err := rotated.Verify([]byte("create B"), old); ok || err != nil {
		t.Errorf("Verify, with k2 active, of another request's fingerprint under k1 = %v, %v; want false, nil", ok, err)
	}
	fresh := rotated.Sum([]byte("create A"))
	if !bytes.HasPrefix(fresh, []byte("\x01\x02k2")) {
		t.Errorf("Sum with k2 active = %x, want it made under k2", fresh)
	}
	_, err := newMAC(t, k2).Verify([]byte("create A"), old)
	if err == nil || !strings.Contains(err.Error(), `master key "k1"`) {
		t.Errorf("Verify without k1 of a fingerprint made under it: error %v, want one naming k1", err)
	}
}

func TestVerifyRefusesOtherLayouts(t *testing.T) {
	m := newMAC(t, newMasterKey("k1"))
	sum := m.Sum([]byte("create A"))
	plain := sha256.Sum256([]byte("create A"))
	for what, s := range map[string][]byte{
		"nothing":                 nil,
		"an unkeyed SHA-256":      plain[:],
		"another format version":  append([]byte{2}, sum[1:]...),
		"a key id of zero bytes":  append([]byte{1, 0}, sum[4:]...),
		"a truncated MAC":         sum[:len(sum)-1],
		"a byte after the MAC":    append(bytes.Clone(sum), 0),
		"a key id longer than it": {1, 200, 'k', '1'},
	} {
		if ok, err := m.Verify([]byte("create A"), s); ok || err == nil {
			t.Errorf("Verify of %s = %v, %v; want an error", what, ok, err)
		}
	}
}

func TestNewRefusesNoKeys(t *testing.T) {
	if _, err := requestmac.New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
	if _, err := requestmac.New(&ring{}); err == nil {
		t.Error("New of a ring without keys succeeded")
	}
}

func TestMACPrintsNoKey(t *testing.T) {
	k1 := newMasterKey("k1")
	m := newMAC(t, k1)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		printed := fmt.Sprintf(verb, m) + fmt.Sprintf(verb, *m)
		for _, leak := range []string{string(k1.macKey[:4]), hex.EncodeToString(k1.macKey[:4]), fmt.Sprintf("%d", k1.macKey[:4])} {
			if strings.Contains(printed, leak) {
				t.Errorf("%s of a MAC prints key material: %q", verb, printed)
			}
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
