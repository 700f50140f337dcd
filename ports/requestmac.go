package ports

import "github.com/bucketd/bucketd/domain"

// KeyDeriver gives keys for uses other than sealing, one per master key, so such a use (the
// request MAC) shares the master keys' distribution and rotation without holding a sealing key
// or depending on the vault's implementation.
type KeyDeriver interface {
	// Derive returns one key per master key, the active key's first. Keys derived for different
	// purposes are independent of each other and of the sealing keys.
	Derive(purpose string) []DerivedKey
}

// DerivedKey is a key derived from one master key for a use other than sealing.
type DerivedKey struct {
	// ID is the id of the master key it was derived from.
	ID string
	// Key is 32 bytes.
	Key domain.Secret
}

// RequestMAC keys the fingerprints that tell apart the requests sent with one Idempotency-Key.
// Such a request can carry a secret, and a plain hash of it kept in the database would let
// whoever reads the database confirm a guess of the secret offline; a MAC under a key the
// database does not hold confirms nothing.
type RequestMAC interface {
	// Sum returns the MAC of msg under the active key, together with what Verify needs to find
	// that key again once another key is active.
	Sum(msg []byte) []byte
	// Verify reports whether sum is what Sum returned for msg, under whichever key made it. It
	// fails, rather than report a mismatch, when it cannot tell: sum names a key this server
	// does not hold, or is in a format it does not know.
	Verify(msg, sum []byte) (bool, error)
}

// RequestFingerprint identifies a request to IdempotencyStore.Begin without showing the store
// the request. The store cannot compare fingerprints byte for byte: the same request made
// under another server key has another fingerprint, so it asks the request instead.
type RequestFingerprint interface {
	// Stored is what a fresh claim keeps.
	Stored() []byte
	// Matches reports whether stored, the fingerprint a claim keeps, was made from this same
	// request. An error means it cannot tell, and Begin returns it.
	Matches(stored []byte) (bool, error)
}
