package ports

import (
	"time"

	"github.com/bucketd/bucketd/domain"
)

// The records Directory returns to the operator's list and change commands: the domain values
// with the bookkeeping an operator needs to decide (creation times, counts, token history).
// None of them carries a token or its digest.

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

// OrganizationChange is what Directory.UpdateOrganization changes; a zero field keeps the
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
