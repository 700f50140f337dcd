package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

const (
	tableSessions      = "sessions"
	tableRefreshTokens = "refresh_tokens"
)

// invalidRefreshMessage is the one answer for every unusable refresh token, so that a caller
// cannot tell an unknown token from an expired one or one of a revoked session.
const invalidRefreshMessage = "the refresh token is invalid, expired or revoked; sign in again with POST /user/login"

type sessionRow struct {
	ID        string     `gorm:"column:id;primaryKey"`
	UserID    string     `gorm:"column:user_id"`
	CreatedAt time.Time  `gorm:"column:created_at"`
	RevokedAt *time.Time `gorm:"column:revoked_at"`
}

func (sessionRow) TableName() string { return tableSessions }

type refreshTokenRow struct {
	ID        string     `gorm:"column:id;primaryKey"`
	SessionID string     `gorm:"column:session_id"`
	Digest    []byte     `gorm:"column:digest"`
	CreatedAt time.Time  `gorm:"column:created_at"`
	ExpiresAt time.Time  `gorm:"column:expires_at"`
	UsedAt    *time.Time `gorm:"column:used_at"`
}

func (refreshTokenRow) TableName() string { return tableRefreshTokens }

func newRefreshTokenRow(t domain.RefreshToken) refreshTokenRow {
	return refreshTokenRow{ID: t.ID, SessionID: canonicalID(t.SessionID), Digest: t.Digest,
		CreatedAt: dbTime(t.CreatedAt), ExpiresAt: dbTime(t.ExpiresAt)}
}

func newAccessTokenRow(t domain.APIToken) apiTokenRow {
	return apiTokenRow{ID: t.ID, UserID: canonicalID(t.UserID), Digest: t.Digest, CreatedAt: dbTime(t.CreatedAt),
		ExpiresAt: utcPtr(t.ExpiresAt), SessionID: new(canonicalID(t.SessionID))}
}

// StartSession stores a session with its first refresh and access tokens in one transaction.
func (s *Store) StartSession(ctx context.Context, session domain.Session, refresh domain.RefreshToken, access domain.APIToken) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := sessionRow{ID: session.ID, UserID: canonicalID(session.UserID), CreatedAt: dbTime(session.CreatedAt)}
		if err := tx.Create(&row).Error; err != nil {
			if violatesForeignKey(err) {
				return userNotFound(session.UserID)
			}
			return err
		}
		return insertSessionTokens(tx, refresh, access)
	})
	return wrap("start session", err)
}

func insertSessionTokens(tx *gorm.DB, refresh domain.RefreshToken, access domain.APIToken) error {
	refreshRow, accessRow := newRefreshTokenRow(refresh), newAccessTokenRow(access)
	if err := tx.Create(&refreshRow).Error; err != nil {
		return fmt.Errorf("insert refresh token: %w", err)
	}
	if err := tx.Create(&accessRow).Error; err != nil {
		return fmt.Errorf("insert access token: %w", err)
	}
	return nil
}

// presentedRefresh is a refresh token found by its digest, with its session and user.
type presentedRefresh struct {
	ID               string
	ExpiresAt        time.Time
	UsedAt           *time.Time
	SessionID        string
	SessionRevokedAt *time.Time
	UserID           string
	OrgID            string
}

func (p presentedRefresh) ref() ports.SessionRef {
	return ports.SessionRef{SessionID: p.SessionID, UserID: p.UserID, OrgID: p.OrgID}
}

// findRefresh looks a refresh token up by digest; an unknown one is KindUnauthenticated.
func findRefresh(tx *gorm.DB, digest []byte) (presentedRefresh, error) {
	var p presentedRefresh
	err := tx.Raw("SELECT r.id, r.expires_at, r.used_at, s.id, s.revoked_at, u.id, u.org_id FROM "+tableRefreshTokens+" AS r "+
		"JOIN "+tableSessions+" AS s ON s.id = r.session_id JOIN "+tableUsers+" AS u ON u.id = s.user_id WHERE r.digest = ?", digest).
		Row().Scan(&p.ID, &p.ExpiresAt, &p.UsedAt, &p.SessionID, &p.SessionRevokedAt, &p.UserID, &p.OrgID)
	if errors.Is(err, sql.ErrNoRows) {
		return p, domain.Errorf(domain.KindUnauthenticated, invalidRefreshMessage)
	}
	return p, err
}

// RotateRefreshToken spends a refresh token and stores its successors, or revokes the session
// of a token spent already. The spend is one conditional UPDATE (used_at IS NULL), so of
// concurrent rotations of one token exactly one changes the row; on PostgreSQL the others wait
// for its row lock and then find the token spent, on SQLite the write transactions take turns.
func (s *Store) RotateRefreshToken(ctx context.Context, digest []byte, at time.Time, next domain.RefreshToken, access domain.APIToken) (ports.Rotation, error) {
	at = dbTime(at)
	var out ports.Rotation
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := findRefresh(tx, digest)
		if err != nil {
			return err
		}
		if p.SessionRevokedAt != nil || !at.Before(p.ExpiresAt) {
			return domain.Errorf(domain.KindUnauthenticated, invalidRefreshMessage)
		}
		out.SessionRef = p.ref()
		res := tx.Table(tableRefreshTokens).Where("id = ? AND used_at IS NULL", p.ID).Update("used_at", at)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			out.Reused = true
			return revokeSession(tx, p.SessionID, at)
		}
		next.SessionID, access.SessionID, access.UserID = p.SessionID, p.SessionID, p.UserID
		return insertSessionTokens(tx, next, access)
	})
	if err != nil {
		return ports.Rotation{}, wrap("rotate refresh token", err)
	}
	return out, nil
}

// EndSession revokes the session of a refresh token, spent or not.
func (s *Store) EndSession(ctx context.Context, digest []byte, at time.Time) (ports.SessionRef, error) {
	var ref ports.SessionRef
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := findRefresh(tx, digest)
		if err != nil {
			return err
		}
		ref = p.ref()
		return revokeSession(tx, p.SessionID, dbTime(at))
	})
	if err != nil {
		return ports.SessionRef{}, wrap("end session", err)
	}
	return ref, nil
}

// revokeSession sets a session's revoked_at unless it is set already. Authenticate reads it
// with every access token, so each token of the session is refused from the next request on.
func revokeSession(tx *gorm.DB, sessionID string, at time.Time) error {
	return tx.Table(tableSessions).Where("id = ? AND revoked_at IS NULL", sessionID).Update("revoked_at", at).Error
}

// PurgeSessions deletes expired refresh tokens and access tokens, then the sessions left with
// no refresh token, none of which could authenticate anything again.
func (s *Store) PurgeSessions(ctx context.Context, now time.Time) (int64, error) {
	now = dbTime(now)
	var purged int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, del := range []func() *gorm.DB{
			func() *gorm.DB { return tx.Where("expires_at < ?", now).Delete(&refreshTokenRow{}) },
			func() *gorm.DB {
				return tx.Where("session_id IS NOT NULL AND expires_at < ?", now).Delete(&apiTokenRow{})
			},
			func() *gorm.DB {
				return tx.Where("NOT EXISTS (SELECT 1 FROM " + tableRefreshTokens + " AS r WHERE r.session_id = sessions.id)").Delete(&sessionRow{})
			},
		} {
			res := del()
			if res.Error != nil {
				return res.Error
			}
			purged += res.RowsAffected
		}
		return nil
	})
	if err != nil {
		return 0, wrap("purge expired sessions", err)
	}
	return purged, nil
}
