package aesgcm

import (
	"crypto/hkdf"
	"crypto/sha256"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var _ ports.KeyDeriver = (*KeyRing)(nil)

// Derive returns one key of KeySize bytes per master key, in configuration order (the active
// key's first): the HKDF-SHA-256 of the master key, without salt, with purpose as the info.
// Derivation lets another use of the ring (such as a MAC) share its keys, their distribution
// and their rotation without sharing the sealing keys themselves: keys derived for different
// purposes are independent of each other and of the AES keys, and none reveals its master key.
// The same ring and purpose give the same keys on every process.
func (r KeyRing) Derive(purpose string) []ports.DerivedKey {
	out := make([]ports.DerivedKey, 0, len(r.ids))
	for _, id := range r.ids {
		// Never fails: HKDF-SHA-256 refuses only outputs longer than 255 hashes.
		key, _ := hkdf.Key(sha256.New, []byte(r.keys[id].Reveal()), nil, purpose, KeySize)
		out = append(out, ports.DerivedKey{MasterKeyID: id, Key: domain.NewSecret(string(key))})
	}
	return out
}
