package ports

//go:generate go tool mockgen -destination=mocks/keys.go -package=mocks . VaultKeys,SealedCredentials

import "context"

// VaultKeys tells master key rotation which key sealed a value, without opening it, and which
// keys the vault holds, so that only the values not yet under the active key are re-sealed and
// a value no key of the ring can open is reported before anything is written.
type VaultKeys interface {
	// KeyID returns the id of the key that sealed the value, whether or not the ring holds that
	// key. A value too malformed to name one is an error.
	KeyID(sealed []byte) (string, error)
	// ActiveKeyID returns the id of the key that seals.
	ActiveKeyID() string
	// KeyIDs returns the id of every key the vault can open with, the active one first.
	KeyIDs() []string
}

// SealedRecord is the sealed credentials of one bucket, live or deleted, as they were at Version.
type SealedRecord struct {
	OrgID        string
	BucketID     string
	Version      int64
	SealedKey    []byte
	SealedSecret []byte
}

// SealedCredentials walks and rewrites the sealed credentials of every bucket of every
// organization, for master key rotation. Deleted buckets are included: their rows keep their
// ciphertexts, which must not outlive the key that sealed them.
type SealedCredentials interface {
	// SealedBatch returns up to limit buckets with an id greater than afterID ("" for the first
	// batch) in id order, so a walk that feeds back the last id of each batch visits every bucket
	// once, rows created meanwhile included. A limit below 1, or an afterID that is not a bucket
	// id, is a KindInvalidInput error.
	SealedBatch(ctx context.Context, afterID string, limit int) ([]SealedRecord, error)
	// ReadSealed returns one bucket's record as it is now, or a KindNotFound error.
	ReadSealed(ctx context.Context, bucketID string) (SealedRecord, error)
	// Reseal replaces the bucket's sealed key and secret with key and secret, in one statement,
	// if the row is still at rec.Version, and moves it to the next version, so that a write
	// prepared from the old ciphertexts cannot put them back. A row another write changed since
	// rec was read is a KindConflict error; a bucket that no longer exists is KindNotFound.
	Reseal(ctx context.Context, rec SealedRecord, key, secret []byte) error
}
