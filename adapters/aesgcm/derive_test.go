package aesgcm_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/aesgcm"
	"github.com/bucketd/bucketd/ports"
)

// Known answer: HKDF-SHA-256 of a 32-byte zero key, no salt, info "purpose", 32 bytes:
// python3 -c "import hmac,hashlib;p=hmac.new(bytes(32),bytes(32),hashlib.sha256).digest();print(hmac.new(p,b'purpose\x01',hashlib.sha256).hexdigest())"
const derivedFromZeroKey = "77b9a71be31be541b388d834d821f67db541c6d830b9973630ef89a4c78ded10"

func TestDeriveMatchesAKnownAnswer(t *testing.T) {
	ring, err := aesgcm.ParseKeyRing("zero:" + strings.Repeat("A", 43) + "=")
	if err != nil {
		t.Fatal(err)
	}
	keys := ring.Derive("purpose")
	if len(keys) != 1 || keys[0].MasterKeyID != "zero" {
		t.Fatalf("Derive = %v, want one key derived from key zero", keys)
	}
	if got := hex.EncodeToString([]byte(keys[0].Key.Reveal())); got != derivedFromZeroKey {
		t.Errorf("derived key = %s, want %s", got, derivedFromZeroKey)
	}
}

func TestDeriveGivesOneIndependentKeyPerMasterKeyAndPurpose(t *testing.T) {
	keyA, keyB := randomKey(aesgcm.KeySize), randomKey(aesgcm.KeySize)
	ring, err := aesgcm.ParseKeyRing("k2:" + keyB + ",k1:" + keyA)
	if err != nil {
		t.Fatal(err)
	}
	one, again, other := ring.Derive("one"), ring.Derive("one"), ring.Derive("other")
	if len(one) != 2 || one[0].MasterKeyID != "k2" || one[1].MasterKeyID != "k1" {
		t.Fatalf("Derive = %v, want keys of k2 then k1, in ring order", one)
	}
	seen := map[string]string{}
	for i := range one {
		if !one[i].Key.Equal(again[i].Key) {
			t.Errorf("deriving from %s twice gave two keys", one[i].MasterKeyID)
		}
		for what, k := range map[string]ports.DerivedKey{"one": one[i], "other": other[i]} {
			raw := k.Key.Reveal()
			if len(raw) != aesgcm.KeySize {
				t.Errorf("key derived from %s for %s has %d bytes, want %d", k.MasterKeyID, what, len(raw), aesgcm.KeySize)
			}
			label := fmt.Sprintf("%s for %s", k.MasterKeyID, what)
			if prev, dup := seen[raw]; dup {
				t.Errorf("the key derived from %s equals the one from %s", label, prev)
			}
			seen[raw] = label
		}
	}
	for _, master := range []string{keyA, keyB} {
		raw, _ := base64.StdEncoding.DecodeString(master)
		if _, dup := seen[string(raw)]; dup {
			t.Error("a derived key is its master key")
		}
	}
}
