package fakegcs

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// jwtBearerGrant is the grant type of RFC 7523, the one service accounts use.
const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// storageAudience is the audience a self-signed JWT may name instead of a scope at Google; the
// fake accepts it beside no audience, and wants a scope either way.
const storageAudience = "https://storage.googleapis.com/"

// maxJWTLifetime is how long Google lets a service account's JWT live, and clockLeeway how
// far its times may be off.
const (
	maxJWTLifetime = time.Hour
	clockLeeway    = time.Minute
)

// The scopes that reach Cloud Storage: the read scopes allow reading only, the write scopes
// everything.
var (
	readScopes = []string{
		"https://www.googleapis.com/auth/devstorage.read_only",
		"https://www.googleapis.com/auth/cloud-platform.read-only",
	}
	writeScopes = []string{
		"https://www.googleapis.com/auth/devstorage.read_write",
		"https://www.googleapis.com/auth/devstorage.full_control",
		"https://www.googleapis.com/auth/cloud-platform",
	}
)

// grant is what a verified JWT or an issued access token lets its bearer do: act as the
// account within the scopes.
type grant struct {
	acct   *account
	scopes []string
}

// allows reports whether the grant's scopes cover a request with method: reads need a read or
// a write scope, anything else a write scope.
func (g grant) allows(method string) bool {
	read := method == http.MethodGet || method == http.MethodHead
	return slices.ContainsFunc(g.scopes, func(s string) bool {
		return slices.Contains(writeScopes, s) || read && slices.Contains(readScopes, s)
	})
}

// jwtUse says where a JWT is presented, which decides the claims it must carry.
type jwtUse struct {
	// audiences are the aud values accepted; "" stands for none.
	audiences []string
	// selfSigned is set for a JWT sent to the API as the bearer itself: it must name its key
	// (kid) and its subject, the signing account (sub = iss).
	selfSigned bool
}

// verifyJWT checks a JWT as Google checks what a service account signs: RS256, issued by a
// registered account, signed with one of its enabled keys (the one kid names, if any; a deleted
// or disabled key verifies nothing), no other subject than the account, for an accepted
// audience, current, living at most an hour, and asking for a scope. It returns the grant, or
// the OAuth error code and description the token endpoint answers with.
func (s *Server) verifyJWT(raw string, use jwtUse) (g grant, code, description string) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return grant{}, "invalid_grant", "Invalid JWT: the assertion is not an RS256-signed JWT"
	}
	kid := tok.Headers[0].KeyID
	if use.selfSigned && kid == "" {
		return grant{}, "invalid_grant", "Invalid JWT: no key id (kid) in the header"
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return grant{}, "invalid_grant", "Invalid JWT: unreadable claims"
	}
	s.mu.Lock()
	acct := s.accounts[unverified.Issuer]
	s.mu.Unlock()
	if acct == nil {
		return grant{}, "invalid_grant", "Invalid grant: account not found"
	}
	claims, scope, ok := verifySignature(tok, s.enabledKeys(acct, kid))
	if !ok {
		return grant{}, "invalid_grant", "Invalid JWT Signature."
	}
	switch {
	case claims.Subject != acct.email && (use.selfSigned || claims.Subject != ""):
		return grant{}, "invalid_grant", "Invalid JWT: sub must be the service account itself"
	case !audienceIn(claims.Audience, use.audiences):
		return grant{}, "invalid_grant", "Invalid JWT: Failed audience check."
	case claims.ValidateWithLeeway(jwt.Expected{Issuer: acct.email, Time: time.Now()}, clockLeeway) != nil ||
		claims.IssuedAt == nil || claims.Expiry == nil || claims.Expiry.Time().Sub(claims.IssuedAt.Time()) > maxJWTLifetime:
		return grant{}, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
	case scope == "":
		return grant{}, "invalid_scope", "Empty or missing scope not allowed."
	}
	return grant{acct: acct, scopes: strings.Fields(scope)}, "", ""
}

// verifySignature returns the claims and scope of tok if one of keys signed it.
func verifySignature(tok *jwt.JSONWebToken, keys []*rsa.PublicKey) (jwt.Claims, string, bool) {
	for _, key := range keys {
		var claims jwt.Claims
		var extra struct {
			Scope string `json:"scope"`
		}
		if tok.Claims(key, &claims, &extra) == nil {
			return claims, extra.Scope, true
		}
	}
	return jwt.Claims{}, "", false
}

// audienceIn reports whether aud is exactly one of accepted ("" accepting none).
func audienceIn(aud jwt.Audience, accepted []string) bool {
	switch len(aud) {
	case 0:
		return slices.Contains(accepted, "")
	case 1:
		return slices.Contains(accepted, aud[0])
	}
	return false
}

// issueToken is the OAuth token endpoint: it trades a JWT assertion signed by a registered
// service account for an access token bound to that account and the assertion's scopes, and
// answers anything else with the error Google's endpoint gives.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "POST the token request")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	if r.PostForm.Get("grant_type") != jwtBearerGrant {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+r.PostForm.Get("grant_type"))
		return
	}
	g, code, description := s.verifyJWT(r.PostForm.Get("assertion"), jwtUse{audiences: []string{s.TokenURL}})
	if code != "" {
		writeOAuthError(w, http.StatusBadRequest, code, description)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": s.newToken(g), "expires_in": 3599, "token_type": "Bearer"})
}

// newToken issues a fresh access token bound to g.
func (s *Server) newToken(g grant) string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token := "ya29.fake-" + hex.EncodeToString(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = g
	return token
}

// TokenInfo tells who an access token issued here belongs to and what its scopes are, as
// Google's tokeninfo endpoint does; ok is false for a token this server did not issue (or
// revoked). A peer that stands in for another Google API (iampeer's IAM Credentials)
// authenticates its callers with it.
func (s *Server) TokenInfo(token string) (email string, scopes []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.tokens[token]
	if !ok {
		return "", nil, false
	}
	return g.acct.email, slices.Clone(g.scopes), true
}

// IssueToken issues an access token for the registered service account email with scopes, as
// IAM Credentials' generateAccessToken does for an account a caller may impersonate: the API
// accepts it as the account, within the scopes. ok is false when no such account is
// registered.
func (s *Server) IssueToken(email string, scopes []string) (token string, ok bool) {
	s.mu.Lock()
	acct := s.accounts[email]
	s.mu.Unlock()
	if acct == nil {
		return "", false
	}
	return s.newToken(grant{acct: acct, scopes: slices.Clone(scopes)}), true
}

// RevokeTokens revokes every access token issued to service account email, as disabling the
// account does at Google: the API answers them 401 from then on.
func (s *Server) RevokeTokens(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for token, g := range s.tokens {
		if g.acct.email == email {
			delete(s.tokens, token)
		}
	}
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
