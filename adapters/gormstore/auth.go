package gormstore

import (
	"context"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// unauthenticatedMessage is the one answer for every unusable token, so a caller cannot tell an
// unknown token from an expired or revoked one.
const unauthenticatedMessage = "the bearer token is invalid, expired or revoked; create a new one with `bucketd admin token create`"

// lastUseResolution bounds how often a token's last_used_at is written: once per token per
// minute is precise enough for an operator and keeps authentication a read almost always.
const lastUseResolution = time.Minute

// tokenOwner is a token joined with the user it belongs to and one of the user's workspace
// memberships (WorkspaceID is nil for a user who belongs to no workspace).
type tokenOwner struct {
	TokenID     string     `gorm:"column:token_id"`
	ExpiresAt   *time.Time `gorm:"column:expires_at"`
	RevokedAt   *time.Time `gorm:"column:revoked_at"`
	LastUsedAt  *time.Time `gorm:"column:last_used_at"`
	UserID      string     `gorm:"column:user_id"`
	OrgID       string     `gorm:"column:org_id"`
	Role        string     `gorm:"column:role"`
	WorkspaceID *string    `gorm:"column:workspace_id"`
}

// Authenticate finds the user behind a bearer token by the token's SHA-256 digest. An unknown,
// expired or revoked token is a KindUnauthenticated error with one message for all three.
//
// Every API request starts here, so it is one round trip: the token, its user and the user's
// memberships come back as one row per membership.
func (s *Store) Authenticate(ctx context.Context, token domain.Secret) (domain.Principal, error) {
	if token.IsZero() {
		return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, unauthenticatedMessage)
	}
	var rows []tokenOwner
	err := s.db.WithContext(ctx).Table(tableAPITokens+" AS t").
		Select("t.id AS token_id, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id, u.org_id, u.role, m.workspace_id").
		Joins("JOIN users AS u ON u.id = t.user_id").
		Joins("LEFT JOIN "+tableWorkspaceMembers+" AS m ON m.user_id = u.id").
		Where("t.digest = ?", domain.TokenDigest(token)).
		Order("m.workspace_id").
		Find(&rows).Error
	if err != nil {
		return domain.Principal{}, wrap("authenticate token", err)
	}
	if len(rows) == 0 {
		return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, unauthenticatedMessage)
	}
	owner := rows[0]
	now := time.Now().UTC()
	if owner.RevokedAt != nil || (owner.ExpiresAt != nil && !now.Before(*owner.ExpiresAt)) {
		return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, unauthenticatedMessage)
	}
	var workspaces []string
	for _, r := range rows {
		if r.WorkspaceID != nil {
			workspaces = append(workspaces, *r.WorkspaceID)
		}
	}
	s.recordTokenUse(ctx, owner, now)
	return domain.Principal{UserID: owner.UserID, OrgID: owner.OrgID, Role: domain.Role(owner.Role), Workspaces: workspaces}, nil
}

// recordTokenUse updates last_used_at when it is older than lastUseResolution. A failure is
// logged and does not fail the request: the token was valid, and the timestamp is advisory.
func (s *Store) recordTokenUse(ctx context.Context, owner tokenOwner, now time.Time) {
	if owner.LastUsedAt != nil && now.Sub(*owner.LastUsedAt) < lastUseResolution {
		return
	}
	err := s.db.WithContext(ctx).Model(&apiTokenRow{}).Where("id = ?", owner.TokenID).Update("last_used_at", now).Error
	if err != nil {
		s.log.WarnContext(ctx, "could not record API token use", "token_id", owner.TokenID, "error", err)
	}
}
