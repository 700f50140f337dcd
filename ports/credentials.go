package ports

//go:generate go tool mockgen -destination=../testsupport/mocks/credentials.go -package=mocks . CredentialStore,CredentialAuthenticator

import (
	"context"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// Sealed fields of a stored credential. They differ from a bucket's, so a bucket's ciphertext
// never opens as a credential's, nor the other way round, even under one id.
const (
	FieldCredentialKey          = "credential.key"           //nolint:gosec // G101: a field name, not a credential
	FieldCredentialSecret       = "credential.secret"        //nolint:gosec // G101: a field name, not a credential
	FieldCredentialSessionToken = "credential.session_token" //nolint:gosec // G101: a field name, not a credential
)

// CredentialQuery selects an organization's live stored credentials.
type CredentialQuery struct {
	// WorkspaceIDs restricts the list to these workspaces; nil means every workspace, an
	// empty non-nil slice none.
	WorkspaceIDs []string
	// StorageType restricts the list to one provider family; "" means every one.
	StorageType domain.StorageType
}

// CredentialChange is a write of a stored credential read at Next.SecretVersion.
type CredentialChange struct {
	// Next is the credential as it should be stored; Next.SecretVersion is the version it was
	// read at.
	Next domain.StoredCredential
	// Rotated says the key, the secret or the session token changed: the secret version
	// moves on, and every live bucket that uses the credential must be in Validated, the
	// buckets proven to work with the new values, which record the new version and their
	// proof (status ONLINE at At).
	Rotated   bool
	Validated []string
	At        time.Time
}

// CredentialStore keeps the organizations' stored credentials. Every method is scoped by
// organization in the query itself; another organization's credential is KindNotFound, like an
// unknown or deleted one.
type CredentialStore interface {
	// InsertCredential stores a new credential in a live workspace of its organization, or
	// returns KindWorkspaceNotFound.
	InsertCredential(ctx context.Context, c domain.StoredCredential) error
	// GetCredential returns a live credential with its bucket count.
	GetCredential(ctx context.Context, orgID, credentialID string) (domain.StoredCredential, error)
	// ListCredentials returns the live credentials q selects, oldest first, with their bucket
	// counts.
	ListCredentials(ctx context.Context, orgID string, q CredentialQuery) ([]domain.StoredCredential, error)
	// CredentialBuckets returns the live buckets that use the credential.
	CredentialBuckets(ctx context.Context, orgID, credentialID string) ([]domain.Bucket, error)
	// UpdateCredential writes ch in one transaction that first locks the credential's row, so
	// that it is serialized with every attach of a bucket to the credential and with its
	// deletion. A credential no longer at ch.Next.SecretVersion, or (for a rotation) used by a
	// live bucket not in ch.Validated, is KindConflict and nothing is written.
	UpdateCredential(ctx context.Context, ch CredentialChange) error
	// DeleteCredential soft-deletes a live credential at the given time, under the same lock;
	// one that live buckets use is KindCredentialInUse, naming how many.
	DeleteCredential(ctx context.Context, orgID, credentialID string, at time.Time) error
}

// CredentialAuthenticator proves a credential alone, without a bucket: that the provider
// accepts it (S3: ListBuckets; GCS: the token exchange or an HMAC-signed list; Azure: the
// account's listing of containers, or for a container SAS, which only its container can prove,
// its form and time window). The error is nil when the provider accepted it, otherwise a
// domain error that says what to change.
type CredentialAuthenticator interface {
	Authenticate(ctx context.Context, target domain.CredentialTarget) error
}
