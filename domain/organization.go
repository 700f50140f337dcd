package domain

import (
	"crypto/sha256"
	"time"
)

// Organization owns workspaces, users and buckets; quotas are counted per organization.
type Organization struct {
	ID   string
	Name string
	Plan Plan
	// BucketLimit overrides the plan's limit when set.
	BucketLimit *int
	// ExternalID is the ExternalId bucketd presents when it assumes the organization's IAM
	// roles (NewExternalID); bucketd generates it, no caller chooses it.
	ExternalID string
}

// Workspace groups buckets inside an organization; members are granted workspaces.
type Workspace struct {
	ID    string
	OrgID string
	Name  string
}

// User belongs to exactly one organization.
type User struct {
	ID    string
	OrgID string
	Email string
	Role  Role
}

// APIToken is a bearer token as stored: only the SHA-256 digest of the token, never the token.
type APIToken struct {
	ID        string
	UserID    string
	Digest    []byte
	CreatedAt time.Time
	ExpiresAt *time.Time
	// SessionID is the session an access token belongs to; "" for an API token, which belongs
	// to no session and lives until it expires or is revoked.
	SessionID string
}

// tokenPrefix lets secret scanners and people recognise a bucketd token at a glance.
const tokenPrefix = "bkd_"

// NewToken returns a fresh bearer token with 256 random bits.
func NewToken() Secret { return newPrefixedToken(tokenPrefix) }

// TokenDigest is what the store keeps and looks tokens up by. A fast hash is right here: the
// token carries 256 random bits, so there is nothing for a slow hash to protect.
func TokenDigest(token Secret) []byte {
	d := sha256.Sum256([]byte(token.Reveal()))
	return d[:]
}
