package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/bucketd/bucketd/domain"
)

// Password length rules. The minimum follows NIST SP 800-63B (revision 4) for a password that
// is the only factor: 15 characters, with no composition rules. The maximum bounds the work a
// hash is given; 1024 bytes is far beyond any passphrase.
const (
	MinPasswordChars = 15
	MaxPasswordBytes = 1024
)

// SetPassword hashes and stores the password of the user with the given email, then ends every
// session of the user and returns how many it ended: a new password is usually set because the
// old one may be known to someone else, whose sessions must not outlive it. The user's API
// tokens stay valid; an operator revokes them with RevokeUserTokens.
func (a *Admin) SetPassword(ctx context.Context, email string, password domain.Secret) (int, error) {
	if a.accounts == nil || a.hasher == nil {
		return 0, errors.New("app.Admin: setting passwords needs Accounts and Hasher")
	}
	if err := checkPassword(password); err != nil {
		return 0, err
	}
	user, err := a.userByEmail(ctx, email)
	if err != nil {
		return 0, err
	}
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return 0, fmt.Errorf("hash the password of %s: %w", user.Email, err)
	}
	now := a.now()
	ended, err := a.accounts.SetPassword(ctx, user.ID, hash, now)
	if err != nil {
		return 0, fmt.Errorf("set the password of %s: %w", user.Email, err)
	}
	if a.audit != nil {
		recordAudit(ctx, a.audit, a.log, domain.NewAuditEvent(ctx, now, domain.AuditPasswordSet, user.OrgID, user.ID, "", nil))
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "set password", slog.String("org_id", user.OrgID), slog.String("user_id", user.ID),
		slog.Int("sessions_ended", ended))
	return ended, nil
}

// checkPassword applies the length rules, counting characters, not bytes.
func checkPassword(password domain.Secret) error {
	pw := password.Reveal()
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw):
		return domain.Errorf(domain.KindInvalidInput, "the password is not valid UTF-8 text")
	case n < MinPasswordChars:
		return domain.Errorf(domain.KindInvalidInput, "the password has %d characters; it needs at least %d (a few unrelated words make a good one)", n, MinPasswordChars)
	case len(pw) > MaxPasswordBytes:
		return domain.Errorf(domain.KindInvalidInput, "the password is %d bytes long; the limit is %d", len(pw), MaxPasswordBytes)
	}
	return nil
}
