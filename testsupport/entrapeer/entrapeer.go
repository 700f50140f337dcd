// Package entrapeer runs a Microsoft Entra ID token endpoint on 127.0.0.1 for tests: the part of
// it a confidential client uses to obtain a token with a client secret (the OAuth 2.0
// client-credentials grant, as Microsoft documents it). It serves, under its URL as the
// authority host:
//
//   - GET /{tenant}/v2.0/.well-known/openid-configuration, the tenant's metadata, which names
//     the token endpoint (MSAL reads it before the first token request);
//   - POST /{tenant}/oauth2/v2.0/token with the form fields client_id, client_secret,
//     scope=https://storage.azure.com/.default and grant_type=client_credentials.
//
// It checks the tenant, the application and its secret and refuses as Entra does (AADSTS90002
// for an unknown tenant, AADSTS700016 for an unknown application, AADSTS7000215 for a wrong
// secret, AADSTS70011 for another scope); otherwise it issues a JWT access token that Azurite's
// basic OAuth check accepts: audience https://storage.azure.com, issuer
// https://sts.windows.net/{tenant}/, and nbf, iat and exp around now. It speaks HTTPS only, as
// MSAL requires of an authority. Any other request is recorded (Unexpected) and answered 404,
// so a test can prove the client asked nothing else, instance discovery included.
//
// It is a test helper: import it only from _test.go files.
package entrapeer

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Scope is the only scope the peer issues tokens for: Azure Storage's.
const Scope = "https://storage.azure.com/.default"

// Audience is the audience of the tokens it issues.
const Audience = "https://storage.azure.com"

// DefaultLifetime is how long an issued token is valid unless SetLifetime says otherwise; Entra
// issues tokens for 60 to 90 minutes.
const DefaultLifetime = time.Hour

// maxForm bounds a token request's form: Entra's are well under 4 KiB.
const maxForm = 64 << 10

// Peer is a running token endpoint.
type Peer struct {
	// URL is the authority host, https://127.0.0.1:PORT, as bucketd's configuration names it.
	URL string

	mu         sync.Mutex
	apps       map[app]string // the secret of each application of a tenant
	tenants    map[string]bool
	lifetime   time.Duration
	tokens     int
	discovery  int
	unexpected []string
}

type app struct{ tenant, clientID string }

// Start runs a peer serving tlsConfig's certificate for the duration of t.
func Start(t testing.TB, tlsConfig *tls.Config) *Peer {
	t.Helper()
	p := &Peer{apps: map[app]string{}, tenants: map[string]bool{}, lifetime: DefaultLifetime}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(p.serveHTTP))
	srv.TLS = tlsConfig
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// AddApp registers application clientID in tenant, with secret as its client secret.
func (p *Peer) AddApp(tenant, clientID, secret string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tenants[tenant] = true
	p.apps[app{tenant, clientID}] = secret
}

// SetLifetime sets how long the tokens issued from now on are valid.
func (p *Peer) SetLifetime(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lifetime = d
}

// Stats is what the peer was asked.
type Stats struct {
	// Tokens counts token requests, granted or not; Discovery the metadata requests.
	Tokens, Discovery int
	// Unexpected lists every other request, as "METHOD path".
	Unexpected []string
}

// Stats returns what the peer was asked since it started.
func (p *Peer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Tokens: p.tokens, Discovery: p.discovery, Unexpected: append([]string(nil), p.unexpected...)}
}

func (p *Peer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 4 && parts[1] == "v2.0" && parts[2] == ".well-known" && parts[3] == "openid-configuration":
		p.serveDiscovery(w, parts[0])
	case r.Method == http.MethodPost && len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "token":
		p.serveToken(w, r, parts[0])
	default:
		p.mu.Lock()
		p.unexpected = append(p.unexpected, r.Method+" "+r.URL.Path)
		p.mu.Unlock()
		refuse(w, http.StatusNotFound, "not_found", 0, "entrapeer serves only a tenant's metadata and token endpoint")
	}
}

// serveDiscovery answers a tenant's OpenID Connect metadata, or AADSTS90002 for a tenant it
// does not know, as Entra does.
func (p *Peer) serveDiscovery(w http.ResponseWriter, tenant string) {
	p.mu.Lock()
	p.discovery++
	known := p.tenants[tenant]
	p.mu.Unlock()
	if !known {
		refuse(w, http.StatusBadRequest, "invalid_tenant", 90002, "AADSTS90002: Tenant '"+tenant+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
		return
	}
	base := p.URL + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base + "/v2.0",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"jwks_uri":                              p.URL + "/common/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"tenant_region_scope":                   "EU",
	})
}

// serveToken judges a client-credentials request and issues a token or refuses it.
func (p *Peer) serveToken(w http.ResponseWriter, r *http.Request, tenant string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		refuse(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'grant_type'.")
		return
	}
	p.mu.Lock()
	p.tokens++
	known := p.tenants[tenant]
	secret, registered := p.apps[app{tenant, r.PostForm.Get("client_id")}]
	lifetime := p.lifetime
	p.mu.Unlock()
	clientID := r.PostForm.Get("client_id")
	switch {
	case !known:
		refuse(w, http.StatusBadRequest, "invalid_tenant", 90002, "AADSTS90002: Tenant '"+tenant+"' not found.")
	case r.PostForm.Get("grant_type") != "client_credentials":
		refuse(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type.")
	case !registered:
		refuse(w, http.StatusBadRequest, "unauthorized_client", 700016, "AADSTS700016: Application with identifier '"+clientID+
			"' was not found in the directory '"+tenant+"'. This can happen if the application has not been installed by the administrator of the tenant.")
	case r.PostForm.Get("client_secret") != secret:
		refuse(w, http.StatusUnauthorized, "invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided. "+
			"Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+clientID+"'.")
	case !hasScope(r.PostForm.Get("scope"), Scope):
		refuse(w, http.StatusBadRequest, "invalid_scope", 70011, "AADSTS70011: The provided request must include a 'scope' input parameter of "+Scope+".")
	default:
		now := time.Now()
		writeJSON(w, http.StatusOK, map[string]any{
			"token_type":     "Bearer",
			"expires_in":     int(lifetime.Seconds()),
			"ext_expires_in": int(lifetime.Seconds()),
			"access_token":   issue(tenant, clientID, now, now.Add(lifetime)),
		})
	}
}

// hasScope reports whether the space-separated scopes include want; MSAL may add its own.
func hasScope(scopes, want string) bool {
	for _, s := range strings.Fields(scopes) {
		if s == want {
			return true
		}
	}
	return false
}

// refuse answers an OAuth error as Entra words it: the error, its AADSTS description and code.
func refuse(w http.ResponseWriter, status int, code string, aadsts int, description string) {
	body := map[string]any{"error": code, "error_description": description, "trace_id": "00000000-0000-0000-0000-000000000000"}
	if aadsts != 0 {
		body["error_codes"] = []int{aadsts}
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
