package domain

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"
)

// Token prefixes let secret scanners and people tell bucketd's three kinds of bearer secret
// apart at a glance: API tokens an operator issues (tokenPrefix), and the access and refresh
// tokens a sign-in issues, which live for minutes and days.
const (
	accessTokenPrefix  = "bka_"
	refreshTokenPrefix = "bkr_"
)

// NewAccessToken returns a fresh access token with 256 random bits. It authenticates like an
// API token, for as long as its session lives and its short lifetime lasts.
func NewAccessToken() Secret { return newPrefixedToken(accessTokenPrefix) }

// NewRefreshToken returns a fresh refresh token with 256 random bits. It is good for one
// refresh only: each refresh answers with the next one.
func NewRefreshToken() Secret { return newPrefixedToken(refreshTokenPrefix) }

// IsRefreshToken reports whether token has the refresh token's form, so that a caller who sends
// an access or API token where a refresh token belongs learns which one is wanted. It tells
// nothing about whether the token is valid.
func IsRefreshToken(token Secret) bool {
	return strings.HasPrefix(token.Reveal(), refreshTokenPrefix)
}

func newPrefixedToken(prefix string) Secret {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return NewSecret(prefix + base64.RawURLEncoding.EncodeToString(b[:]))
}

// Session is one sign-in and everything descended from it: the refresh tokens each refresh
// rotates to, and the access tokens each one issues. It is the unit of revocation: logging
// out, a reused refresh token or a new password ends the whole session at once.
type Session struct {
	ID        string
	UserID    string
	CreatedAt time.Time
}

// RefreshToken is a refresh token as stored: the SHA-256 digest of the token (TokenDigest),
// never the token.
type RefreshToken struct {
	ID        string
	SessionID string
	Digest    []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionTokens are the tokens a sign-in or a refresh hands out, each shown once: the stored
// rows keep their digests only.
type SessionTokens struct {
	Access           Secret
	AccessExpiresAt  time.Time
	Refresh          Secret
	RefreshExpiresAt time.Time
}
