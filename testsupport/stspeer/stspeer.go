// Package stspeer runs AWS STS on 127.0.0.1 for tests, with an S3 front that honours the
// session tokens it hands out. It is a test helper: import it only from _test.go files.
//
// The STS side speaks the documented Query protocol (Action=AssumeRole or GetCallerIdentity,
// Version=2011-06-15, form-encoded POST, XML answers). Every request must be signed with SigV4
// by a caller the peer knows; AssumeRole then checks the role exists, that the caller is the
// principal its trust names, and the ExternalId the trust requires, answering AccessDenied as
// AWS does otherwise. It hands out temporary credentials: the access key and secret of an
// account of the S3 peer behind it (a versitygw user) with a fresh session token.
//
// versitygw refuses every session token (InvalidToken), so the S3 front stands before it: a
// request carrying X-Amz-Security-Token must be signed with the session's key and secret and
// the token must be one the peer issued and not yet expired (InvalidToken and ExpiredToken
// answers otherwise, as S3 gives them); the front then signs it again without the token, with
// the same account's credentials, and forwards it. Requests without a token pass unchanged.
package stspeer

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Caller is an AWS identity that may call the peer's STS: bucketd's own, in the tests.
type Caller struct {
	AccessKey, Secret string
	// ARN is what GetCallerIdentity answers and what a Role's trust names.
	ARN string
}

// Role is an IAM role the peer's STS lets callers assume.
type Role struct {
	ARN string
	// TrustedPrincipal is the ARN of the only caller the role's trust policy lets in.
	TrustedPrincipal string
	// ExternalID is the sts:ExternalId the trust policy's condition requires; "" requires none.
	ExternalID string
	// AccessKey and Secret are the S3 account the role's sessions act as.
	AccessKey, Secret string
}

// Config is the peer's IAM: who may call it and which roles exist.
type Config struct {
	Callers []Caller
	Roles   []Role
	// Upstream is the S3 peer the front forwards to (a versitygw's Endpoint).
	Upstream string
	// Now is the peer's clock, for session expiry; nil means time.Now.
	Now func() time.Time
}

// Peer is a running STS and S3 front.
type Peer struct {
	// STSURL is the STS endpoint (give it to --aws-sts-endpoint).
	STSURL string
	// S3URL is the S3 front, which checks session tokens and forwards to Config.Upstream.
	S3URL string

	cfg Config

	mu       sync.Mutex
	sessions map[string]session
	assumed  int
	lastName string
}

// session is a session token's credentials and expiry.
type session struct {
	accessKey, secret string
	expires           time.Time
}

// Start runs the peer for the duration of t.
func Start(t testing.TB, cfg Config) *Peer {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Peer{cfg: cfg, sessions: map[string]session{}}
	stsServer := httptest.NewServer(http.HandlerFunc(p.serveSTS))
	t.Cleanup(stsServer.Close)
	s3Server := httptest.NewServer(http.HandlerFunc(p.serveS3))
	t.Cleanup(s3Server.Close)
	p.STSURL, p.S3URL = stsServer.URL, s3Server.URL
	return p
}

// Session issues a session token for the S3 account accessKey/secret that expires after ttl
// (already expired when ttl is not positive), as STS's GetSessionToken would.
func (p *Peer) Session(accessKey, secret string, ttl time.Duration) string {
	token := newToken()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sessions[token] = session{accessKey: accessKey, secret: secret, expires: p.cfg.Now().Add(ttl)}
	return token
}

// AddRole adds a role to the peer's IAM, or replaces the role of the same ARN: a test learns
// the ExternalId a trust requires only once bucketd has made the organization.
func (p *Peer) AddRole(r Role) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.cfg.Roles {
		if p.cfg.Roles[i].ARN == r.ARN {
			p.cfg.Roles[i] = r
			return
		}
	}
	p.cfg.Roles = append(p.cfg.Roles, r)
}

// AssumeRoleCalls counts the AssumeRole requests the peer granted.
func (p *Peer) AssumeRoleCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.assumed
}

// LastSessionName is the RoleSessionName of the last granted AssumeRole.
func (p *Peer) LastSessionName() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastName
}

// ExpireSessions makes every token issued so far expired, as time passing would.
func (p *Peer) ExpireSessions() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for token, s := range p.sessions {
		s.expires = time.Time{}
		p.sessions[token] = s
	}
}

func newToken() string {
	var b [48]byte
	_, _ = rand.Read(b[:])
	return "stspeer-" + base64.RawURLEncoding.EncodeToString(b[:])
}

func awsCredentials(s session) aws.Credentials {
	return aws.Credentials{AccessKeyID: s.accessKey, SecretAccessKey: s.secret}
}
