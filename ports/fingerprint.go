package ports

import "github.com/bucketd/bucketd/domain"

// Fingerprinter names a secret without revealing it, so that a bucket can show which secret it
// holds and tools can detect drift without ever reading the secret. A fingerprint is stable,
// equal for equal secrets under one server key, and irreversible: it is a keyed hash, so that
// guessing a secret and comparing fingerprints needs the server key.
type Fingerprinter interface {
	Fingerprint(secret domain.Secret) string
}
