package entrapeer

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
)

// signingKey signs the peer's tokens. Azurite's basic check reads a token without verifying
// its signature; the peer signs all the same, so its tokens have the shape of Entra's (RS256).
var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("entrapeer: signing key: " + err.Error())
	}
	return key
})

// Claims are the claims of an issued token that tests look at.
type Claims struct {
	Audience  string `json:"aud"`
	Issuer    string `json:"iss"`
	IssuedAt  int64  `json:"iat"`
	NotBefore int64  `json:"nbf"`
	Expires   int64  `json:"exp"`
	AppID     string `json:"appid"`
	TenantID  string `json:"tid"`
	Version   string `json:"ver"`
}

// issue returns an access token for application clientID of tenant, valid from now to exp, with
// the claims of an Entra v1.0 storage token.
func issue(tenant, clientID string, now, exp time.Time) string {
	header := map[string]string{"typ": "JWT", "alg": "RS256", "kid": "entrapeer"}
	claims := Claims{
		Audience:  Audience,
		Issuer:    "https://sts.windows.net/" + tenant + "/",
		IssuedAt:  now.Unix(),
		NotBefore: now.Add(-5 * time.Minute).Unix(), // Entra back-dates nbf for clock skew
		Expires:   exp.Unix(),
		AppID:     clientID,
		TenantID:  tenant,
		Version:   "1.0",
	}
	signed := segment(header) + "." + segment(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, signingKey(), crypto.SHA256, digest[:])
	if err != nil {
		panic("entrapeer: sign a token: " + err.Error())
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func segment(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic("entrapeer: encode a token: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// ParseClaims decodes a token's claims without checking its signature, for tests that look at
// what the peer issued.
func ParseClaims(token string) (Claims, error) {
	var c Claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, errors.New("entrapeer: a token has three dot-separated parts")
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, err
	}
	err = json.Unmarshal(data, &c)
	return c, err
}
