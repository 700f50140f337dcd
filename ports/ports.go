// Package ports declares the interfaces the application service needs from the outside world.
// Each is small and shaped by what app uses; adapters implement them and cmd/bucketd wires them.
package ports

//go:generate go tool mockgen -destination=mocks/mocks.go -package=mocks . BucketRepository,CredentialValidator,Vault,Authenticator,Directory

import (
	"context"

	"github.com/bucketd/bucketd/domain"
)

// BucketRepository stores buckets. Every method is scoped by organization in the query itself.
type BucketRepository interface {
	// WorkspaceInOrg reports whether the workspace exists in the organization.
	WorkspaceInOrg(ctx context.Context, orgID, workspaceID string) (bool, error)
	// QuotaUsage counts the organization's live buckets against its effective limit.
	QuotaUsage(ctx context.Context, orgID string) (domain.Quota, error)
	// NameTaken reports whether a live bucket of the organization already uses the name,
	// compared case-insensitively.
	NameTaken(ctx context.Context, orgID, name string) (bool, error)
	// InsertWithinQuota stores b in one transaction that first serializes against every other
	// insert of the same organization, then re-checks the quota and the name. It returns a
	// domain error of kind KindQuotaExceeded or KindNameTaken when either check fails, so no
	// number of concurrent callers on any number of processes can exceed the limit.
	InsertWithinQuota(ctx context.Context, b domain.Bucket) error
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

// Directory administers organizations, users and tokens.
type Directory interface {
	// CreateOrganization stores an organization with its first workspace and its admin,
	// who becomes a member of the workspace, all or nothing.
	CreateOrganization(ctx context.Context, org domain.Organization, ws domain.Workspace, admin domain.User) error
	// UserByEmail finds a user by email, or returns a KindNotFound error.
	UserByEmail(ctx context.Context, email string) (domain.User, error)
	// InsertToken stores a token digest for a user.
	InsertToken(ctx context.Context, token domain.APIToken) error
}
