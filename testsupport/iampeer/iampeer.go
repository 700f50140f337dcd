// Package iampeer runs a stand-in for Google's IAM Service Account Credentials API on
// 127.0.0.1 for tests: the generateAccessToken method, through which one service account
// obtains an access token for another it may impersonate. No emulator of that API exists, so
// the peer speaks its documented protocol
// (https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken)
// and answers as Google does:
//
//   - the caller's bearer must be an access token its Issuer (a fake GCS) issued, with the
//     cloud-platform or iam scope: otherwise 401 UNAUTHENTICATED or 403
//     ACCESS_TOKEN_SCOPE_INSUFFICIENT;
//   - the caller needs roles/iam.serviceAccountTokenCreator on the target account (Allow):
//     otherwise 403 PERMISSION_DENIED on iam.serviceAccounts.getAccessToken, "(or it may not
//     exist)", whether the target exists or not, as at Google (Revoke takes a grant back);
//   - a caller allowed on an account that does not exist gets 404 NOT_FOUND, a malformed
//     account name or request 400 INVALID_ARGUMENT;
//   - otherwise the Issuer mints a token for the target with the requested scopes, which the
//     fake GCS then accepts as the target, and the answer carries it and its expireTime.
//
// It is a test helper: import it only from _test.go files.
package iampeer

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Issuer knows the access tokens of a fake Google: who a token belongs to, and how to mint one
// for an account. *fakegcs.Server is one.
type Issuer interface {
	TokenInfo(token string) (email string, scopes []string, ok bool)
	IssueToken(email string, scopes []string) (token string, ok bool)
}

// TokenCreatorRole is the role a caller needs on an account to mint its tokens.
const TokenCreatorRole = "roles/iam.serviceAccountTokenCreator"

// callerScopes are the scopes that let a token call the IAM Credentials API.
var callerScopes = []string{"https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/iam"}

// maxLifetime is the longest lifetime Google grants without an organization policy exception.
const maxLifetime = time.Hour

// route matches the method's path and captures the account.
var route = regexp.MustCompile(`^/v1/projects/-/serviceAccounts/([^/]+):generateAccessToken$`)

// accountName is what Google accepts as an account: an email (or a numeric unique id, which
// the peer knows no account by).
var accountName = regexp.MustCompile(`^([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+|[0-9]+)$`)

// Peer is a running IAM Credentials stand-in.
type Peer struct {
	// URL is the API's origin, http://127.0.0.1:PORT, where
	// https://iamcredentials.googleapis.com would be.
	URL string

	issuer Issuer
	mu     sync.Mutex
	now    func() time.Time
	// allowed holds, for each target account, the callers holding TokenCreatorRole on it.
	allowed map[string][]string
	mints   []Mint
}

// Mint records one token the peer minted.
type Mint struct {
	Caller, Target string
	Scopes         []string
	Lifetime       time.Duration
}

// Start runs a peer that authenticates callers and mints tokens through issuer, for the
// duration of t.
func Start(t testing.TB, issuer Issuer) *Peer {
	t.Helper()
	p := &Peer{issuer: issuer, allowed: map[string][]string{}, now: time.Now}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Allow grants caller TokenCreatorRole on target (both service account emails), as `gcloud
// iam service-accounts add-iam-policy-binding TARGET --member=serviceAccount:CALLER
// --role=roles/iam.serviceAccountTokenCreator` does. target need not exist: a grant on a
// deleted account, or one at project level, lets the caller learn that it does not.
func (p *Peer) Allow(caller, target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.allowed[target] = append(p.allowed[target], caller)
}

// Revoke takes TokenCreatorRole on target away from caller, as `gcloud iam service-accounts
// remove-iam-policy-binding` does: the caller's next mint is refused. As at Google, the tokens
// minted before stay valid until they expire; the Issuer revokes those.
func (p *Peer) Revoke(caller, target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.allowed[target] = slices.DeleteFunc(p.allowed[target], func(c string) bool { return c == caller })
}

// SetClock makes the peer read the time, which a minted token's expireTime counts from, from
// now: a test that moves its client's clock moves the peer's with it.
func (p *Peer) SetClock(now func() time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now = now
}

// Mints returns every token minted so far, in order.
func (p *Peer) Mints() []Mint {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.mints)
}

// request is generateAccessToken's body.
type request struct {
	Delegates []string `json:"delegates"`
	Scope     []string `json:"scope"`
	Lifetime  string   `json:"lifetime"`
}

func (p *Peer) serve(w http.ResponseWriter, r *http.Request) {
	m := route.FindStringSubmatch(r.URL.Path)
	switch {
	case m == nil:
		writeError(w, http.StatusNotFound, "NOT_FOUND", "The requested URL was not found on this server.", "")
		return
	case r.Method != http.MethodPost:
		writeError(w, http.StatusMethodNotAllowed, "INVALID_ARGUMENT", "generateAccessToken takes POST", "")
		return
	}
	target := m[1]
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	caller, scopes, ok := p.issuer.TokenInfo(bearer)
	if bearer == "" || !ok {
		writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", "")
		return
	}
	if !slices.ContainsFunc(scopes, func(s string) bool { return slices.Contains(callerScopes, s) }) {
		writeError(w, http.StatusForbidden, "PERMISSION_DENIED", "Request had insufficient authentication scopes.", "ACCESS_TOKEN_SCOPE_INSUFFICIENT")
		return
	}
	if !accountName.MatchString(target) {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT",
			"Invalid form of account ID "+target+". Should be [Gaia ID |Email |Unique ID |] of the account", "")
		return
	}
	body, lifetime, msg := readRequest(r)
	if msg != "" {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", msg, "")
		return
	}
	p.mu.Lock()
	allowed := slices.Contains(p.allowed[target], caller)
	p.mu.Unlock()
	if !allowed {
		writeError(w, http.StatusForbidden, "PERMISSION_DENIED",
			"Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", "IAM_PERMISSION_DENIED")
		return
	}
	token, exists := p.issuer.IssueToken(target, body.Scope)
	if !exists {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Not found; Gaia id not found for email "+target, "")
		return
	}
	p.mu.Lock()
	p.mints = append(p.mints, Mint{Caller: caller, Target: target, Scopes: body.Scope, Lifetime: lifetime})
	expiry := p.now().UTC().Add(lifetime)
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"accessToken": token, "expireTime": expiry.Format(time.RFC3339)})
}

// readRequest reads and checks generateAccessToken's body; msg says what is wrong with it.
func readRequest(r *http.Request) (body request, lifetime time.Duration, msg string) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil || json.Unmarshal(raw, &body) != nil {
		return body, 0, "Invalid JSON payload received."
	}
	lifetime = maxLifetime
	if body.Lifetime != "" {
		d, err := time.ParseDuration(body.Lifetime)
		if err != nil || !strings.HasSuffix(body.Lifetime, "s") || d <= 0 || d > maxLifetime {
			return body, 0, "The lifetime must be a number of seconds (\"900s\") of at most 3600s."
		}
		lifetime = d
	}
	switch {
	case len(body.Scope) == 0:
		return body, 0, "Scope is required."
	case len(body.Delegates) > 0:
		return body, 0, "iampeer does not support delegation chains."
	}
	return body, lifetime, ""
}

// writeError writes a Google API error; reason, when set, is its google.rpc.ErrorInfo reason.
func writeError(w http.ResponseWriter, code int, status, message, reason string) {
	e := map[string]any{"code": code, "message": message, "status": status}
	if reason != "" {
		e["details"] = []map[string]any{{
			"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
			"reason": reason,
			"domain": "iam.googleapis.com",
		}}
	}
	writeJSON(w, code, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
