package ports

//go:generate go tool mockgen -destination=../testsupport/mocks/keys.go -package=mocks . VaultKeys,SealedCredentials

import (
	"context"

	"github.com/bucketd/bucketd/domain"
)

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

// KeyDeriver gives a use of the master keys other than sealing (the request MAC) keys of its
// own, one derived from each master key, so that it shares the master keys' distribution and
// rotation without ever using a sealing key itself. The vault's key ring implements it; the
// user depends on this port rather than on the vault adapter.
type KeyDeriver interface {
	// Derive returns one key per master key for purpose, the active master key's first. Keys
	// derived for different purposes are independent of each other and of the master keys, none
	// reveals its master key, and the same master keys and purpose give the same keys on every
	// process.
	Derive(purpose string) []DerivedKey
}

// DerivedKey is a key derived from one master key for a use other than sealing.
type DerivedKey struct {
	// MasterKeyID is the id of the master key it was derived from, which a value made under the
	// key records so that the key can be derived again once another master key is active.
	MasterKeyID string
	Key         domain.Secret
}

// SealedRecord is the sealed credentials of one bucket, live or deleted, as they were at Version.
type SealedRecord struct {
	OrgID        string
	BucketID     string
	Version      int64
	SealedKey    []byte
	SealedSecret []byte
	// SecretFingerprint is the stored fingerprint of the secret, "" when the bucket has none (it
	// was stored before fingerprints existed, or by a server without a fingerprint key). The
	// rotation fills in the missing ones, and compares a present one with its own fingerprint
	// key so that it never fills them under another key than the servers'.
	SecretFingerprint string
}

// Resealed is what a rotation writes back to one bucket: both sealed values, each re-sealed or
// as read, and the fingerprint of the secret when the bucket had none, "" to leave it alone.
type Resealed struct {
	SealedKey, SealedSecret []byte
	SecretFingerprint       string
}

// SealedCredentials walks and rewrites the sealed credentials of every bucket of every
// organization, for master key rotation, which also fills in the secret fingerprints that
// buckets stored before fingerprints existed lack. Deleted buckets are included: their rows
// keep their ciphertexts, which must not outlive the key that sealed them.
type SealedCredentials interface {
	// SealedBatch returns up to limit buckets with an id greater than afterID ("" for the first
	// batch) in id order, so a walk that feeds back the last id of each batch visits every bucket
	// once, rows created meanwhile included. A limit below 1, or an afterID that is not a bucket
	// id, is a KindInvalidInput error.
	SealedBatch(ctx context.Context, afterID string, limit int) ([]SealedRecord, error)
	// ReadSealed returns one bucket's record as it is now, or a KindNotFound error.
	ReadSealed(ctx context.Context, bucketID string) (SealedRecord, error)
	// Reseal replaces the bucket's sealed key and secret with next's and, when
	// next.SecretFingerprint is set, stores it as the fingerprint of the secret, in one
	// statement, if the row is still at rec.Version, and moves it to the next version, so that a
	// write prepared from the old ciphertexts cannot put them back, nor a write prepared before
	// the fingerprint was filled erase it. The secret version, the credentials time and the
	// update time stay as they are: the credentials did not change. A row another write changed
	// since rec was read, or that has a fingerprint already while next brings one, is a
	// KindConflict error, so a fingerprint is only ever filled in, never replaced; a bucket that
	// no longer exists is KindNotFound.
	Reseal(ctx context.Context, rec SealedRecord, next Resealed) error
}

// SealedCredentialRecord is the sealed values of one stored credential, live or deleted, as
// they were at SecretVersion. SealedSecret and SealedSessionToken are empty for the kinds that
// have none.
type SealedCredentialRecord struct {
	OrgID              string
	CredentialID       string
	SecretVersion      int64
	SealedKey          []byte
	SealedSecret       []byte
	SealedSessionToken []byte
	// SecretFingerprint is "" when the credential has none: it has no secret, or it was stored
	// by a server without a fingerprint key.
	SecretFingerprint string
}

// ResealedCredential is what a rotation writes back to one stored credential: its three sealed
// values, each re-sealed or as read (empty stays empty), and the fingerprint of its secret when
// it had none, "" to leave it alone.
type ResealedCredential struct {
	SealedKey, SealedSecret, SealedSessionToken []byte
	SecretFingerprint                           string
}

// SealedStoredCredentials walks and rewrites the sealed values of every stored credential of
// every organization, deleted ones included, for master key rotation: buckets that use a
// credential open its values, so they too must not outlive the key that sealed them.
type SealedStoredCredentials interface {
	// CredentialSealedBatch returns up to limit credentials with an id greater than afterID
	// ("" for the first batch) in id order. A limit below 1, or an afterID that is not a
	// credential id, is a KindInvalidInput error.
	CredentialSealedBatch(ctx context.Context, afterID string, limit int) ([]SealedCredentialRecord, error)
	// ReadCredentialSealed returns one credential's record as it is now, or a KindNotFound error.
	ReadCredentialSealed(ctx context.Context, credentialID string) (SealedCredentialRecord, error)
	// ResealCredential replaces the credential's sealed values with next's and, when
	// next.SecretFingerprint is set, stores it where none is, in one statement, if the
	// credential still holds what rec read: its secret version and its ciphertexts. The secret
	// version and the update time stay as they are, since the values did not change: the
	// buckets that use the credential stay attached at that version. A credential rotated since
	// rec was read (through PUT /apikeys, which moves the secret version) or re-sealed since, or
	// that has a fingerprint already while next brings one, is a KindConflict error, so a
	// rotation's new values are never overwritten and of concurrent re-seals of one read one
	// lands; a credential that no longer exists is KindNotFound. A fingerprint it fills in
	// reaches, in the same transaction, the live buckets that use the credential at that secret
	// version and have none: they answer with copies of the credential's key hint and secret
	// fingerprint.
	ResealCredential(ctx context.Context, rec SealedCredentialRecord, next ResealedCredential) error
}
