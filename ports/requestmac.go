package ports

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
