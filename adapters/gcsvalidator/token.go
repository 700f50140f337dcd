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

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
)

// jwtBearerGrant is the OAuth 2.0 grant of RFC 7523 that service accounts use.
const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer" //nolint:gosec // G101: an OAuth grant type name, not a credential

// The scopes a validation asks for: read-only unless the caller asked for a readwrite
// validation.
const (
	scopeReadOnly  = "https://www.googleapis.com/auth/devstorage.read_only"
	scopeReadWrite = "https://www.googleapis.com/auth/devstorage.read_write"
)

// JWT timing. A validation's JWT is used once, at once, so it lives minutes rather than the
// hour Google allows (and its libraries use): a bearer that leaks from a log on the way is
// soon worthless. Issuing it slightly in the past absorbs clock skew, as Google's libraries
// do for assertions.
const (
	jwtLifetime = 5 * time.Minute
	jwtBackdate = 10 * time.Second
)

// maxTokenResponse bounds the token endpoint's answer; real ones are a few hundred bytes.
const maxTokenResponse = 64 << 10

// jwtHeader and jwtClaims are the JWT header and claim set Google's Go libraries sign for a
// service account, field for field: the same JSON names, in the same order, with the same
// omissions (kid is always sent, empty when unknown; sub and scope only when set; aud always,
// empty for a self-signed JWT). See Header and Claims in
// cloud.google.com/go/auth@v0.24.1/internal/jwt/jwt.go, which jws.Header and jws.ClaimSet in
// golang.org/x/oauth2@v0.38.0/jws match.
type jwtHeader struct {
	Algorithm string `json:"alg"`
	Type      string `json:"typ"`
	KeyID     string `json:"kid"`
}

type jwtClaims struct {
	Iss   string `json:"iss"`
	Scope string `json:"scope,omitempty"`
	Exp   int64  `json:"exp"`
	Iat   int64  `json:"iat"`
	Aud   string `json:"aud"`
	Sub   string `json:"sub,omitempty"`
}

// selfSignedJWT is the bearer Google's own clients send in place of an access token (Cloud
// Storage's gRPC client enables it with internaloption.EnableJwtWithScope in
// cloud.google.com/go/storage@v1.70.0/internal/apiv2/storage_client.go): signed by the service
// account's key and naming it in kid, issued by and about the account (iss = sub = client
// email), for scope and no audience, exactly the claims of selfSignedTokenProvider.Token in
// cloud.google.com/go/auth@v0.24.1/credentials/selfsignedjwt.go and of
// jwtAccessTokenSource.Token in golang.org/x/oauth2@v0.38.0/google/jwt.go. The API checks it
// itself, so no token exchange precedes the first request. Google finds the public key by kid
// alone, so it needs the account's key id.
func selfSignedJWT(sa serviceAccount, scope string, now time.Time) (string, error) {
	return signJWT(sa, jwtClaims{Iss: sa.email, Sub: sa.email, Scope: scope}, now)
}

// signAssertion builds the JWT that asks the token endpoint (audience) for a token with scope,
// with the claims of tokenProvider2LO.Token in cloud.google.com/go/auth@v0.24.1/auth.go.
func signAssertion(sa serviceAccount, scope, audience string, now time.Time) (string, error) {
	return signJWT(sa, jwtClaims{Iss: sa.email, Scope: scope, Aud: audience}, now)
}

// signJWT completes claims with their validity and signs them with the account's key (RS256).
func signJWT(sa serviceAccount, claims jwtClaims, now time.Time) (string, error) {
	issued := now.Add(-jwtBackdate)
	claims.Iat, claims.Exp = issued.Unix(), issued.Add(jwtLifetime).Unix()
	h, err := json.Marshal(jwtHeader{Algorithm: "RS256", Type: "JWT", KeyID: sa.keyID})
	if err != nil {
		return "", fmt.Errorf("encode JWT header: %w", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode JWT claims: %w", err)
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, sa.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign JWT: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}

// tokenResponse is the token endpoint's answer: a token, or an RFC 6749 error.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// exchange signs a JWT assertion as the service account and trades it for an access token
// with the requested scope (RFC 7523). It does the exchange itself, on the guarded client,
// rather than through golang.org/x/oauth2/jwt, which flattens transport errors to text (so a
// refused dial, a timeout or the SSRF guard's refusal could not be told apart) and does not
// parse the OAuth error code.
func (v *Validator) exchange(ctx context.Context, sa serviceAccount, scope string) (tokenResponse, answer) {
	assertion, err := signAssertion(sa, scope, v.tokenURL, time.Now())
	if err != nil {
		return tokenResponse{}, answer{err: err, kind: domain.KindInternal}
	}
	form := url.Values{"grant_type": {jwtBearerGrant}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenResponse{}, answer{err: fmt.Errorf("token request: %w", err), kind: domain.KindInternal}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	raw, resp, a := v.post(req, maxTokenResponse, tokenBody, tokenName)
	if !a.ok() {
		return tokenResponse{}, a
	}
	var body tokenResponse
	jsonErr := json.Unmarshal(raw, &body)
	switch {
	case resp.StatusCode == http.StatusOK && body.AccessToken != "":
		return body, answer{}
	case resp.StatusCode == http.StatusOK:
		return tokenResponse{}, oddAnswer(resp.StatusCode, resp.Header.Get("Content-Type"), tokenBody, tokenName, jsonErr)
	}
	return tokenResponse{}, tokenAnswer(resp, body) // a refusal that is not JSON is classified by its status alone
}

// post sends req on the guarded client and reads at most limit bytes of the answer, a token
// answer that should be want, from api (both name it in messages). The answer is not ok only when no whole answer
// of at most limit bytes arrived; its status is the caller's to judge.
func (v *Validator) post(req *http.Request, limit int64, want, api string) ([]byte, *http.Response, answer) {
	resp, err := v.httpClient.Do(req)
	if err != nil {
		return nil, nil, transportAnswer(err)
	}
	defer resp.Body.Close()
	contentType := resp.Header.Get("Content-Type")
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		return nil, resp, oddAnswer(resp.StatusCode, contentType, want, api, err)
	case int64(len(raw)) > limit:
		return nil, resp, oddAnswer(resp.StatusCode, contentType, "a token answer of at most "+netguard.FormatSize(limit), api,
			fmt.Errorf("the answer is larger than %d bytes", limit))
	}
	return raw, resp, answer{}
}
