package ports

//go:generate go tool mockgen -destination=../testsupport/mocks/signin.go -package=mocks . Accounts,Sessions,SignInFailures,PasswordHasher,OwnTokens

import (
	"context"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// Account is a user as signing in sees it: the user, and the encoded hash of its password.
type Account struct {
	User domain.User
	// PasswordHash is the PasswordHasher's encoding of the user's password; "" for a user who
	// has none, and so cannot sign in.
	PasswordHash string
}

// Accounts finds users by email to sign them in, and stores the hashes of their passwords.
type Accounts interface {
	// AccountByEmail finds the user with the email, ignoring case, with its password hash; an
	// email that names no user is a KindNotFound error.
	AccountByEmail(ctx context.Context, email string) (Account, error)
	// SetPassword stores the hash of a user's new password and revokes every session of the
	// user that is not revoked yet, all or nothing, and returns how many sessions it ended; an
	// unknown user is a KindNotFound error.
	SetPassword(ctx context.Context, userID, hash string, at time.Time) (int, error)
}

// SessionRef names a session and its user, for the audit trail.
type SessionRef struct {
	SessionID string
	UserID    string
	OrgID     string
}

// Rotation is what Sessions.RotateRefreshToken did with a refresh token that names a live
// session.
type Rotation struct {
	SessionRef
	// Reused is true when the token had been spent already: the session is revoked, with every
	// token descended from its sign-in, and nothing new was stored.
	Reused bool
}

// Sessions keeps the sessions that sign-ins start: their refresh tokens and the access tokens
// they issue, as digests only. Access tokens are bearer tokens the Authenticator accepts while
// they have not expired and their session is not revoked.
type Sessions interface {
	// StartSession stores a session with its first refresh token and access token, all or
	// nothing.
	StartSession(ctx context.Context, s domain.Session, refresh domain.RefreshToken, access domain.APIToken) error
	// RotateRefreshToken spends the refresh token with the digest, once: in one transaction it
	// marks the token spent and stores next and access in the token's session (their SessionID
	// and the access token's UserID are set from it). Of concurrent calls with one token,
	// exactly one rotates; every other finds the token spent. A spent token revokes its session
	// and returns Reused. An unknown or expired token, or one whose session is revoked, is a
	// KindUnauthenticated error and changes nothing.
	RotateRefreshToken(ctx context.Context, digest []byte, at time.Time, next domain.RefreshToken, access domain.APIToken) (Rotation, error)
	// EndSession revokes the session of the refresh token with the digest, spent or not, unless
	// it is revoked already, and names it. An unknown token is a KindUnauthenticated error.
	EndSession(ctx context.Context, digest []byte, at time.Time) (SessionRef, error)
}

// SignInFailures counts failed sign-ins per key (an email, a client address) in the database,
// so that the back-off holds across every server process.
type SignInFailures interface {
	// Failures returns the failure count of each key, in the order of keys; a key without
	// failures has the zero count.
	Failures(ctx context.Context, keys []string) ([]domain.FailureCount, error)
	// RecordFailure adds one failure at the time at under each key, in one statement per key
	// that concurrent calls cannot lose an increment of; a key whose last failure came before
	// forgetBefore starts again from one.
	RecordFailure(ctx context.Context, keys []string, at, forgetBefore time.Time) error
	// ClearFailures forgets the failures of a key, after a sign-in under it succeeded.
	ClearFailures(ctx context.Context, key string) error
}

// SignInPurger deletes, hourly, what sign-ins leave behind once it can no longer matter.
type SignInPurger interface {
	// PurgeSessions deletes the refresh and access tokens that expired before now, then the
	// sessions left without any refresh token, and returns how many rows it deleted.
	PurgeSessions(ctx context.Context, now time.Time) (int64, error)
	// PurgeFailures deletes the failure counts whose last failure came before before, and
	// returns how many.
	PurgeFailures(ctx context.Context, before time.Time) (int64, error)
}

// PasswordHasher hashes passwords slowly, with its parameters in the encoded hash, so that
// they can change while older hashes keep verifying.
type PasswordHasher interface {
	// Hash returns the encoded hash of password under a fresh salt.
	Hash(ctx context.Context, password domain.Secret) (string, error)
	// Verify reports whether password is the one encoded was made from. An empty encoded (no
	// such user, or a user without a password) costs the same time, against a dummy hash, and
	// reports false, so that the time of an answer tells nothing about the account. A hash
	// that is not of the hasher's form is an error.
	Verify(ctx context.Context, password domain.Secret, encoded string) (bool, error)
}

// OwnTokens are what a signed-in user may do with their own API tokens.
type OwnTokens interface {
	// ListTokens returns a user's API tokens (never the access tokens of sessions), oldest
	// first; an unknown user is a KindNotFound error.
	ListTokens(ctx context.Context, userID string) ([]TokenRecord, error)
	// RevokeOwnToken revokes one API token of the user, as Tokens.RevokeToken does; an id that
	// names no API token of that user is a KindNotFound error, exactly like an unknown one.
	RevokeOwnToken(ctx context.Context, userID, tokenID string, at time.Time) (TokenRecord, error)
}
