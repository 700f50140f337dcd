package aesgcm_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/aesgcm"
)

// randomKey returns n random bytes in standard base64, as a key appears in a key ring spec.
func randomKey(n int) string {
	raw := make([]byte, n)
	_, _ = rand.Read(raw)
	return base64.StdEncoding.EncodeToString(raw)
}

// requireNoKeyMaterial fails when text holds any of the base64 keys, or even their first
// eight characters.
func requireNoKeyMaterial(t *testing.T, text string, keys ...string) {
	t.Helper()
	for _, key := range keys {
		if strings.Contains(text, key[:8]) {
			t.Fatalf("%q contains key material", text)
		}
	}
}

func TestParseKeyRing(t *testing.T) {
	keyA, keyB := randomKey(aesgcm.KeySize), randomKey(aesgcm.KeySize)
	longestID := "Az_09-" + strings.Repeat("x", 26)
	cases := []struct {
		name    string
		spec    string
		wantIDs []string // the active one first
	}{
		{"single key", "k1:" + keyA, []string{"k1"}},
		{"first entry is active", "k2:" + keyB + ",k1:" + keyA, []string{"k2", "k1"}},
		{"whitespace around entries", "  k2:" + keyB + " ,\n k1:" + keyA + "\n", []string{"k2", "k1"}},
		{"longest id with every character class", longestID + ":" + keyA, []string{longestID}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ring, err := aesgcm.ParseKeyRing(c.spec)
			if err != nil {
				t.Fatalf("ParseKeyRing: %v", err)
			}
			if got := ring.ActiveID(); got != c.wantIDs[0] {
				t.Errorf("ActiveID() = %q, want %q", got, c.wantIDs[0])
			}
			if got := ring.IDs(); !slices.Equal(got, c.wantIDs) {
				t.Errorf("IDs() = %q, want %q", got, c.wantIDs)
			}
		})
	}
}

func TestParseKeyRingRejects(t *testing.T) {
	keyA, keyB := randomKey(aesgcm.KeySize), randomKey(aesgcm.KeySize)
	short, long := randomKey(16), randomKey(33)
	cases := []struct{ name, spec, wantErr string }{
		{"empty", "", "no key given"},
		{"only whitespace", " \n\t", "no key given"},
		{"key without id", keyA, "entry 1: entry is not of the form id:base64key"},
		{"empty id", ":" + keyA, "entry 1: key id has 0 characters"},
		{"id too long", strings.Repeat("k", 33) + ":" + keyA, "key id has 33 characters; it must have 1 to 32"},
		{"id with a dot", "k.1:" + keyA, "key id may only contain"},
		{"key in place of the id", keyB + ":" + keyA, "entry 1: key id"},
		{"not base64", "k1:not*base64", `key "k1" is not valid standard base64`},
		{"url-safe base64", "k1:" + strings.NewReplacer("+", "-", "/", "_").Replace(keyA) + "-_", `key "k1" is not valid standard base64`},
		{"empty key", "k1:", `key "k1" decodes to 0 bytes; AES-256 needs exactly 32`},
		{"16-byte key", "k1:" + short, `key "k1" decodes to 16 bytes`},
		{"33-byte key", "k1:" + long, `key "k1" decodes to 33 bytes`},
		{"duplicate id", "k1:" + keyA + ",k2:" + keyB + ",k1:" + keyB, `entry 3: key id "k1" appears more than once`},
		{"trailing comma", "k1:" + keyA + ",", "entry 2: entry is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ring, err := aesgcm.ParseKeyRing(c.spec)
			if err == nil {
				t.Fatalf("ParseKeyRing succeeded with ids %q; want an error containing %q", ring.IDs(), c.wantErr)
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %q does not contain %q", err, c.wantErr)
			}
			requireNoKeyMaterial(t, err.Error(), keyA, keyB, short, long)
		})
	}
}

func TestLoadKeyRingFile(t *testing.T) {
	key := randomKey(aesgcm.KeySize)
	cases := []struct {
		name    string
		mode    fs.FileMode
		content string
		wantErr string // empty for success
	}{
		{"owner read-write with trailing newline", 0o600, "k1:" + key + "\n", ""},
		{"owner read-only", 0o400, "k1:" + key, ""},
		{"group readable", 0o640, "k1:" + key, "has mode 0640, which lets group or others access the keys; run `chmod 600"},
		{"world readable", 0o604, "k1:" + key, "has mode 0604"},
		{"group writable", 0o620, "k1:" + key, "has mode 0620"},
		{"bad content", 0o600, "k1:" + key[:21], `parse master keys: entry 1: key "k1" is not valid standard base64`},
		{"empty file", 0o600, "\n", "parse master keys: no key given"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, c.mode); err != nil {
				t.Fatal(err)
			}
			ring, err := aesgcm.LoadKeyRingFile(path)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadKeyRingFile: %v", err)
				}
				if got := ring.ActiveID(); got != "k1" {
					t.Fatalf("ActiveID() = %q, want k1", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadKeyRingFile succeeded; want an error containing %q", c.wantErr)
			}
			if !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not contain %q and the path", err, c.wantErr)
			}
			requireNoKeyMaterial(t, err.Error(), key)
		})
	}
}

func TestLoadKeyRingFileNotAFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := aesgcm.LoadKeyRingFile(dir); err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Fatalf("LoadKeyRingFile(directory) error = %v, want one saying it is not a regular file", err)
	}
	missing := filepath.Join(dir, "missing.key")
	if _, err := aesgcm.LoadKeyRingFile(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadKeyRingFile(missing) error = %v, want fs.ErrNotExist", err)
	}
}

func TestGenerateKeyEntry(t *testing.T) {
	first, err := aesgcm.GenerateKeyEntry("dev-1")
	if err != nil {
		t.Fatalf("GenerateKeyEntry: %v", err)
	}
	second, err := aesgcm.GenerateKeyEntry("dev-2")
	if err != nil {
		t.Fatalf("GenerateKeyEntry: %v", err)
	}
	ring, err := aesgcm.ParseKeyRing(first + "," + second)
	if err != nil {
		t.Fatalf("the generated entries do not parse back: %v", err)
	}
	if got := ring.IDs(); !slices.Equal(got, []string{"dev-1", "dev-2"}) {
		t.Fatalf("IDs() = %q, want [dev-1 dev-2]", got)
	}
	_, firstKey, _ := strings.Cut(first, ":")
	_, secondKey, _ := strings.Cut(second, ":")
	if firstKey == secondKey {
		t.Fatal("two generated keys are equal")
	}
	for _, id := range []string{"", "bad id", strings.Repeat("k", 33)} {
		if entry, err := aesgcm.GenerateKeyEntry(id); err == nil {
			t.Errorf("GenerateKeyEntry(%q) = %d chars, want an error", id, len(entry))
		}
	}
}

func TestIDsIsACopy(t *testing.T) {
	ring, err := aesgcm.ParseKeyRing("k1:" + randomKey(aesgcm.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ring.IDs()[0] = "changed"
	if got := ring.ActiveID(); got != "k1" {
		t.Fatalf("changing the slice IDs returned changed the ring: ActiveID() = %q", got)
	}
}
