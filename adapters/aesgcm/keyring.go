package aesgcm

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bucketd/bucketd/domain"
)

// KeySize is the length in bytes of a master key: AES-256 takes 32.
const KeySize = 32

// maxKeyIDLen bounds a key id so it fits the one-byte length prefix of the sealed format with
// room to spare, and stays short enough to repeat on every ciphertext.
const maxKeyIDLen = 32

// KeyRing holds the master keys. Every key can open; only the active one seals, so a new key
// can be introduced first in the list while ciphertexts sealed under older keys keep opening
// until `bucketd keys rotate` has re-sealed them.
//
// A KeyRing formats itself, by value or by pointer and with any verb, as its key ids only.
// That takes the Format method below: fmt cannot call domain.Secret's own redaction on an
// unexported field, and would print the raw key bytes.
type KeyRing struct {
	ids  []string // in configuration order; ids[0] is the active key
	keys map[string]domain.Secret
}

// ParseKeyRing reads the value of BUCKETD_MASTER_KEYS: comma-separated entries of the form
// id:base64key, where id is 1 to 32 characters of A-Z a-z 0-9 _ - and base64key is the
// standard base64 encoding of 32 random bytes. The FIRST entry is the active key, used to seal;
// the others only open. To rotate, put the new key first and keep the old ones after it.
// Whitespace around entries is ignored. Errors name the entry and the rule it breaks and
// never repeat key material.
func ParseKeyRing(spec string) (*KeyRing, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("parse master keys: no key given; expected comma-separated id:base64key entries, " +
			"the first one active, e.g. k1:$(openssl rand -base64 32)")
	}
	ring := &KeyRing{keys: make(map[string]domain.Secret)}
	for i, entry := range strings.Split(spec, ",") {
		id, key, err := parseKeyEntry(strings.TrimSpace(entry))
		if err != nil {
			return nil, fmt.Errorf("parse master keys: entry %d: %w", i+1, err)
		}
		if _, dup := ring.keys[id]; dup {
			return nil, fmt.Errorf("parse master keys: entry %d: key id %q appears more than once; give every key its own id", i+1, id)
		}
		ring.ids = append(ring.ids, id)
		ring.keys[id] = key
	}
	return ring, nil
}

// parseKeyEntry splits one id:base64key entry. Its errors quote only a valid key id.
func parseKeyEntry(entry string) (string, domain.Secret, error) {
	if entry == "" {
		return "", domain.Secret{}, errors.New("entry is empty; remove the stray comma")
	}
	id, encoded, ok := strings.Cut(entry, ":")
	if !ok {
		return "", domain.Secret{}, errors.New("entry is not of the form id:base64key")
	}
	if err := checkKeyID(id); err != nil {
		return "", domain.Secret{}, err
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", domain.Secret{}, fmt.Errorf("key %q is not valid standard base64", id)
	}
	if len(raw) != KeySize {
		return "", domain.Secret{}, fmt.Errorf("key %q decodes to %d bytes; AES-256 needs exactly %d", id, len(raw), KeySize)
	}
	return id, domain.NewSecret(string(raw)), nil
}

// checkKeyID enforces the key id rule. An invalid id is not quoted back: a mistyped entry may
// hold key material where the id should be.
func checkKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLen {
		return fmt.Errorf("key id has %d characters; it must have 1 to %d", len(id), maxKeyIDLen)
	}
	for _, c := range id {
		if !isKeyIDChar(c) {
			return errors.New("key id may only contain the characters A-Z a-z 0-9 _ -")
		}
	}
	return nil
}

func isKeyIDChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// LoadKeyRingFile reads a key ring in the ParseKeyRing format from a file, such as the
// ./var/master.key that `bucketd serve --dev` creates. The file holds master keys, so it is
// refused when its mode lets the group or others read, write or run it.
func LoadKeyRingFile(path string) (*KeyRing, error) {
	f, err := os.Open(path) //nolint:gosec // G304: the operator names the key file; reading it is the point
	if err != nil {
		return nil, fmt.Errorf("load master keys: %w", err)
	}
	defer func() { _ = f.Close() }() // read only: a failed close loses nothing
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load master keys: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("load master keys: %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("load master keys: %s has mode %#o, which lets group or others access the keys; run `chmod 600 %s`", path, perm, path)
	}
	content, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("load master keys: read %s: %w", path, err)
	}
	ring, err := ParseKeyRing(string(content))
	if err != nil {
		return nil, fmt.Errorf("load master keys from %s: %w", path, err)
	}
	return ring, nil
}

// GenerateKeyEntry returns a new id:base64key entry holding 32 fresh random bytes, ready to
// be put first in BUCKETD_MASTER_KEYS or written to a key file.
func GenerateKeyEntry(id string) (string, error) {
	if err := checkKeyID(id); err != nil {
		return "", fmt.Errorf("generate master key: %w", err)
	}
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // never fails: crypto/rand crashes the program rather than return short
	return id + ":" + base64.StdEncoding.EncodeToString(key), nil
}

// ActiveID returns the id of the key that seals, so `bucketd keys status` can report it.
func (r KeyRing) ActiveID() string {
	if len(r.ids) == 0 {
		return ""
	}
	return r.ids[0]
}

// IDs returns every key id in configuration order, the active one first.
func (r KeyRing) IDs() []string { return append([]string(nil), r.ids...) }

// Format implements fmt.Formatter for every verb, showing the key ids and never the keys.
func (r KeyRing) Format(f fmt.State, _ rune) { writeDescription(f, "aesgcm.KeyRing", r.ids) }

// writeDescription is the printed form of a key ring and of a vault built over one.
func writeDescription(w io.Writer, typeName string, ids []string) {
	active := ""
	if len(ids) > 0 {
		active = ids[0]
	}
	_, _ = fmt.Fprintf(w, "%s{active: %q, ids: %q}", typeName, active, ids)
}
