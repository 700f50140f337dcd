package fakegcs

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	email = "peer-test@fakegcs.iam.gserviceaccount.com"
	scope = "https://www.googleapis.com/auth/devstorage.read_only"
)

// client reaches the test server directly, never through a proxy from the environment.
var client = &http.Client{Transport: &http.Transport{}}

// assertion signs claims (plus scope, when not empty) with key, as a service account would.
func assertion(t *testing.T, key *rsa.PrivateKey, claims jwt.Claims, scope string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	builder := jwt.Signed(signer).Claims(claims)
	if scope != "" {
		builder = builder.Claims(map[string]any{"scope": scope})
	}
	raw, err := builder.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func parseKey(t *testing.T, pemKey string) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode([]byte(pemKey))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key.(*rsa.PrivateKey)
}

// requestToken posts a token request and returns the status and decoded body.
func requestToken(t *testing.T, s *Server, grant, assertion string) (int, map[string]any) {
	t.Helper()
	resp, err := client.PostForm(s.TokenURL, url.Values{"grant_type": {grant}, "assertion": {assertion}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// tokenFor obtains an access token for a registered account.
func tokenFor(t *testing.T, s *Server, account, pemKey string) string {
	t.Helper()
	now := time.Now()
	claims := jwt.Claims{Issuer: account, Audience: jwt.Audience{s.TokenURL},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))}
	status, body := requestToken(t, s, jwtBearerGrant, assertion(t, parseKey(t, pemKey), claims, scope))
	token, ok := body["access_token"].(string)
	if status != http.StatusOK || !ok {
		t.Fatalf("token for %s: %d %v", account, status, body)
	}
	return token
}

func TestTokenEndpointVerifiesAssertions(t *testing.T) {
	s := Start(t)
	pemKey, _ := s.NewServiceAccount(t, email, "storage.objects.list")
	otherPEM, _ := s.NewServiceAccount(t, "other@fakegcs.iam.gserviceaccount.com")
	key, other := parseKey(t, pemKey), parseKey(t, otherPEM)
	now := time.Now()
	valid := jwt.Claims{Issuer: email, Audience: jwt.Audience{s.TokenURL},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}
	with := func(change func(*jwt.Claims)) jwt.Claims { c := valid; change(&c); return c }
	cases := []struct {
		name, grant, assertion, wantError, wantDescription string
	}{
		{"valid", jwtBearerGrant, assertion(t, key, valid, scope), "", ""},
		{"another account's key", jwtBearerGrant, assertion(t, other, valid, scope), "invalid_grant", "Invalid JWT Signature."},
		{"unknown account", jwtBearerGrant, assertion(t, key, with(func(c *jwt.Claims) { c.Issuer = "ghost@x.iam.gserviceaccount.com" }), scope),
			"invalid_grant", "account not found"},
		{"other audience", jwtBearerGrant, assertion(t, key, with(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://example.com/token"} }), scope),
			"invalid_grant", "short-lived"},
		{"expired", jwtBearerGrant, assertion(t, key, with(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Hour)) }), scope),
			"invalid_grant", "short-lived"},
		{"too long-lived", jwtBearerGrant, assertion(t, key, with(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(2 * time.Hour)) }), scope),
			"invalid_grant", "short-lived"},
		{"no scope", jwtBearerGrant, assertion(t, key, valid, ""), "invalid_scope", "missing scope"},
		{"not a JWT", jwtBearerGrant, "not.a.jwt", "invalid_grant", "Invalid JWT"},
		{"other grant", "client_credentials", assertion(t, key, valid, scope), "unsupported_grant_type", "client_credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := requestToken(t, s, c.grant, c.assertion)
			if c.wantError == "" {
				if status != http.StatusOK || body["token_type"] != "Bearer" || !strings.HasPrefix(body["access_token"].(string), "ya29.") {
					t.Fatalf("token response = %d %v, want 200 with a bearer token", status, body)
				}
				return
			}
			description, _ := body["error_description"].(string)
			if status != http.StatusBadRequest || body["error"] != c.wantError || !strings.Contains(description, c.wantDescription) {
				t.Errorf("token response = %d %v, want 400 %s mentioning %q", status, body, c.wantError, c.wantDescription)
			}
		})
	}
}

func TestAPIAnswersLikeGoogle(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "eu-bucket", "EU")
	pemKey, _ := s.NewServiceAccount(t, email, "storage.objects.list", "storage.objects.get")
	token := tokenFor(t, s, email, pemKey)

	get := func(path, bearer string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	reason := func(body map[string]any) string {
		errs, _ := body["error"].(map[string]any)["errors"].([]any)
		if len(errs) == 0 {
			return ""
		}
		r, _ := errs[0].(map[string]any)["reason"].(string)
		return r
	}
	cases := []struct {
		name, path, bearer string
		status             int
		check              func(map[string]any) bool
	}{
		{"anonymous", "/storage/v1/b/eu-bucket", "", http.StatusUnauthorized, func(b map[string]any) bool { return reason(b) == "required" }},
		{"unknown token", "/storage/v1/b/eu-bucket", "ya29.forged", http.StatusUnauthorized, func(b map[string]any) bool { return reason(b) == "authError" }},
		{"buckets.get without permission", "/storage/v1/b/eu-bucket", token, http.StatusForbidden,
			func(b map[string]any) bool { return reason(b) == "forbidden" }},
		{"missing bucket", "/storage/v1/b/nope", token, http.StatusNotFound, func(b map[string]any) bool { return reason(b) == "notFound" }},
		{"testPermissions", "/storage/v1/b/eu-bucket/iam/testPermissions?permissions=storage.objects.get&permissions=storage.objects.delete",
			token, http.StatusOK, func(b map[string]any) bool {
				perms, _ := b["permissions"].([]any)
				return len(perms) == 1 && perms[0] == "storage.objects.get"
			}},
		{"listing objects passes through", "/storage/v1/b/eu-bucket/o", token, http.StatusOK,
			func(b map[string]any) bool { return b["kind"] == "storage#objects" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := get(c.path, c.bearer)
			if status != c.status || !c.check(body) {
				t.Errorf("GET %s = %d %v, want %d", c.path, status, body, c.status)
			}
		})
	}
	t.Run("buckets.get reports the bucket's own location", func(t *testing.T) {
		const reader = "reader@fakegcs.iam.gserviceaccount.com"
		readerKey, _ := s.NewServiceAccount(t, reader, "storage.buckets.get")
		status, attrs := get("/storage/v1/b/eu-bucket", tokenFor(t, s, reader, readerKey))
		if status != http.StatusOK || attrs["location"] != "EU" || attrs["name"] != "eu-bucket" {
			t.Errorf("GET bucket = %d %v, want 200 with location EU", status, attrs)
		}
	})
}
