package aesgcm

import (
	"crypto/hkdf"
	"crypto/sha256"

	"github.com/bucketd/bucketd/domain"
)

// DerivedKey is a key derived from one master key for a use other than sealing.
type DerivedKey struct {
	// ID is the id of the master key it was derived from.
	ID string
	// Key is KeySize bytes.
	Key domain.Secret
}

// Derive returns one key per master key, in configuration order (the active key's first): the
// HKDF-SHA-256 of the master key, without salt, with purpose as the info. Derivation lets
// another use of the ring (such as a MAC) share its keys, their distribution and their rotation
// without sharing the sealing keys themselves: keys derived for different purposes are
// independent of each other and of the AES keys, and none reveals its master key. The same ring
// and purpose give the same keys on every process.
func (r KeyRing) Derive(purpose string) []DerivedKey {
	out := make([]DerivedKey, 0, len(r.ids))
	for _, id := range r.ids {
		// Never fails: HKDF-SHA-256 refuses only outputs longer than 255 hashes.
		key, _ := hkdf.Key(sha256.New, []byte(r.keys[id].Reveal()), nil, purpose, KeySize)
		out = append(out, DerivedKey{ID: id, Key: domain.NewSecret(string(key))})
	}
	return out
}
