package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// IssuedToken is a new bearer token. Token is shown to the operator once and stored nowhere:
// only its digest is kept. ID names it in token lists and revocations.
type IssuedToken struct {
	ID        string
	Token     domain.Secret
	ExpiresAt *time.Time
}

// CreateToken issues a new bearer token for an existing user. A ttl of zero means the token
// does not expire; it can still be revoked.
func (a *Admin) CreateToken(ctx context.Context, email string, ttl time.Duration) (IssuedToken, error) {
	if ttl < 0 {
		return IssuedToken{}, domain.Errorf(domain.KindInvalidInput, "ttl %s is negative; give a positive duration, or 0 for no expiry", ttl)
	}
	user, err := a.userByEmail(ctx, email)
	if err != nil {
		return IssuedToken{}, err
	}
	issued, err := a.issueToken(ctx, user.ID, ttl)
	if err != nil {
		return IssuedToken{}, err
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "create token", slog.String("org_id", user.OrgID),
		slog.String("user_id", user.ID), slog.String("token_id", issued.ID), slog.Duration("ttl", ttl))
	return issued, nil
}

// issueToken stores the digest of a fresh token and hands the token itself back, once.
func (a *Admin) issueToken(ctx context.Context, userID string, ttl time.Duration) (IssuedToken, error) {
	token := domain.NewToken()
	now := a.now()
	stored := domain.APIToken{
		ID:        domain.NewID(),
		UserID:    userID,
		Digest:    domain.TokenDigest(token),
		CreatedAt: now,
	}
	if ttl > 0 {
		stored.ExpiresAt = new(now.Add(ttl))
	}
	if err := a.tokens.InsertToken(ctx, stored); err != nil {
		return IssuedToken{}, fmt.Errorf("store token of user %s: %w", userID, err)
	}
	return IssuedToken{ID: stored.ID, Token: token, ExpiresAt: stored.ExpiresAt}, nil
}

// ListTokens returns the tokens of the user with the given email, oldest first: ids and
// history, never a token or its digest.
func (a *Admin) ListTokens(ctx context.Context, email string) ([]ports.TokenRecord, error) {
	user, err := a.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	tokens, err := a.tokens.ListTokens(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", user.Email, err)
	}
	return tokens, nil
}

// RevokeToken revokes one token by id, now; the next request with it answers 401. Revoking a
// revoked token changes nothing and returns it with its first revocation time.
func (a *Admin) RevokeToken(ctx context.Context, tokenID string) (ports.TokenRecord, error) {
	tokenID, err := parseID("token", tokenID)
	if err != nil {
		return ports.TokenRecord{}, err
	}
	token, err := a.tokens.RevokeToken(ctx, tokenID, a.now())
	if err != nil {
		return ports.TokenRecord{}, fmt.Errorf("revoke token %s: %w", tokenID, err)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "revoke token", slog.String("user_id", token.UserID), slog.String("token_id", token.ID))
	return token, nil
}

// RevokeUserTokens revokes every token of the user with the given email that is not revoked
// yet, for when a person leaves or a machine is compromised, and returns how many it revoked.
func (a *Admin) RevokeUserTokens(ctx context.Context, email string) (int, error) {
	user, err := a.userByEmail(ctx, email)
	if err != nil {
		return 0, err
	}
	n, err := a.tokens.RevokeUserTokens(ctx, user.ID, a.now())
	if err != nil {
		return 0, fmt.Errorf("revoke the tokens of %s: %w", user.Email, err)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "revoke user tokens",
		slog.String("org_id", user.OrgID), slog.String("user_id", user.ID), slog.Int("revoked", n))
	return n, nil
}
