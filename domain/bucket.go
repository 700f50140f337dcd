package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

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
	Region   string
	Endpoint string
	KeyHint  string
	Status   Status
	// StatusMessage says why the bucket has its status: the message of the check that failed
	// when the last validation found it OFFLINE (see StatusRecord); empty when it is ONLINE or
	// UNKNOWN, and for buckets found OFFLINE before messages were stored.
	StatusMessage string
	LastStatusAt  *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
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
	// CredentialID is the stored credential the bucket uses, "" when it has its own key and
	// secret. CredentialVersion is that credential's SecretVersion the bucket was last
	// validated with: the store refuses a write whose version is no longer the credential's.
	CredentialID      string
	CredentialVersion int64
	// SealedKey and SealedSecret are vault ciphertexts bound to OrgID, ID and the field name;
	// both are empty when the bucket uses a stored credential.
	SealedKey    []byte
	SealedSecret []byte
}

// SetStatus gives b the status, message and time of r, together, so no write keeps the
// message of a status the bucket no longer has.
func (b *Bucket) SetStatus(r StatusRecord) {
	at := r.At
	b.Status, b.StatusMessage, b.LastStatusAt = r.Status, r.Message, &at
}

// MaxStatusMessageBytes bounds a bucket's status message. A failed check's message names the
// endpoint and bucket the caller chose and quotes what the provider answered, so its length is
// theirs; the start of it, which names the check and what went wrong, is what is kept.
const MaxStatusMessageBytes = 1024

// StatusRecord is what one validation established of a bucket: its status, why when it is not
// ONLINE (the failed check's caller-facing message, which names keys only by their hints), and
// when. Make one with NewStatusRecord, which applies the message rules.
type StatusRecord struct {
	Status  Status
	Message string
	At      time.Time
}

// NewStatusRecord is the record of a validation at `at` that found status, for the reason
// message: a bucket found ONLINE has nothing wrong to tell, so its message is empty whatever
// was given; any other message is made fit to store by StatusMessage.
func NewStatusRecord(status Status, message string, at time.Time) StatusRecord {
	if status == StatusOnline {
		message = ""
	}
	return StatusRecord{Status: status, Message: StatusMessage(message), At: at}
}

// StatusMessage makes message fit to store and answer as a bucket's status message: one line
// of printable characters (anything else, invalid UTF-8 too, becomes a space), trimmed, and cut
// to at most MaxStatusMessageBytes bytes, on a character boundary, ending in "…" when cut.
func StatusMessage(message string) string {
	message = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, message))
	if len(message) <= MaxStatusMessageBytes {
		return message
	}
	const ellipsis = "…"
	cut := MaxStatusMessageBytes - len(ellipsis)
	for !utf8.RuneStart(message[cut]) {
		cut--
	}
	return strings.TrimRightFunc(message[:cut], unicode.IsSpace) + ellipsis
}

// StorageTypeAnswer is the storage type as answers spell it: as the bucket was registered or
// last changed, or the canonical name when that was not recorded.
func (b Bucket) StorageTypeAnswer() string {
	if b.StorageTypeSpelling != "" {
		return b.StorageTypeSpelling
	}
	return string(b.StorageType)
}

// Credentials are what a provider needs to let bucketd in, in plaintext: a kind and the values
// that kind uses. Every value that could let someone in redacts itself.
type Credentials struct {
	// Kind says what the values are; the zero value is CredentialKeySecret.
	Kind CredentialKind
	// Key is the public half: an access key id, a service account's email or an HMAC id, a
	// storage account name, a role ARN, an application (client) id, or the service account to
	// impersonate, by Kind.
	Key Secret
	// Secret is the private half: a secret access key, a key file, an account key, a client
	// secret or a SAS token, by Kind; empty for the kinds that have none (CredentialAWSRole,
	// CredentialGCSImpersonation).
	Secret Secret
	// SessionToken is the session token of CredentialAWSSession.
	SessionToken Secret
	// TenantID is the Entra tenant of CredentialAzureServicePrincipal.
	TenantID string
	// ExternalID is the ExternalId bucketd presents when it assumes a role
	// (CredentialAWSRole): the organization's, never the caller's.
	ExternalID string
}
