package gormstore

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var (
	_ ports.Accounts       = (*Store)(nil)
	_ ports.Sessions       = (*Store)(nil)
	_ ports.SignInFailures = (*Store)(nil)
	_ ports.SignInPurger   = (*Store)(nil)
	_ ports.OwnTokens      = (*Store)(nil)
)

// accountRow is a user with its password hash, which only signing in reads.
type accountRow struct {
	ID           string  `gorm:"column:id"`
	OrgID        string  `gorm:"column:org_id"`
	Email        string  `gorm:"column:email"`
	Role         string  `gorm:"column:role"`
	PasswordHash *string `gorm:"column:password_hash"`
}

// AccountByEmail finds a user by email, ignoring case, with its password hash ("" for none);
// an unknown email is a KindNotFound error.
func (s *Store) AccountByEmail(ctx context.Context, email string) (ports.Account, error) {
	var row accountRow
	err := s.db.WithContext(ctx).Table(tableUsers).Where("lower(email) = lower(?)", email).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ports.Account{}, domain.Errorf(domain.KindNotFound, "no user has the email %q; check the address", email)
	}
	if err != nil {
		return ports.Account{}, wrap("find account by email", err)
	}
	account := ports.Account{User: domain.User{ID: row.ID, OrgID: row.OrgID, Email: row.Email, Role: domain.Role(row.Role)}}
	if row.PasswordHash != nil {
		account.PasswordHash = *row.PasswordHash
	}
	return account, nil
}

// SetPassword stores a user's password hash and revokes the user's live sessions in one
// transaction, returning how many it ended; an unknown user is a KindNotFound error.
func (s *Store) SetPassword(ctx context.Context, userID, hash string, at time.Time) (int, error) {
	if !domain.IsID(userID) {
		return 0, userNotFound(userID)
	}
	userID, at = canonicalID(userID), dbTime(at)
	var ended int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Table(tableUsers).Where("id = ?", userID).
			Updates(map[string]any{"password_hash": hash, "password_set_at": at})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return userNotFound(userID)
		}
		res = tx.Table(tableSessions).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", at)
		ended = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, wrap("set password", err)
	}
	return int(ended), nil
}
