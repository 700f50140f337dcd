// Package requestmac implements ports.RequestMAC with HMAC-SHA-256 under keys derived from the
// master key ring: the fingerprints that tell apart the requests sent with one
// Idempotency-Key, which must not let whoever reads the database confirm a guessed secret.
//
// Why the master key ring and not the fingerprint key (BUCKETD_FINGERPRINT_KEY): the ring is
// mandatory, so every server keys its request fingerprints, whereas the fingerprint key is
// optional and a server without one would have no key at all, while a plain hash is exactly
// what must not be stored. The reason secret fingerprints stay off the ring (package
// fingerprint: they must outlive a master key rotation) does not hold here: a request
// fingerprint lives only as long as its Idempotency-Key, 24 hours, and names the master key it
// was made under, so it still verifies after another key became active, for as long as the ring
// holds its key. Every process of a deployment has the same ring, so each one verifies what any
// other made.
//
// Each master key gives its own MAC key, derived under the purpose "bucketd idempotency
// fingerprint v1" (ports.KeyDeriver, which the vault's key ring implements by HKDF): the MAC
// never uses a sealing key itself, and any other use of the ring, under another purpose, gets
// independent keys.
//
// Why a port and not a part of the vault adapter: the MAC shares only the master keys with the
// vault, not what the vault does with them (AES-GCM sealing bound to where a value is stored),
// so all it asks of the ring is a key derived for its purpose, and nothing of the ring's
// format, parsing or sealing. Asking through ports.KeyDeriver keeps the two adapters apart, as
// every adapter is, and lets this one be tested with keys of its own.
//
// A master key must stay in the ring for 24 hours after it stopped being active: until then
// Verify may meet fingerprints made under it, and without the key it can only say it cannot
// tell, never that the request differs.
//
// A fingerprint (format version 1) is laid out as follows, sizes in bytes:
//
//	size  field
//	1     format version, 0x01
//	1     n, the length of the key id (1 to 32)
//	n     key id, the master key the MAC key was derived from
//	32    HMAC-SHA-256 of the request under that MAC key
package requestmac

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"

	"github.com/bucketd/bucketd/ports"
)

const (
	// purpose separates the MAC keys from the sealing keys and from any other use of the ring.
	purpose       = "bucketd idempotency fingerprint v1"
	formatVersion = 1
)

var _ ports.RequestMAC = (*MAC)(nil)

// MAC makes fingerprints under the MAC key of the ring's active master key and verifies them
// under the MAC key of whichever master key they name. It is safe for concurrent use.
//
// The keys live only inside the newMAC closures, so printing a MAC with any verb shows no key
// material.
type MAC struct {
	active string
	newMAC map[string]func() hash.Hash
}

// New derives the MAC keys of every master key from keys.
func New(keys ports.KeyDeriver) (*MAC, error) {
	if keys == nil {
		return nil, errors.New("new request MAC: no master keys to derive from")
	}
	derived := keys.Derive(purpose)
	if len(derived) == 0 {
		return nil, errors.New("new request MAC: there are no master keys to derive from")
	}
	m := &MAC{active: derived[0].MasterKeyID, newMAC: make(map[string]func() hash.Hash, len(derived))}
	for _, k := range derived {
		raw := []byte(k.Key.Reveal())
		m.newMAC[k.MasterKeyID] = func() hash.Hash { return hmac.New(sha256.New, raw) }
	}
	return m, nil
}

// Sum returns the fingerprint of msg under the active master key's MAC key.
func (m *MAC) Sum(msg []byte) []byte {
	out := make([]byte, 0, 2+len(m.active)+sha256.Size)
	out = append(out, formatVersion, byte(len(m.active))) //nolint:gosec // G115: key ids are at most 32 bytes (aesgcm.ParseKeyRing)
	out = append(out, m.active...)
	mac := m.newMAC[m.active]()
	mac.Write(msg)
	return mac.Sum(out)
}

// Verify reports whether sum is the fingerprint of msg, comparing the MACs in constant time.
// A sum in another layout, or made under a master key the ring does not hold, is an error.
func (m *MAC) Verify(msg, sum []byte) (bool, error) {
	id, want, err := parse(sum)
	if err != nil {
		return false, err
	}
	newMAC, ok := m.newMAC[id]
	if !ok {
		return false, fmt.Errorf("verify request fingerprint: it was made under master key %q, which the key ring no longer holds; keep a master key for 24 hours after it stopped being active", id)
	}
	mac := newMAC()
	mac.Write(msg)
	return hmac.Equal(mac.Sum(nil), want), nil
}

// parse splits a version 1 fingerprint into its key id and its MAC.
func parse(sum []byte) (id string, mac []byte, err error) {
	if len(sum) < 2 || sum[0] != formatVersion {
		return "", nil, fmt.Errorf("verify request fingerprint: not a format %d request fingerprint", formatVersion)
	}
	n := int(sum[1])
	if n == 0 || len(sum) != 2+n+sha256.Size {
		return "", nil, fmt.Errorf("verify request fingerprint: %d bytes with a key id of %d; want the key id and a %d-byte MAC", len(sum), n, sha256.Size)
	}
	return string(sum[2 : 2+n]), sum[2+n:], nil
}
