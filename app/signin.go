package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Defaults for signing in; cmd/bucketd's flags override them.
const (
	DefaultAccessTokenTTL  = 15 * time.Minute
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
)

// wrongCredentialsMessage is the one answer to an unknown email, a wrong password and a user
// without a password, so that a caller cannot learn which accounts exist.
const wrongCredentialsMessage = "the email or the password is wrong"

// notARefreshTokenMessage answers a refresh_token that is not one by its form.
const notARefreshTokenMessage = "refresh_token must be the refreshToken (bkr_…) a sign-in or a refresh answered; sign in again with POST /user/login"

// SignInDeps are what signing in needs; every field but Logger and Now is required.
type SignInDeps struct {
	Accounts ports.Accounts
	Sessions ports.Sessions
	Failures ports.SignInFailures
	Hasher   ports.PasswordHasher
	Tokens   ports.OwnTokens
	Audit    ports.AuditLog
	// EmailKey keys the hash under which an email's failed sign-ins are counted, so that the
	// counts name no email (nor a password typed into the email field) to a reader of the
	// database.
	EmailKey domain.Secret
	// AccessTTL and RefreshTTL are the lifetimes of access and refresh tokens.
	AccessTTL, RefreshTTL time.Duration
	// EmailBackoff and AddressBackoff hold back attempts after failures per email and per client
	// address (domain.ClientPrefix).
	EmailBackoff, AddressBackoff domain.Backoff
	Logger                       *slog.Logger
	Now                          func() time.Time
}

// SignIn signs people in with a password and keeps their sessions: short-lived access tokens
// that authenticate like API tokens, and refresh tokens that rotate on every use. It also lets
// a signed-in user see and revoke their own API tokens.
type SignIn struct {
	deps SignInDeps
	log  *slog.Logger
	now  func() time.Time
}

// NewSignIn checks the dependencies once, at wiring time.
func NewSignIn(deps SignInDeps) (*SignIn, error) {
	switch {
	case deps.Accounts == nil || deps.Sessions == nil || deps.Failures == nil || deps.Hasher == nil || deps.Tokens == nil || deps.Audit == nil:
		return nil, errors.New("app.NewSignIn: Accounts, Sessions, Failures, Hasher, Tokens and Audit are required")
	case deps.EmailKey.IsZero():
		return nil, errors.New("app.NewSignIn: EmailKey is empty")
	case deps.AccessTTL <= 0 || deps.RefreshTTL <= 0:
		return nil, fmt.Errorf("app.NewSignIn: token lifetimes %s and %s must be positive", deps.AccessTTL, deps.RefreshTTL)
	}
	log, now := withDefaults(deps.Logger, deps.Now)
	return &SignIn{deps: deps, log: log, now: now}, nil
}

// SignedIn is a granted sign-in: the user and the tokens of the new session, shown once.
type SignedIn struct {
	User   domain.User
	Tokens domain.SessionTokens
}

// Login checks an email and password and starts a session. While the email or the client
// address is held back after failed attempts, it answers KindRateLimited with RetryAfter,
// before any lookup or hash. An unknown email, a user without a password and a wrong password
// cost the same work (one lookup, one hash, one count) and get one KindUnauthenticated answer.
func (s *SignIn) Login(ctx context.Context, email string, password domain.Secret) (SignedIn, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	keys := []string{s.emailKey(email), "addr:" + domain.ClientPrefix(domain.ClientAddr(ctx)).String()}
	now := s.now()
	if err := s.heldBack(ctx, keys, now); err != nil {
		return SignedIn{}, err
	}
	account, err := s.deps.Accounts.AccountByEmail(ctx, email)
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return SignedIn{}, err
	}
	ok, err := s.deps.Hasher.Verify(ctx, password, account.PasswordHash)
	if err != nil {
		return SignedIn{}, fmt.Errorf("verify the password of user %s: %w", account.User.ID, err)
	}
	user := account.User
	if !ok {
		refused := domain.Errorf(domain.KindUnauthenticated, wrongCredentialsMessage)
		if err := s.deps.Failures.RecordFailure(ctx, keys, now, now.Add(-s.deps.EmailBackoff.Forget)); err != nil {
			return SignedIn{}, err
		}
		recordAudit(ctx, s.deps.Audit, s.log, domain.NewAuditEvent(ctx, now, domain.AuditSignIn, user.OrgID, user.ID, "", refused))
		return SignedIn{}, refused
	}
	if err := s.deps.Failures.ClearFailures(ctx, keys[0]); err != nil {
		return SignedIn{}, err
	}
	session := domain.Session{ID: domain.NewID(), UserID: user.ID, CreatedAt: now}
	tokens, refresh, access := s.newTokens(user.ID, session.ID, now)
	if err := s.deps.Sessions.StartSession(ctx, session, refresh, access); err != nil {
		return SignedIn{}, fmt.Errorf("start a session for user %s: %w", user.ID, err)
	}
	recordAudit(ctx, s.deps.Audit, s.log, domain.NewAuditEvent(ctx, now, domain.AuditSignIn, user.OrgID, user.ID, "", nil))
	s.log.LogAttrs(ctx, slog.LevelInfo, "sign in", slog.String("org_id", user.OrgID), slog.String("user_id", user.ID),
		slog.String("session_id", session.ID))
	return SignedIn{User: user, Tokens: tokens}, nil
}

// heldBack answers KindRateLimited while any key waits out its back-off.
func (s *SignIn) heldBack(ctx context.Context, keys []string, now time.Time) error {
	counts, err := s.deps.Failures.Failures(ctx, keys)
	if err != nil {
		return err
	}
	until := s.deps.EmailBackoff.BlockedUntil(counts[0], now)
	if byAddress := s.deps.AddressBackoff.BlockedUntil(counts[1], now); byAddress.After(until) {
		until = byAddress
	}
	if !until.After(now) {
		return nil
	}
	wait := until.Sub(now)
	return &domain.Error{Kind: domain.KindRateLimited, RetryAfter: wait,
		Message: fmt.Sprintf("too many failed sign-ins for this email or from this address; retry after %d s", int(math.Ceil(wait.Seconds())))}
}

// emailKey is the key of an email's failure count: a keyed hash, never the email.
func (s *SignIn) emailKey(email string) string {
	mac := hmac.New(sha256.New, []byte(s.deps.EmailKey.Reveal()))
	mac.Write([]byte(email))
	return "email:" + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// newTokens makes a fresh access and refresh token for a session, and the rows that store
// their digests.
func (s *SignIn) newTokens(userID, sessionID string, now time.Time) (domain.SessionTokens, domain.RefreshToken, domain.APIToken) {
	tokens := domain.SessionTokens{Access: domain.NewAccessToken(), AccessExpiresAt: now.Add(s.deps.AccessTTL),
		Refresh: domain.NewRefreshToken(), RefreshExpiresAt: now.Add(s.deps.RefreshTTL)}
	refresh := domain.RefreshToken{ID: domain.NewID(), SessionID: sessionID, Digest: domain.TokenDigest(tokens.Refresh),
		CreatedAt: now, ExpiresAt: tokens.RefreshExpiresAt}
	access := domain.APIToken{ID: domain.NewID(), UserID: userID, SessionID: sessionID, Digest: domain.TokenDigest(tokens.Access),
		CreatedAt: now, ExpiresAt: new(tokens.AccessExpiresAt)}
	return tokens, refresh, access
}

// Refresh spends a refresh token for a new access token and the next refresh token. A refresh
// token that was spent already is a sign that it leaked: the whole session is revoked, every
// token descended from its sign-in, and the answer is KindUnauthenticated.
func (s *SignIn) Refresh(ctx context.Context, token domain.Secret) (domain.SessionTokens, error) {
	if !domain.IsRefreshToken(token) {
		return domain.SessionTokens{}, domain.Errorf(domain.KindUnauthenticated, notARefreshTokenMessage)
	}
	now := s.now()
	tokens, next, access := s.newTokens("", "", now)
	rot, err := s.deps.Sessions.RotateRefreshToken(ctx, domain.TokenDigest(token), now, next, access)
	if err != nil {
		return domain.SessionTokens{}, err
	}
	if rot.Reused {
		reused := domain.Errorf(domain.KindUnauthenticated,
			"this refresh token was used before, so it may have leaked: its session is ended, every token of it refused; sign in again with POST /user/login")
		recordAudit(ctx, s.deps.Audit, s.log, domain.NewAuditEvent(ctx, now, domain.AuditRefreshReused, rot.OrgID, rot.UserID, "", reused))
		s.log.LogAttrs(ctx, slog.LevelWarn, "a spent refresh token was used again; its session is revoked",
			slog.String("org_id", rot.OrgID), slog.String("user_id", rot.UserID), slog.String("session_id", rot.SessionID))
		return domain.SessionTokens{}, reused
	}
	recordAudit(ctx, s.deps.Audit, s.log, domain.NewAuditEvent(ctx, now, domain.AuditRefresh, rot.OrgID, rot.UserID, "", nil))
	return tokens, nil
}

// Logout ends the session of a refresh token, spent or not: every token of it is refused from
// the next request on. Ending an ended session changes nothing and succeeds.
func (s *SignIn) Logout(ctx context.Context, token domain.Secret) error {
	if !domain.IsRefreshToken(token) {
		return domain.Errorf(domain.KindUnauthenticated, notARefreshTokenMessage)
	}
	now := s.now()
	ref, err := s.deps.Sessions.EndSession(ctx, domain.TokenDigest(token), now)
	if err != nil {
		return err
	}
	recordAudit(ctx, s.deps.Audit, s.log, domain.NewAuditEvent(ctx, now, domain.AuditSignOut, ref.OrgID, ref.UserID, "", nil))
	return nil
}

// OwnTokens lists the caller's API tokens, without the access tokens of sessions: ids and
// history, never a token or its digest.
func (s *SignIn) OwnTokens(ctx context.Context, p domain.Principal) ([]ports.TokenRecord, error) {
	return s.deps.Tokens.ListTokens(ctx, p.UserID)
}

// RevokeOwnToken revokes one of the caller's API tokens; the next request with it answers 401.
// Another user's token is KindNotFound, like an unknown id.
func (s *SignIn) RevokeOwnToken(ctx context.Context, p domain.Principal, tokenID string) error {
	now := s.now()
	if _, err := s.deps.Tokens.RevokeOwnToken(ctx, p.UserID, strings.TrimSpace(tokenID), now); err != nil {
		return err
	}
	recordAudit(ctx, s.deps.Audit, s.log, domain.NewAuditEvent(ctx, now, domain.AuditTokenRevoked, p.OrgID, p.UserID, "", nil))
	return nil
}
