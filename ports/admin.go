package ports

//go:generate go tool mockgen -destination=../testsupport/mocks/admin.go -package=mocks . Organizations,Workspaces,Users,Tokens

import (
	"context"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// The operator administers organizations, workspaces, users and tokens through one port each,
// so that a use case depends on what it administers only. In every one of them, an id or email
// that names nothing is a KindNotFound error naming it (KindWorkspaceNotFound for a
// workspace), a malformed id included.

// Organizations administers organizations, their plans and their bucket limits.
type Organizations interface {
	// CreateOrganization stores an organization with its first workspace and its admin,
	// who becomes a member of the workspace, all or nothing.
	CreateOrganization(ctx context.Context, org domain.Organization, ws domain.Workspace, admin domain.User) error
	// ListOrganizations returns every organization, oldest first.
	ListOrganizations(ctx context.Context) ([]OrganizationRecord, error)
	// UpdateOrganization applies change to an organization and returns the organization as it
	// then is. It serializes with bucket inserts, so the quota check of every later insert
	// sees the new limit.
	UpdateOrganization(ctx context.Context, orgID string, change OrganizationChange) (OrganizationRecord, error)
}

// Workspaces administers the workspaces of organizations. Workspace names are unique among an
// organization's live workspaces under domain.NameKey: a name taken is KindNameTaken. A deleted
// workspace is gone for every method: KindNotFound, and its name is free.
type Workspaces interface {
	// CreateWorkspace adds a workspace to an existing organization.
	CreateWorkspace(ctx context.Context, ws domain.Workspace) error
	// ListWorkspaces returns an organization's live workspaces, oldest first.
	ListWorkspaces(ctx context.Context, orgID string) ([]WorkspaceRecord, error)
	// WorkspaceMembers returns the memberships of an organization's live workspaces, ordered by
	// workspace id, then the member's email.
	WorkspaceMembers(ctx context.Context, orgID string) ([]WorkspaceMember, error)
	// RenameWorkspace renames a live workspace of the organization and returns it as it then
	// is.
	RenameWorkspace(ctx context.Context, orgID, workspaceID, name string) (WorkspaceRecord, error)
	// DeleteWorkspace soft-deletes a live workspace of the organization and ends its
	// memberships. It serializes with bucket inserts, so that no live bucket is ever in a
	// deleted workspace. A workspace holding live buckets is KindConflict naming their count,
	// and so is the organization's last live workspace.
	DeleteWorkspace(ctx context.Context, orgID, workspaceID string, at time.Time) error
}

// Users administers users, their roles and their memberships of workspaces.
type Users interface {
	// AddUser adds a user to an existing organization as a member of the given workspaces of
	// that organization, all or nothing. An email in use, in any case, is KindInvalidInput.
	AddUser(ctx context.Context, user domain.User, workspaceIDs []string) error
	// UserByEmail finds a user by email, or returns a KindNotFound error.
	UserByEmail(ctx context.Context, email string) (domain.User, error)
	// ListUsers returns an organization's users with their workspaces, oldest first.
	ListUsers(ctx context.Context, orgID string) ([]UserRecord, error)
	// SetRole changes a user's role; the next request with any of the user's tokens acts
	// with it.
	SetRole(ctx context.Context, userID string, role domain.Role) error
	// UserInOrg finds a user of the organization by id; a user of another organization is
	// KindNotFound like an unknown one.
	UserInOrg(ctx context.Context, orgID, userID string) (domain.User, error)
	// AddMembership makes a user a member of a live workspace of the user's own organization
	// with a role and reports whether it was not one already; an existing membership keeps its
	// role.
	AddMembership(ctx context.Context, userID, workspaceID string, role domain.WorkspaceRole) (bool, error)
	// SetMembershipRole changes the role of a member of a workspace of the user's own
	// organization and returns the role it had; a user who is not a member is KindNotFound.
	SetMembershipRole(ctx context.Context, userID, workspaceID string, role domain.WorkspaceRole) (domain.WorkspaceRole, error)
	// RemoveMembership ends a user's membership of a workspace of the user's own organization
	// and reports whether there was one.
	RemoveMembership(ctx context.Context, userID, workspaceID string) (bool, error)
}

// Tokens administers users' bearer tokens, of which it keeps digests only.
type Tokens interface {
	// InsertToken stores a token digest for a user.
	InsertToken(ctx context.Context, token domain.APIToken) error
	// ListTokens returns a user's tokens, oldest first.
	ListTokens(ctx context.Context, userID string) ([]TokenRecord, error)
	// RevokeToken marks a token revoked at the given time, unless it already is, and returns
	// it as stored. The next request with it is refused.
	RevokeToken(ctx context.Context, tokenID string, at time.Time) (TokenRecord, error)
	// RevokeUserTokens revokes every token of a user that is not revoked yet and returns how
	// many it revoked.
	RevokeUserTokens(ctx context.Context, userID string, at time.Time) (int, error)
}

// The records the administration ports return to the operator's list and change commands: the
// domain values with the bookkeeping an operator needs to decide (creation times, counts, token
// history). None of them carries a token or its digest.

// OrganizationRecord is an organization with when it was created and how many live buckets it
// holds.
type OrganizationRecord struct {
	domain.Organization
	CreatedAt time.Time
	// Buckets counts the organization's live (not deleted) buckets.
	Buckets int
}

// Quota is the organization's live bucket count against its effective limit. Used may exceed
// Limit after the operator lowered the limit: existing buckets stay, new ones are refused.
func (o OrganizationRecord) Quota() domain.Quota {
	return domain.Quota{Plan: o.Plan, Used: o.Buckets, Limit: domain.EffectiveBucketLimit(o.Plan, o.BucketLimit)}
}

// OrganizationChange is what Organizations.UpdateOrganization changes; a zero field keeps the
// stored value.
type OrganizationChange struct {
	// Plan replaces the plan when it is not empty.
	Plan domain.Plan
	// BucketLimit replaces the limit override when it is not nil.
	BucketLimit *int
	// ClearBucketLimit removes the override, so that the plan's limit applies. It cannot be
	// combined with BucketLimit.
	ClearBucketLimit bool
}

// WorkspaceRecord is a workspace with when it was created, how many users are its members and
// how many live buckets it holds.
type WorkspaceRecord struct {
	domain.Workspace
	CreatedAt time.Time
	Members   int
	Buckets   int
}

// WorkspaceMember is a user's membership of a workspace, with the user's role in it.
type WorkspaceMember struct {
	WorkspaceID string
	User        domain.User
	Role        domain.WorkspaceRole
}

// UserRecord is a user with when it was created and the ids of the workspaces it is a member
// of, sorted.
type UserRecord struct {
	domain.User
	CreatedAt  time.Time
	Workspaces []string
}

// TokenRecord is what an operator may know about a bearer token: its id and history, never the
// token or its digest.
type TokenRecord struct {
	ID         string
	UserID     string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// TokenState says whether a token still authenticates.
type TokenState string

// Token states. A revoked token stays REVOKED once it has also expired.
const (
	TokenActive  TokenState = "ACTIVE"
	TokenExpired TokenState = "EXPIRED"
	TokenRevoked TokenState = "REVOKED"
)

// State applies the rule Authenticator implementations apply on every request: a revoked
// token, or one whose expiry is not after now, is refused.
func (t TokenRecord) State(now time.Time) TokenState {
	switch {
	case t.RevokedAt != nil:
		return TokenRevoked
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return TokenExpired
	}
	return TokenActive
}
