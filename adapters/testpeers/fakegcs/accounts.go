package fakegcs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// jwtBearerGrant is the grant type of RFC 7523, the one service accounts use.
const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// maxAssertionLifetime is how long Google lets an assertion live, and clockLeeway how far its
// times may be off.
const (
	maxAssertionLifetime = time.Hour
	clockLeeway          = time.Minute
)

// account is a registered service account: the public half of its key verifies its assertions,
// and its permissions apply on every bucket.
type account struct {
	email       string
	key         *rsa.PublicKey
	permissions []string
}

// NewServiceAccount registers a service account with a fresh RSA key and grants it permissions
// on every bucket (e.g. "storage.buckets.get", "storage.objects.list"). It returns the private
// key as PKCS#8 PEM and the service-account JSON key file Google would hand out for it.
func (s *Server) NewServiceAccount(t testing.TB, email string, permissions ...string) (privateKeyPEM, serviceAccountJSON string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("fakegcs: generate key for %s: %v", email, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("fakegcs: marshal key for %s: %v", email, err)
	}
	privateKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	keyID := make([]byte, 20)
	_, _ = rand.Read(keyID)
	file, err := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "fakegcs",
		"private_key_id": hex.EncodeToString(keyID),
		"private_key":    privateKeyPEM,
		"client_email":   email,
		"client_id":      "100000000000000000001",
		"auth_uri":       "https://accounts.google.com/o/oauth2/auth",
		"token_uri":      s.TokenURL,
	})
	if err != nil {
		t.Fatalf("fakegcs: marshal key file for %s: %v", email, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.accounts[email]; taken {
		t.Fatalf("fakegcs: service account %s is already registered", email)
	}
	s.accounts[email] = &account{email: email, key: &key.PublicKey, permissions: permissions}
	return privateKeyPEM, string(file)
}

// issueToken is the OAuth token endpoint: it trades a JWT assertion signed by a registered
// service account for an access token bound to that account, and answers anything else with
// the error Google's endpoint gives.
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
	acct, code, description := s.verifyAssertion(r.PostForm.Get("assertion"))
	if acct == nil {
		writeOAuthError(w, http.StatusBadRequest, code, description)
		return
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token := "ya29.fake-" + hex.EncodeToString(raw)
	s.mu.Lock()
	s.tokens[token] = acct
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "expires_in": 3599, "token_type": "Bearer"})
}

// verifyAssertion checks an assertion as Google does: an RS256 JWT issued by a registered
// account, signed with its key, addressed to this token endpoint, short-lived and current,
// asking for a scope. It returns the account, or the OAuth error code and description.
func (s *Server) verifyAssertion(assertion string) (acct *account, code, description string) {
	tok, err := jwt.ParseSigned(assertion, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, "invalid_grant", "Invalid JWT: the assertion is not an RS256-signed JWT"
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, "invalid_grant", "Invalid JWT: unreadable claims"
	}
	s.mu.Lock()
	acct = s.accounts[unverified.Issuer]
	s.mu.Unlock()
	if acct == nil {
		return nil, "invalid_grant", "Invalid grant: account not found"
	}
	var claims jwt.Claims
	var scope struct {
		Scope string `json:"scope"`
	}
	if err := tok.Claims(acct.key, &claims, &scope); err != nil {
		return nil, "invalid_grant", "Invalid JWT Signature."
	}
	expected := jwt.Expected{Issuer: acct.email, AnyAudience: jwt.Audience{s.TokenURL}, Time: time.Now()}
	if err := claims.ValidateWithLeeway(expected, clockLeeway); err != nil || claims.IssuedAt == nil || claims.Expiry == nil ||
		claims.Expiry.Time().Sub(claims.IssuedAt.Time()) > maxAssertionLifetime {
		return nil, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
	}
	if scope.Scope == "" {
		return nil, "invalid_scope", "Empty or missing scope not allowed."
	}
	return acct, "", ""
}

// granted returns those of wanted that the account holds, in the order asked.
func (a *account) granted(wanted []string) []string {
	held := []string{}
	for _, p := range wanted {
		if slices.Contains(a.permissions, p) {
			held = append(held, p)
		}
	}
	return held
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
