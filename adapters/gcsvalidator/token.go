package gcsvalidator

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// jwtBearerGrant is the OAuth 2.0 grant of RFC 7523 that service accounts use.
const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// The scopes a token is asked for: read-only unless the caller asked for a readwrite validation.
const (
	scopeReadOnly  = "https://www.googleapis.com/auth/devstorage.read_only"
	scopeReadWrite = "https://www.googleapis.com/auth/devstorage.read_write"
)

// Assertion timing. The assertion is used once, at once, so it lives minutes rather than the
// hour Google allows; issuing it slightly in the past absorbs clock skew, as Google's own
// libraries do.
const (
	assertionLifetime = 5 * time.Minute
	assertionBackdate = 10 * time.Second
)

// maxTokenResponse bounds the token endpoint's answer; real ones are a few hundred bytes.
const maxTokenResponse = 64 << 10

// tokenResponse is the token endpoint's answer: a token, or an RFC 6749 error.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// exchange signs a JWT assertion as the service account and trades it for an access token
// with the requested scope (RFC 7523). It does the exchange itself, on the guarded client,
// rather than through golang.org/x/oauth2/jwt, which flattens transport errors to text (so a
// refused dial, a timeout or the SSRF guard's refusal could not be told apart) and does not
// parse the OAuth error code.
func (v *Validator) exchange(ctx context.Context, sa serviceAccount, scope string) (string, answer) {
	assertion, err := signAssertion(sa, scope, v.tokenURL, time.Now())
	if err != nil {
		return "", answer{err: err, kind: domain.KindInternal}
	}
	form := url.Values{"grant_type": {jwtBearerGrant}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", answer{err: fmt.Errorf("token request: %w", err), kind: domain.KindInternal}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := v.httpClient.Do(req)
	if err != nil {
		return "", transportAnswer(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return "", transportAnswer(err)
	}
	var body tokenResponse
	_ = json.Unmarshal(raw, &body) // a body that is not JSON leaves body empty, classified below
	if resp.StatusCode == http.StatusOK && body.AccessToken != "" {
		return body.AccessToken, answer{}
	}
	return "", tokenAnswer(resp, body)
}

// signAssertion builds the RS256-signed JWT that asks for a token: issued by the service
// account, addressed to the token endpoint, for scope.
func signAssertion(sa serviceAccount, scope, audience string, now time.Time) (string, error) {
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if sa.keyID != "" {
		header["kid"] = sa.keyID
	}
	issued := now.Add(-assertionBackdate)
	claims := map[string]any{
		"iss":   sa.email,
		"scope": scope,
		"aud":   audience,
		"iat":   issued.Unix(),
		"exp":   issued.Add(assertionLifetime).Unix(),
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("encode assertion header: %w", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode assertion claims: %w", err)
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, sa.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign assertion: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}
