package requestmac_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/aesgcm"
	"github.com/bucketd/bucketd/adapters/requestmac"
)

// entry returns a key ring entry for id with 32 fresh random bytes, and the key in base64.
func entry(t *testing.T, id string) (spec, key string) {
	t.Helper()
	raw := make([]byte, aesgcm.KeySize)
	_, _ = rand.Read(raw)
	key = base64.StdEncoding.EncodeToString(raw)
	return id + ":" + key, key
}

func newMAC(t *testing.T, spec string) *requestmac.MAC {
	t.Helper()
	ring, err := aesgcm.ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	m, err := requestmac.New(ring)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The MAC of "request" under the key HKDF-SHA-256 derives from a 32-byte zero master key with
// the info "bucketd idempotency fingerprint v1":
//
//	python3 -c "import hmac,hashlib;prk=hmac.new(bytes(32),bytes(32),hashlib.sha256).digest();
//	k=hmac.new(prk,b'bucketd idempotency fingerprint v1\x01',hashlib.sha256).digest();
//	print(hmac.new(k,b'request',hashlib.sha256).hexdigest())"
const knownMAC = "7d27f2600a6414135268ec1e4993f6aefc9e821ea696919e42d5fdac64b033c5"

func TestSumMatchesAKnownAnswer(t *testing.T) {
	m := newMAC(t, "zero:"+base64.StdEncoding.EncodeToString(make([]byte, aesgcm.KeySize)))
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
	k1, _ := entry(t, "k1")
	m := newMAC(t, k1)
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
	other, _ := entry(t, "k1")
	if ok, err := newMAC(t, other).Verify([]byte("create A"), sum); ok || err != nil {
		t.Errorf("Verify under another k1 = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyAfterRotation(t *testing.T) {
	k1, _ := entry(t, "k1")
	k2, _ := entry(t, "k2")
	old := newMAC(t, k1).Sum([]byte("create A"))
	rotated := newMAC(t, k2+","+k1)
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
	k1, _ := entry(t, "k1")
	m := newMAC(t, k1)
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

func TestNewRefusesNoRing(t *testing.T) {
	if _, err := requestmac.New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
	if _, err := requestmac.New(&aesgcm.KeyRing{}); err == nil {
		t.Error("New of an empty ring succeeded")
	}
}

func TestMACPrintsNoKey(t *testing.T) {
	k1, master := entry(t, "k1")
	ring, err := aesgcm.ParseKeyRing(k1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := requestmac.New(ring)
	if err != nil {
		t.Fatal(err)
	}
	macKey := []byte(ring.Derive("bucketd idempotency fingerprint v1")[0].Key.Reveal())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		printed := fmt.Sprintf(verb, m) + fmt.Sprintf(verb, *m)
		for _, leak := range []string{master[:8], string(macKey[:4]), hex.EncodeToString(macKey[:4]), fmt.Sprintf("%d", macKey[:4])} {
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
