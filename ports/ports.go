// Package ports declares the interfaces between bucketd's parts: what the application service
// needs from the outside world (stores, the vault, the provider checks), and what an adapter
// needs of a part another adapter implements (the HTTP adapter's authentication, idempotency
// store and request MAC; the request MAC's key derivation), so that no adapter imports another.
// Each is small and shaped by what its user calls; adapters implement them and cmd/bucketd wires
// them. Where one user needs several of one store, an interface embedding them names that whole
// (BucketStore), and narrower users take only the part they use.
package ports

//go:generate go tool mockgen -destination=../testsupport/mocks/mocks.go -package=mocks . BucketStore,CredentialValidator,Vault,Authenticator,IdempotencyStore

import (
	"context"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// CreatePrecheck is what a create checks before any provider traffic, as
// BucketCreator.PrecheckCreate reads it: whether the workspace is the organization's, the
// organization's bucket quota, and whether a name is already used by one of its live buckets.
type CreatePrecheck struct {
	WorkspaceInOrg bool
	Quota          domain.Quota
	NameTaken      bool
}

// BucketStore is the store of an organization's buckets, as the bucket use cases use it: one
// store that creates, reads and changes them.
type BucketStore interface {
	BucketCreator
	BucketReader
	BucketWriter
}

// BucketCreator is what creating a bucket needs of the store: whether the workspace is the
// organization's, the quota, whether a name is taken, and the insert that re-checks quota and
// name atomically. Every method is scoped by organization in the query itself.
type BucketCreator interface {
	// WorkspaceInOrg reports whether the workspace exists in the organization.
	WorkspaceInOrg(ctx context.Context, orgID, workspaceID string) (bool, error)
	// QuotaUsage counts the organization's live buckets against its effective limit.
	QuotaUsage(ctx context.Context, orgID string) (domain.Quota, error)
	// NameTaken reports whether a live bucket of the organization already uses the name,
	// compared by domain.NameKey.
	NameTaken(ctx context.Context, orgID, name string) (bool, error)
	// PrecheckCreate reads whether the workspace belongs to the organization, the
	// organization's quota and whether a live bucket of it already uses the name (compared by
	// domain.NameKey) together, in one round trip: the checks of a create before any provider
	// traffic, which must stay cheap.
	PrecheckCreate(ctx context.Context, orgID, workspaceID, name string) (CreatePrecheck, error)
	// InsertWithinQuota stores b in one transaction that first serializes against every other
	// insert of the same organization, then re-checks the quota and the name. It returns a
	// domain error of kind KindQuotaExceeded or KindNameTaken when either check fails, so no
	// number of concurrent callers on any number of processes can exceed the limit. created,
	// the audit event of b's creation, is stored in the same commit as b and only with it, so
	// every stored bucket has its creation in the audit trail.
	InsertWithinQuota(ctx context.Context, b domain.Bucket, created domain.AuditEvent) error
}

// BucketReader reads an organization's live buckets.
type BucketReader interface {
	// Get returns a live bucket of the organization. An unknown id, a deleted bucket and another
	// organization's bucket are all the same KindNotFound error, so ids cannot be probed.
	Get(ctx context.Context, orgID, bucketID string) (domain.Bucket, error)
	// GetAsHolder authenticates a bearer token exactly as Authenticator does and reads, for its
	// holder, a live bucket of the holder's organization as Get does, both in one round trip to
	// the store: the hot read pays for one, and the token is still checked against the store
	// on every call, so a revoked or expired token, or an access token of a revoked session, is
	// refused from the very next call. The error is the token's refusal (KindUnauthenticated,
	// one message for every unusable token) or the store's failure; the read's own outcome is
	// in the HolderRead.
	GetAsHolder(ctx context.Context, token domain.Secret, bucketID string) (HolderRead, error)
	// List returns one page of the organization's live buckets, oldest first.
	List(ctx context.Context, orgID string, q domain.BucketQuery) (domain.BucketPage, error)
}

// HolderRead is a bucket read as the holder of a bearer token: who the holder is, and what
// the read gave them, kept apart so that the caller can apply its own checks of the holder (a
// rate limit, say) before it answers with the read.
type HolderRead struct {
	// Principal is the authenticated holder of the token.
	Principal domain.Principal
	// Bucket is the bucket read; the zero value when Err is set.
	Bucket domain.Bucket
	// Err refuses the holder the bucket: KindNotFound, alike for an unknown, malformed or
	// deleted id and another organization's bucket.
	Err error
}

// BucketWriter changes stored buckets. Each method changes one live bucket of the
// organization, or returns KindNotFound.
type BucketWriter interface {
	// Update replaces a live bucket's mutable fields (name, bucket, storage type, region,
	// endpoint, key hint, sealed credentials, status with its message, and their times) in
	// one statement, if the row is still at b.Version, and moves it to the next version. A row
	// another write changed since it was read is a KindConflict error; a name another live
	// bucket of the organization uses, compared by domain.NameKey, is a KindNameTaken error.
	Update(ctx context.Context, b domain.Bucket) error
	// Delete soft-deletes a live bucket at the given time, which frees its name and its slot in
	// the quota at once.
	Delete(ctx context.Context, orgID, bucketID string, at time.Time) error
	// RecordStatus stores the outcome of a re-validation of the bucket as it was at version
	// (status, message and time, all three replacing the stored ones) and moves the row to its
	// next version. If another write came first (new credentials, say), the outcome is about
	// values that are gone: KindConflict, nothing written. An update that read the old status
	// conflicts in turn and cannot write it back.
	RecordStatus(ctx context.Context, orgID, bucketID string, version int64, r domain.StatusRecord) error
}

// CredentialValidator proves credentials work against one provider family.
type CredentialValidator interface {
	// Validate runs the provider checks. The error is nil only when every check passed; it is
	// then a domain error naming the failed check and what to change. The report is returned
	// either way.
	Validate(ctx context.Context, target domain.ValidationTarget) (domain.ValidationReport, error)
}

// Sealed fields. They take part in the associated data, so a ciphertext moved from one field
// (or row) to another fails to open.
const (
	FieldKey    = "key"
	FieldSecret = "secret"
)

// SecretScope binds a ciphertext to where it is stored.
type SecretScope struct {
	OrgID    string
	BucketID string
	Field    string
}

// Vault seals and opens credentials. Implementations authenticate the scope as associated data.
type Vault interface {
	Seal(ctx context.Context, plaintext domain.Secret, scope SecretScope) ([]byte, error)
	Open(ctx context.Context, sealed []byte, scope SecretScope) (domain.Secret, error)
}

// Authenticator turns a bearer token into the principal behind it, or a KindUnauthenticated
// error for a token that is unknown, expired or revoked.
type Authenticator interface {
	Authenticate(ctx context.Context, token domain.Secret) (domain.Principal, error)
}

// StoredResponse is the first answer to a request sent with an Idempotency-Key, kept so a retry
// gets exactly the same status and body.
type StoredResponse struct {
	Status int
	Body   []byte
}

// IdempotencyStore remembers, per organization, the answer to each Idempotency-Key for a while,
// in the database, so retries replay the answer on any server process instead of acting twice.
type IdempotencyStore interface {
	// Begin claims key for a request with the given fingerprint (what the request does, keyed:
	// see RequestMAC). A key whose stored fingerprint the request does not match is a
	// KindIdempotencyKeyReused error, whether that request has finished or not; when the
	// request cannot tell, its error is returned. A completed key the request matches returns
	// its stored response to replay. A key claimed by a request still running is a
	// KindIdempotencyInProgress error, unless its claim is older than lease, which means its
	// process died and the claim is taken over. A fresh claim keeps fingerprint.Stored() and
	// returns nil and nil.
	Begin(ctx context.Context, orgID, key string, fingerprint RequestFingerprint, now time.Time, lease time.Duration) (*StoredResponse, error)
	// Complete stores the answer of a claimed key until expiresAt.
	Complete(ctx context.Context, orgID, key string, resp StoredResponse, expiresAt time.Time) error
	// Abandon drops a claim whose request ended without an answer worth replaying, so that a
	// retry runs again.
	Abandon(ctx context.Context, orgID, key string) error
	// Purge deletes the keys that expired before now and returns how many.
	Purge(ctx context.Context, now time.Time) (int64, error)
}
