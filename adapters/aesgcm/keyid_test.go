package aesgcm_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/aesgcm"
)

func TestKeyIDOfNamesTheSealingKey(t *testing.T) {
	k1, k2 := "k1:"+randomKey(aesgcm.KeySize), "k2:"+randomKey(aesgcm.KeySize)
	old, rotated := newVault(t, k1), newVault(t, k2+","+k1)
	stranger := newVault(t, "k9:"+randomKey(aesgcm.KeySize))
	cases := []struct {
		name   string
		sealed []byte
		reader *aesgcm.Vault
		want   string
	}{
		{"sealed before the rotation", seal(t, old, "secret"), rotated, "k1"},
		{"sealed after the rotation", seal(t, rotated, "secret"), rotated, "k2"},
		{"key not in the reader's ring", seal(t, rotated, "secret"), stranger, "k2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, err := aesgcm.KeyIDOf(c.sealed); err != nil || got != c.want {
				t.Errorf("KeyIDOf = (%q, %v), want (%q, nil)", got, err, c.want)
			}
			if got, err := c.reader.KeyID(c.sealed); err != nil || got != c.want {
				t.Errorf("Vault.KeyID = (%q, %v), want (%q, nil)", got, err, c.want)
			}
		})
	}
}

func TestKeyIDOfRejectsMalformedHeaders(t *testing.T) {
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
		{"nil", nil, "sealed value is truncated: 0 bytes cannot hold a header"},
		{"one byte", sealed[:1], "sealed value is truncated: 1 bytes cannot hold a header"},
		{"other version", withByte(0, 2), "unsupported format version 2; this build reads version 1"},
		{"empty key id", withByte(1, 0), "malformed header: key id length 0 is outside 1 to 32"},
		{"key id too long", withByte(1, 33), "malformed header: key id length 33 is outside 1 to 32"},
		{"cut inside the key id", sealed[:3], "truncated inside its key id (3 of 4 header bytes)"},
		{"key id with a character no id has", withByte(2, 0xff), "malformed header: key id may only contain the characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := aesgcm.KeyIDOf(c.input)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("KeyIDOf = (%q, %v), want an error containing %q", id, err, c.wantErr)
			}
			// Open reads the header the same way, so it gives the same reason.
			if _, err := v.Open(t.Context(), c.input, scope); err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Open error = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestVaultKeyIDs(t *testing.T) {
	v := newVault(t, "k3:"+randomKey(aesgcm.KeySize)+",k1:"+randomKey(aesgcm.KeySize)+",k2:"+randomKey(aesgcm.KeySize))
	if got := v.ActiveKeyID(); got != "k3" {
		t.Errorf("ActiveKeyID() = %q, want the first entry k3", got)
	}
	if got := v.KeyIDs(); !slices.Equal(got, []string{"k3", "k1", "k2"}) {
		t.Errorf("KeyIDs() = %q, want the ring order [k3 k1 k2]", got)
	}
	v.KeyIDs()[0] = "changed"
	if got := v.ActiveKeyID(); got != "k3" {
		t.Errorf("changing the slice KeyIDs returned changed the vault: ActiveKeyID() = %q", got)
	}
}

// FuzzKeyIDOf feeds arbitrary bytes to KeyIDOf: it must never panic, and an id it returns is
// always one a key ring could hold, so it can be printed as it is.
func FuzzKeyIDOf(f *testing.F) {
	f.Add(seal(f, newVault(f, "k1:"+randomKey(aesgcm.KeySize)), "fuzz"))
	f.Add([]byte{1, 2, 'k', '1'})
	f.Add([]byte{1, 1, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := aesgcm.KeyIDOf(data)
		if err != nil {
			return
		}
		if _, err := aesgcm.GenerateKeyEntry(id); err != nil {
			t.Fatalf("KeyIDOf returned an id no ring can hold: %v", err)
		}
	})
}
