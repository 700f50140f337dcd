package gormstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// tokenColumns are the columns an operator may see: every one but the digest, which is read
// nowhere outside Authenticate.
var tokenColumns = []string{"id", "user_id", "created_at", "expires_at", "revoked_at", "last_used_at"}

// ListTokens returns a user's API tokens without their digests, oldest first; an unknown user
// is a KindNotFound error. The access tokens of sessions are not listed: they live for minutes,
// and a session ends as a whole (logout, a new password, RevokeUserTokens).
func (s *Store) ListTokens(ctx context.Context, userID string) ([]ports.TokenRecord, error) {
	db := s.db.WithContext(ctx)
	if err := requireUser(db, userID); err != nil {
		return nil, wrap("list tokens", err)
	}
	var rows []apiTokenRow
	err := db.Select(tokenColumns).Where("user_id = ? AND session_id IS NULL", canonicalID(userID)).Order("created_at, id").Find(&rows).Error
	if err != nil {
		return nil, wrap("list tokens", err)
	}
	out := make([]ports.TokenRecord, len(rows))
	for i, r := range rows {
		out[i] = r.toRecord()
	}
	return out, nil
}

// RevokeToken sets a token's revoked_at to at unless it is set already, so the first
// revocation time stays, and returns the token as stored. Authenticate refuses a token with a
// revoked_at on its next request. An unknown token is a KindNotFound error.
func (s *Store) RevokeToken(ctx context.Context, tokenID string, at time.Time) (ports.TokenRecord, error) {
	if !domain.IsID(tokenID) {
		return ports.TokenRecord{}, tokenNotFound(tokenID)
	}
	tokenID = canonicalID(tokenID)
	return s.revokeTokenWhere(ctx, at, tokenNotFound(tokenID), "id = ?", tokenID)
}

// RevokeOwnToken revokes one API token of a user as RevokeToken does. Another user's token, or
// an access token of a session, is a KindNotFound error exactly like an unknown id, so that a
// caller learns nothing of tokens not theirs.
func (s *Store) RevokeOwnToken(ctx context.Context, userID, tokenID string, at time.Time) (ports.TokenRecord, error) {
	notFound := domain.Errorf(domain.KindNotFound, "you have no API token with the id %s; GET /token lists yours", tokenID)
	if !domain.IsID(tokenID) || !domain.IsID(userID) {
		return ports.TokenRecord{}, notFound
	}
	return s.revokeTokenWhere(ctx, at, notFound, "id = ? AND user_id = ? AND session_id IS NULL", canonicalID(tokenID), canonicalID(userID))
}

// revokeTokenWhere revokes the one token the condition selects, unless it is revoked already,
// and reads it back; notFound is the answer when the condition selects none.
func (s *Store) revokeTokenWhere(ctx context.Context, at time.Time, notFound error, where string, args ...any) (ports.TokenRecord, error) {
	var row apiTokenRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Table(tableAPITokens).Where(where, args...).Where("revoked_at IS NULL").Update("revoked_at", at.UTC()).Error
		if err != nil {
			return err
		}
		err = tx.Select(tokenColumns).Where(where, args...).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return notFound
		}
		if err != nil {
			return fmt.Errorf("read token back: %w", err)
		}
		return nil
	})
	if err != nil {
		return ports.TokenRecord{}, wrap("revoke token", err)
	}
	return row.toRecord(), nil
}

// RevokeUserTokens sets revoked_at to at on every API token of the user that has none, and
// ends every session of the user, and returns how many API tokens it revoked; an unknown user
// is a KindNotFound error.
func (s *Store) RevokeUserTokens(ctx context.Context, userID string, at time.Time) (int, error) {
	var revoked int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := requireUser(tx, userID); err != nil {
			return err
		}
		res := tx.Table(tableAPITokens).Where("user_id = ? AND session_id IS NULL AND revoked_at IS NULL", canonicalID(userID)).
			Update("revoked_at", at.UTC())
		if res.Error != nil {
			return res.Error
		}
		revoked = res.RowsAffected
		return tx.Table(tableSessions).Where("user_id = ? AND revoked_at IS NULL", canonicalID(userID)).Update("revoked_at", dbTime(at)).Error
	})
	if err != nil {
		return 0, wrap("revoke the user's tokens", err)
	}
	return int(revoked), nil
}

// requireUser returns a KindNotFound error unless the user exists.
func requireUser(db *gorm.DB, userID string) error {
	if !domain.IsID(userID) {
		return userNotFound(userID)
	}
	found, err := exists(db, "SELECT 1 FROM users WHERE id = ?", canonicalID(userID))
	if err != nil {
		return fmt.Errorf("look up user: %w", err)
	}
	if !found {
		return userNotFound(userID)
	}
	return nil
}

func tokenNotFound(tokenID string) error {
	return domain.Errorf(domain.KindNotFound, "no token has the id %s; list a user's tokens to find theirs", tokenID)
}
