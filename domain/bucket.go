package domain

import "time"

// Status is the last known reachability of a bucket with its stored credentials.
type Status string

// Bucket statuses. A bucket is ONLINE right after a successful create, because creating one
// proves the credentials work.
const (
	StatusOnline  Status = "ONLINE"
	StatusOffline Status = "OFFLINE"
	StatusUnknown Status = "UNKNOWN"
)

// Bucket is a registered bucket as everyone but the vault sees it: metadata and sealed
// credentials, never plaintext.
type Bucket struct {
	ID          string
	OrgID       string
	WorkspaceID string
	Name        string
	Bucket      string
	StorageType StorageType
	// StorageTypeSpelling is how the caller named the storage type when registering the bucket
	// or last changing it: the canonical name or an alias ParseStorageType accepts (BLOB for
	// AZURE). Only answers use it, so a client sees the name its own types know; empty for
	// buckets stored before it was recorded.
	StorageTypeSpelling string
	// Region is the bucket's region as given, or as the provider reported it when none was
	// given; empty when neither said.
	Region       string
	Endpoint     string
	KeyHint      string
	Status       Status
	LastStatusAt *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Version counts the writes to the row. An update names the version it read and fails
	// with KindConflict when another write came first, so concurrent changes never silently
	// undo each other.
	Version int64
	// SecretFingerprint identifies the secret without revealing it: a keyed hash under a
	// server-wide key, equal for equal secrets, so drift tools can compare credentials without
	// reading them. Empty for buckets stored before fingerprints existed, or on a server
	// without a fingerprint key.
	SecretFingerprint string
	// SecretVersion starts at 1 and grows by one each time the secret is replaced by another.
	SecretVersion int64
	// CredentialsUpdatedAt is when the key or the secret last changed; nil for buckets stored
	// before it was recorded.
	CredentialsUpdatedAt *time.Time
	// SealedKey and SealedSecret are vault ciphertexts bound to OrgID, ID and the field name.
	SealedKey    []byte
	SealedSecret []byte
}

// StorageTypeAnswer is the storage type as answers spell it: as the bucket was registered or
// last changed, or the canonical name when that was not recorded.
func (b Bucket) StorageTypeAnswer() string {
	if b.StorageTypeSpelling != "" {
		return b.StorageTypeSpelling
	}
	return string(b.StorageType)
}

// Credentials are the plaintext key and secret a provider needs. Both fields redact themselves.
type Credentials struct {
	Key    Secret
	Secret Secret
}
