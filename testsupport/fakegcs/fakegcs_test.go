package fakegcs

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	email     = "peer-test@fakegcs.iam.gserviceaccount.com"
	readOnly  = "https://www.googleapis.com/auth/devstorage.read_only"
	readWrite = "https://www.googleapis.com/auth/devstorage.read_write"
)

// client reaches the test server directly, never through a proxy from the environment.
var client = &http.Client{Transport: &http.Transport{}}

// signer is a registered account's key as a test signs with it.
type signer struct {
	key *rsa.PrivateKey
	kid string
}

// newAccount registers email with permissions and returns its key and key id.
func newAccount(t *testing.T, s *Server, email string, permissions ...string) signer {
	t.Helper()
	pemKey, keyFile := s.NewServiceAccount(t, email, permissions...)
	return signerOf(t, pemKey, keyFile)
}

// signerOf reads a key as NewServiceAccount and RotateKey return it.
func signerOf(t *testing.T, pemKey, keyFile string) signer {
	t.Helper()
	var file struct {
		PrivateKeyID string `json:"private_key_id"`
	}
	if err := json.Unmarshal([]byte(keyFile), &file); err != nil || file.PrivateKeyID == "" {
		t.Fatalf("key file has no private_key_id: %v", err)
	}
	block, _ := pem.Decode([]byte(pemKey))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: key.(*rsa.PrivateKey), kid: file.PrivateKeyID}
}

// sign signs claims (plus scope, when not empty) with the key, naming kid in the header when
// it is not empty, as a service account would.
func (k signer) sign(t *testing.T, kid string, claims jwt.Claims, scope string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	builder := jwt.Signed(sig).Claims(claims)
	if scope != "" {
		builder = builder.Claims(map[string]any{"scope": scope})
	}
	raw, err := builder.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// selfSigned is a valid self-signed JWT of the account for scope: what Google's clients send.
func (k signer) selfSigned(t *testing.T, account, scope string) string {
	t.Helper()
	now := time.Now()
	return k.sign(t, k.kid, jwt.Claims{Issuer: account, Subject: account,
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}, scope)
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

// tokenFor obtains an access token for scope from the token endpoint.
func tokenFor(t *testing.T, s *Server, account string, k signer, scope string) string {
	t.Helper()
	now := time.Now()
	claims := jwt.Claims{Issuer: account, Audience: jwt.Audience{s.TokenURL},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))}
	status, body := requestToken(t, s, jwtBearerGrant, k.sign(t, "", claims, scope))
	token, ok := body["access_token"].(string)
	if status != http.StatusOK || !ok {
		t.Fatalf("token for %s: %d %v", account, status, body)
	}
	return token
}

// call sends method path to the API with bearer (none when empty) and returns the status and
// decoded body.
func call(t *testing.T, s *Server, method, path, bearer string, body io.Reader) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
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

// reason is the first error reason of a JSON API error body.
func reason(body map[string]any) string {
	apiErr, _ := body["error"].(map[string]any)
	errs, _ := apiErr["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	r, _ := errs[0].(map[string]any)["reason"].(string)
	return r
}

// keyCases are accounts whose key no longer verifies anything, and the change that did it.
func keyCases(s *Server) map[string]func(*testing.T, string) {
	return map[string]func(*testing.T, string){
		"disabled key": func(t *testing.T, email string) { s.DisableKey(t, email) },
		"deleted key":  func(t *testing.T, email string) { s.DeleteKey(t, email) },
	}
}

func TestTokenEndpointVerifiesAssertions(t *testing.T) {
	s := Start(t)
	key := newAccount(t, s, email, "storage.objects.list")
	other := newAccount(t, s, "other@fakegcs.iam.gserviceaccount.com")
	now := time.Now()
	valid := jwt.Claims{Issuer: email, Audience: jwt.Audience{s.TokenURL},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}
	with := func(change func(*jwt.Claims)) jwt.Claims { c := valid; change(&c); return c }
	cases := []struct {
		name, grant, assertion, wantError, wantDescription string
	}{
		{"valid without kid", jwtBearerGrant, key.sign(t, "", valid, readOnly), "", ""},
		{"valid naming its key", jwtBearerGrant, key.sign(t, key.kid, valid, readOnly), "", ""},
		{"valid with the account as subject", jwtBearerGrant, key.sign(t, "", with(func(c *jwt.Claims) { c.Subject = email }), readOnly), "", ""},
		{"another account's key", jwtBearerGrant, other.sign(t, "", valid, readOnly), "invalid_grant", "Invalid JWT Signature."},
		{"naming another account's key", jwtBearerGrant, key.sign(t, other.kid, valid, readOnly), "invalid_grant", "Invalid JWT Signature."},
		{"unknown account", jwtBearerGrant, key.sign(t, "", with(func(c *jwt.Claims) { c.Issuer = "ghost@x.iam.gserviceaccount.com" }), readOnly),
			"invalid_grant", "account not found"},
		{"another subject", jwtBearerGrant, key.sign(t, "", with(func(c *jwt.Claims) { c.Subject = "user@example.com" }), readOnly),
			"invalid_grant", "sub"},
		{"other audience", jwtBearerGrant, key.sign(t, "", with(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://example.com/token"} }), readOnly),
			"invalid_grant", "audience"},
		{"no audience", jwtBearerGrant, key.sign(t, "", with(func(c *jwt.Claims) { c.Audience = nil }), readOnly),
			"invalid_grant", "audience"},
		{"expired", jwtBearerGrant, key.sign(t, "", with(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Hour)) }), readOnly),
			"invalid_grant", "short-lived"},
		{"too long-lived", jwtBearerGrant, key.sign(t, "", with(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(2 * time.Hour)) }), readOnly),
			"invalid_grant", "short-lived"},
		{"no scope", jwtBearerGrant, key.sign(t, "", valid, ""), "invalid_scope", "missing scope"},
		{"not a JWT", jwtBearerGrant, "not.a.jwt", "invalid_grant", "Invalid JWT"},
		{"other grant", "client_credentials", key.sign(t, "", valid, readOnly), "unsupported_grant_type", "client_credentials"},
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
	for name, revoke := range keyCases(s) {
		t.Run(name, func(t *testing.T) {
			account := strings.ReplaceAll(name, " ", "-") + "@fakegcs.iam.gserviceaccount.com"
			k := newAccount(t, s, account)
			claims := with(func(c *jwt.Claims) { c.Issuer = account })
			revoke(t, account)
			for _, kid := range []string{"", k.kid} {
				status, body := requestToken(t, s, jwtBearerGrant, k.sign(t, kid, claims, readOnly))
				if status != http.StatusBadRequest || body["error"] != "invalid_grant" || body["error_description"] != "Invalid JWT Signature." {
					t.Errorf("token response with kid %q = %d %v, want 400 invalid_grant Invalid JWT Signature.", kid, status, body)
				}
			}
		})
	}
}

// The API accepts a self-signed JWT exactly as strictly as the token endpoint an assertion,
// and refuses every bad one with the 401 Google answers a bad bearer with.
func TestAPIVerifiesSelfSignedJWTs(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "a-bucket", "EU")
	key := newAccount(t, s, email, "storage.buckets.get")
	other := newAccount(t, s, "other@fakegcs.iam.gserviceaccount.com", "storage.buckets.get")
	now := time.Now()
	valid := jwt.Claims{Issuer: email, Subject: email, IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}
	with := func(change func(*jwt.Claims)) jwt.Claims { c := valid; change(&c); return c }
	cases := []struct {
		name, bearer string
		accepted     bool
	}{
		{"scope and no audience, as Google's clients send", key.sign(t, key.kid, valid, readOnly), true},
		{"scope and the storage audience", key.sign(t, key.kid, with(func(c *jwt.Claims) { c.Audience = jwt.Audience{storageAudience} }), readOnly), true},
		{"empty audience", key.sign(t, key.kid, with(func(c *jwt.Claims) { c.Audience = jwt.Audience{""} }), readOnly), true},
		{"several scopes", key.sign(t, key.kid, valid, "openid "+readOnly), true},
		{"no kid", key.sign(t, "", valid, readOnly), false},
		{"unknown kid", key.sign(t, "0123456789abcdef", valid, readOnly), false},
		{"another account's kid", key.sign(t, other.kid, valid, readOnly), false},
		{"another account's key under this kid", other.sign(t, key.kid, valid, readOnly), false},
		{"unknown account", key.sign(t, key.kid, with(func(c *jwt.Claims) {
			c.Issuer, c.Subject = "ghost@x.iam.gserviceaccount.com", "ghost@x.iam.gserviceaccount.com"
		}), readOnly), false},
		{"no subject", key.sign(t, key.kid, with(func(c *jwt.Claims) { c.Subject = "" }), readOnly), false},
		{"another subject", key.sign(t, key.kid, with(func(c *jwt.Claims) { c.Subject = "user@example.com" }), readOnly), false},
		{"token endpoint audience", key.sign(t, key.kid, with(func(c *jwt.Claims) { c.Audience = jwt.Audience{s.TokenURL} }), readOnly), false},
		{"expired", key.sign(t, key.kid, with(func(c *jwt.Claims) {
			c.IssuedAt, c.Expiry = jwt.NewNumericDate(now.Add(-2*time.Hour)), jwt.NewNumericDate(now.Add(-time.Hour))
		}), readOnly), false},
		{"too long-lived", key.sign(t, key.kid, with(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(61 * time.Minute)) }), readOnly), false},
		{"issued in the future", key.sign(t, key.kid, with(func(c *jwt.Claims) {
			c.IssuedAt, c.Expiry = jwt.NewNumericDate(now.Add(10*time.Minute)), jwt.NewNumericDate(now.Add(20*time.Minute))
		}), readOnly), false},
		{"no expiry", key.sign(t, key.kid, with(func(c *jwt.Claims) { c.Expiry = nil }), readOnly), false},
		{"no scope", key.sign(t, key.kid, valid, ""), false},
		{"not a JWT", "not.a.jwt", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := call(t, s, http.MethodGet, "/storage/v1/b/a-bucket", c.bearer, nil)
			switch {
			case c.accepted && (status != http.StatusOK || body["name"] != "a-bucket"):
				t.Errorf("GET bucket = %d %v, want 200 with the bucket", status, body)
			case !c.accepted && (status != http.StatusUnauthorized || reason(body) != "authError"):
				t.Errorf("GET bucket = %d %v, want 401 authError", status, body)
			}
		})
	}
	for name, revoke := range keyCases(s) {
		t.Run(name, func(t *testing.T) {
			account := strings.ReplaceAll(name, " ", "-") + "@fakegcs.iam.gserviceaccount.com"
			k := newAccount(t, s, account, "storage.buckets.get")
			if status, _ := call(t, s, http.MethodGet, "/storage/v1/b/a-bucket", k.selfSigned(t, account, readOnly), nil); status != http.StatusOK {
				t.Fatalf("GET bucket before the key was revoked = %d, want 200", status)
			}
			revoke(t, account)
			if status, body := call(t, s, http.MethodGet, "/storage/v1/b/a-bucket", k.selfSigned(t, account, readOnly), nil); status != http.StatusUnauthorized || reason(body) != "authError" {
				t.Errorf("GET bucket = %d %v, want 401 authError", status, body)
			}
		})
	}
}

// A read-only scope must not allow a write, whether a self-signed JWT or an access token
// carries it; a read-write scope allows it.
func TestScopesLimitWhatTheBearerMayDo(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "a-bucket", "EU")
	key := newAccount(t, s, email, "storage.objects.get", "storage.objects.create")
	upload := func(t *testing.T, bearer string) (int, map[string]any) {
		t.Helper()
		return call(t, s, http.MethodPost, "/upload/storage/v1/b/a-bucket/o?uploadType=media&name=probe.txt", bearer, strings.NewReader("probe"))
	}
	for name, bearer := range map[string]func(scope string) string{
		"self-signed JWT": func(scope string) string { return key.selfSigned(t, email, scope) },
		"access token":    func(scope string) string { return tokenFor(t, s, email, key, scope) },
	} {
		t.Run(name, func(t *testing.T) {
			reader, writer := bearer(readOnly), bearer(readWrite)
			if status, body := call(t, s, http.MethodGet, "/storage/v1/b/a-bucket/o", reader, nil); status != http.StatusOK {
				t.Errorf("listing with the read-only scope = %d %v, want 200", status, body)
			}
			status, body := upload(t, reader)
			if status != http.StatusForbidden || reason(body) != "forbidden" || !strings.Contains(body["error"].(map[string]any)["message"].(string), "scope") {
				t.Errorf("upload with the read-only scope = %d %v, want 403 forbidden naming the scope", status, body)
			}
			if objects := s.Objects(t, "a-bucket"); len(objects) != 0 {
				t.Fatalf("the read-only upload stored %v", objects)
			}
			if status, body := upload(t, writer); status != http.StatusOK {
				t.Errorf("upload with the read-write scope = %d %v, want 200", status, body)
			}
			if objects := s.Objects(t, "a-bucket"); len(objects) != 1 {
				t.Errorf("bucket holds %v after the read-write upload, want probe.txt", objects)
			}
			if status, _ := call(t, s, http.MethodDelete, "/storage/v1/b/a-bucket/o/probe.txt", writer, nil); status != http.StatusNoContent && status != http.StatusOK {
				t.Errorf("delete with the read-write scope = %d, want it to succeed", status)
			}
		})
	}
}

func TestAPIAnswersLikeGoogle(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "eu-bucket", "EU")
	key := newAccount(t, s, email, "storage.objects.list", "storage.objects.get")
	token := tokenFor(t, s, email, key, readOnly)
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
			status, body := call(t, s, http.MethodGet, c.path, c.bearer, nil)
			if status != c.status || !c.check(body) {
				t.Errorf("GET %s = %d %v, want %d", c.path, status, body, c.status)
			}
		})
	}
	t.Run("buckets.get reports the bucket's own location", func(t *testing.T) {
		const reader = "reader@fakegcs.iam.gserviceaccount.com"
		readerKey := newAccount(t, s, reader, "storage.buckets.get")
		status, attrs := call(t, s, http.MethodGet, "/storage/v1/b/eu-bucket", tokenFor(t, s, reader, readerKey, readOnly), nil)
		if status != http.StatusOK || attrs["location"] != "EU" || attrs["name"] != "eu-bucket" {
			t.Errorf("GET bucket = %d %v, want 200 with location EU", status, attrs)
		}
	})
}

// listKeys fetches the public key list of account, without credentials as anyone may, and
// returns the status and the list parsed as a JSON Web Key Set by go-jose, an independent
// parser, so the fake is held to RFC 7517.
func listKeys(t *testing.T, s *Server, account string) (int, jose.JSONWebKeySet) {
	t.Helper()
	resp, err := client.Get(s.CertsURL + url.PathEscape(account))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
			t.Fatalf("key list of %s is no JSON Web Key Set: %v", account, err)
		}
	}
	return resp.StatusCode, set
}

// wantListed fails unless the key list of account holds exactly the public halves of keys,
// each under its key id, as RS256 signing keys.
func wantListed(t *testing.T, s *Server, account string, keys ...signer) {
	t.Helper()
	status, set := listKeys(t, s, account)
	if status != http.StatusOK || len(set.Keys) != len(keys) {
		t.Fatalf("key list of %s = %d with %d keys, want 200 with %d", account, status, len(set.Keys), len(keys))
	}
	for _, k := range keys {
		listed := set.Key(k.kid)
		if len(listed) != 1 {
			t.Fatalf("key list of %s names key %s %d times, want once", account, k.kid, len(listed))
		}
		public, ok := listed[0].Key.(*rsa.PublicKey)
		if !ok || !public.Equal(&k.key.PublicKey) || listed[0].Algorithm != "RS256" || listed[0].Use != "sig" {
			t.Errorf("key %s of %s is listed as %+v, want its RSA public key for RS256 signatures", k.kid, account, listed[0])
		}
	}
}

// The key lists name each account's usable keys by id, as Google's do, so a client holding a
// bare private key can find the id its self-signed JWTs must name.
func TestKeyListNamesEachAccountsKeys(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "a-bucket", "EU")
	key := newAccount(t, s, email, "storage.buckets.get")
	newAccount(t, s, "other@fakegcs.iam.gserviceaccount.com")

	t.Run("lists the account's key alone, to anyone", func(t *testing.T) {
		wantListed(t, s, email, key)
	})
	t.Run("a listed key verifies what the key signs", func(t *testing.T) {
		_, set := listKeys(t, s, email)
		tok, err := jwt.ParseSigned(key.selfSigned(t, email, readOnly), []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		var claims jwt.Claims
		if err := tok.Claims(set.Key(tok.Headers[0].KeyID)[0].Key, &claims); err != nil || claims.Subject != email {
			t.Errorf("the listed key does not verify the account's JWT: %v", err)
		}
	})
	t.Run("the email may be path-escaped", func(t *testing.T) {
		resp, err := client.Get(s.CertsURL + strings.ReplaceAll(email, "@", "%40"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("key list with an escaped @ = %d, want 200", resp.StatusCode)
		}
	})
	t.Run("unknown account", func(t *testing.T) {
		if status, _ := listKeys(t, s, "ghost@fakegcs.iam.gserviceaccount.com"); status != http.StatusNotFound {
			t.Errorf("key list of an unknown account = %d, want 404", status)
		}
	})
	t.Run("only GET", func(t *testing.T) {
		resp, err := client.Post(s.CertsURL+email, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST to the key list = %d, want 405", resp.StatusCode)
		}
	})
	t.Run("every request is in the log", func(t *testing.T) {
		before := len(s.Requests())
		listKeys(t, s, email)
		tokenFor(t, s, email, key, readOnly)
		call(t, s, http.MethodGet, "/storage/v1/b/a-bucket", key.selfSigned(t, email, readOnly), nil)
		want := []string{"GET " + keyListPath + email, "POST /token", "GET /storage/v1/b/a-bucket"}
		if got := s.Requests()[before:]; !slices.Equal(got, want) {
			t.Errorf("Requests() = %q, want %q", got, want)
		}
	})
	for name, revoke := range keyCases(s) {
		t.Run(name+" is not listed", func(t *testing.T) {
			account := strings.ReplaceAll(name, " ", "-") + "-listed@fakegcs.iam.gserviceaccount.com"
			k := newAccount(t, s, account)
			wantListed(t, s, account, k)
			revoke(t, account)
			wantListed(t, s, account)
		})
	}
}

// A rotated key is gone: the list names the new key alone, the API refuses what the old one
// signs and accepts what the new one signs.
func TestRotateKeyReplacesTheKey(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "a-bucket", "EU")
	old := newAccount(t, s, email, "storage.buckets.get")
	pemKey, keyFile := s.RotateKey(t, email)
	rotated := signerOf(t, pemKey, keyFile)
	if rotated.kid == old.kid || rotated.key.Equal(old.key) {
		t.Fatal("RotateKey returned the old key")
	}
	wantListed(t, s, email, rotated)
	if status, _ := call(t, s, http.MethodGet, "/storage/v1/b/a-bucket", old.selfSigned(t, email, readOnly), nil); status != http.StatusUnauthorized {
		t.Errorf("GET bucket with the old key's JWT = %d, want 401", status)
	}
	if status, _ := call(t, s, http.MethodGet, "/storage/v1/b/a-bucket", rotated.selfSigned(t, email, readOnly), nil); status != http.StatusOK {
		t.Errorf("GET bucket with the new key's JWT = %d, want 200", status)
	}
}
