package gormstore

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
)

// unauthenticatedMessage is the one answer for every unusable token, so a caller cannot tell an
// unknown token from an expired or revoked one.
const unauthenticatedMessage = "the bearer token is invalid, expired or revoked; create a new one with `bucketd admin token create`"

// lastUseResolution bounds how often a token's last_used_at is written: once per token per
// minute is precise enough for an operator and keeps authentication a read almost always.
const lastUseResolution = time.Minute

// tokenOwner is a token joined with the user it belongs to.
type tokenOwner struct {
	TokenID    string     `gorm:"column:token_id"`
	ExpiresAt  *time.Time `gorm:"column:expires_at"`
	RevokedAt  *time.Time `gorm:"column:revoked_at"`
	LastUsedAt *time.Time `gorm:"column:last_used_at"`
	UserID     string     `gorm:"column:user_id"`
	OrgID      string     `gorm:"column:org_id"`
	Role       string     `gorm:"column:role"`
}

// Authenticate finds the user behind a bearer token by the token's SHA-256 digest. An unknown,
// expired or revoked token is a KindUnauthenticated error with one message for all three.
func (s *Store) Authenticate(ctx context.Context, token domain.Secret) (domain.Principal, error) {
	if token.IsZero() {
		return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, unauthenticatedMessage)
	}
	db := s.db.WithContext(ctx)
	var owner tokenOwner
	err := db.Table(tableAPITokens+" AS t").
		Select("t.id AS token_id, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id, u.org_id, u.role").
		Joins("JOIN users AS u ON u.id = t.user_id").
		Where("t.digest = ?", domain.TokenDigest(token)).
		Take(&owner).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, unauthenticatedMessage)
	}
	if err != nil {
		return domain.Principal{}, wrap("authenticate token", err)
	}
	now := time.Now().UTC()
	if owner.RevokedAt != nil || (owner.ExpiresAt != nil && !now.Before(*owner.ExpiresAt)) {
		return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, unauthenticatedMessage)
	}
	var workspaces []string
	err = db.Model(&workspaceMemberRow{}).Where("user_id = ?", owner.UserID).Order("workspace_id").
		Pluck("workspace_id", &workspaces).Error
	if err != nil {
		return domain.Principal{}, wrap("read workspace memberships", err)
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
