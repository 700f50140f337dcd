package gormstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// unauthenticatedMessage is the one answer for every unusable token, so a caller cannot tell an
// unknown token from an expired or revoked one.
const unauthenticatedMessage = "the bearer token is invalid, expired or revoked; an access token is renewed with POST /user/refresh, an API token is issued by an administrator with `bucketd admin token create --email EMAIL`"

// lastUseResolution bounds how often a token's last_used_at is written: once per token per
// minute is precise enough for an operator and keeps authentication a read almost always.
const lastUseResolution = time.Minute

// tokenOwner is a token joined with the user it belongs to and one of the user's workspace
// memberships with its role (WorkspaceID and WorkspaceRole are nil for a user who belongs to
// no workspace), in the column order of authenticateQuery. SessionRevokedAt is the revocation
// of an access token's session; nil for an API token, and for a live session.
type tokenOwner struct {
	TokenID          string
	ExpiresAt        *time.Time
	RevokedAt        *time.Time
	SessionRevokedAt *time.Time
	LastUsedAt       *time.Time
	UserID           string
	OrgID            string
	Role             string
	WorkspaceID      *string
	WorkspaceRole    *string
}

// ownerColumns and ownerJoins are the columns and joins of tokenOwner: a token with
// its user, its session if it is an access token, and the user's memberships with their roles,
// one row per membership (a deleted workspace has none). Reading the session with the token is
// what makes revoking one strict: its access tokens are refused from the very next request, in
// every process, at no extra round trip.
const (
	ownerColumns = "t.id, t.expires_at, t.revoked_at, s.revoked_at, t.last_used_at, u.id, u.org_id, u.role, m.workspace_id, m.role"
	ownerJoins   = tableAPITokens + " AS t JOIN users AS u ON u.id = t.user_id " +
		"LEFT JOIN " + tableSessions + " AS s ON s.id = t.session_id " +
		"LEFT JOIN " + tableWorkspaceMembers + " AS m ON m.user_id = u.id"
)

// authenticateQuery finds a token by its digest with its owner (ownerJoins). Every API
// request but the reads GetAsHolder serves starts with it, so it is one fixed statement, and
// its rows are scanned without GORM's reflection.
var authenticateQuery = fixed("SELECT " + ownerColumns + " FROM " + ownerJoins + " WHERE t.digest = ? ORDER BY m.workspace_id")

// Authenticate finds the user behind a bearer token (an API token, or a session's access
// token) by the token's SHA-256 digest. An unknown, expired or revoked token, or an access
// token of a revoked session, is a KindUnauthenticated error with one message for all.
func (s *Store) Authenticate(ctx context.Context, token domain.Secret) (domain.Principal, error) {
	if token.IsZero() {
		return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, unauthenticatedMessage)
	}
	rows, err := s.queryFixed(ctx, authenticateQuery, domain.TokenDigest(token))
	if err != nil {
		return domain.Principal{}, wrap("authenticate token", err)
	}
	var owners []tokenOwner
	err = scanRows(rows, func() error {
		var o tokenOwner
		if err := rows.Scan(o.scanTargets()...); err != nil {
			return err
		}
		owners = append(owners, o)
		return nil
	})
	if err != nil {
		return domain.Principal{}, wrap("authenticate token", err)
	}
	return s.principalOf(ctx, owners)
}

// scanTargets are pointers to o's fields, in the order of ownerColumns.
func (o *tokenOwner) scanTargets() []any {
	return []any{&o.TokenID, &o.ExpiresAt, &o.RevokedAt, &o.SessionRevokedAt, &o.LastUsedAt, &o.UserID, &o.OrgID, &o.Role, &o.WorkspaceID, &o.WorkspaceRole}
}

// scanRows calls scan for each of rows and closes them.
func scanRows(rows *sql.Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// principalOf is the principal behind a token, from its tokenOwner rows (none for an unknown
// token), or the one KindUnauthenticated error for every unusable token. It records the token's
// use.
func (s *Store) principalOf(ctx context.Context, rows []tokenOwner) (domain.Principal, error) {
	if len(rows) == 0 {
		return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, unauthenticatedMessage)
	}
	owner := rows[0]
	now := time.Now().UTC()
	if owner.RevokedAt != nil || owner.SessionRevokedAt != nil || (owner.ExpiresAt != nil && !now.Before(*owner.ExpiresAt)) {
		return domain.Principal{}, domain.Errorf(domain.KindUnauthenticated, unauthenticatedMessage)
	}
	workspaces := make(map[string]domain.WorkspaceRole, len(rows))
	for _, r := range rows {
		if r.WorkspaceID != nil && r.WorkspaceRole != nil {
			workspaces[*r.WorkspaceID] = domain.WorkspaceRole(*r.WorkspaceRole)
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
