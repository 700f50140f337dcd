package stspeer

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// authorization is a parsed SigV4 Authorization header.
type authorization struct {
	accessKey, region, service string
	signedHeaders              []string
	signature                  string
}

var errNotSigned = errors.New("no AWS4-HMAC-SHA256 Authorization header")

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=HEX".
func parseAuthorization(h string) (authorization, error) {
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return authorization{}, errNotSigned
	}
	var a authorization
	for part := range strings.SplitSeq(rest, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch name {
		case "Credential":
			scope := strings.Split(value, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return authorization{}, errors.New("malformed credential scope")
			}
			a.accessKey, a.region, a.service = scope[0], scope[2], scope[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(value, ";")
		case "Signature":
			a.signature = value
		}
	}
	if a.accessKey == "" || a.signature == "" || len(a.signedHeaders) == 0 {
		return authorization{}, errors.New("incomplete Authorization header")
	}
	return a, nil
}

// verify proves r was signed by the holder of secret (and, when token is set, with that session
// token): it signs a copy of r holding only the headers r says it signed, at r's X-Amz-Date,
// and compares the signatures. body is r's body, already read.
func verify(r *http.Request, a authorization, body []byte, secret, token string) error {
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return errors.New("no valid X-Amz-Date")
	}
	signed, err := resign(r, a.signedHeaders, body, aws.Credentials{AccessKeyID: a.accessKey, SecretAccessKey: secret, SessionToken: token},
		a.service, a.region, at)
	if err != nil {
		return err
	}
	got, err := parseAuthorization(signed.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(got.signature), []byte(a.signature)) {
		return errors.New("signature does not match")
	}
	return nil
}

// resign builds a request like r carrying only headers (all of r's but the signature's own
// when headers is nil) and signs it with creds.
func resign(r *http.Request, headers []string, body []byte, creds aws.Credentials, service, region string, at time.Time) (*http.Request, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	out, err := http.NewRequest(r.Method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	out.Host, out.ContentLength = r.Host, r.ContentLength
	if headers == nil {
		for name, values := range r.Header {
			out.Header[name] = values
		}
		out.Header.Del("Authorization")
		out.Header.Del("X-Amz-Security-Token")
	} else {
		for _, h := range headers {
			if h != "host" && h != "content-length" {
				out.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
			}
		}
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if err := signer.SignHTTP(context.Background(), creds, out, payload, service, region, at); err != nil {
		return nil, err
	}
	return out, nil
}
