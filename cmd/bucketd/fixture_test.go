package main_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/stspeer"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// Provider-side names of the suite. The non-owner's credentials are valid on the gateway but own
// nothing; they are distinctive so the leak checks can search for them.
const (
	providerBucket = "e2e-bucket"
	missingBucket  = "e2e-no-such-bucket"
	nonOwnerKey    = "E2ENONOWNERACCESSKEY"
	nonOwnerSecret = "e2e-non-owner-secret-7Hq2LmZx9Rt4"
	masterKeyID    = "k1"
)

// backend is one database with the bucketd processes serving it, one gateway with a bucket the
// gateway's root account owns, the GCS and Azure peers, and every secret the tests handed out.
type backend struct {
	dbURL string
	gw    *versitygw.Server
	cloud *cloudPeers
	// aws is the STS peer, whose S3 front stands before gw.
	aws     *stspeer.Peer
	checker *contracttest.Checker
	// servers are bucketd processes on dbURL, all with the same master key.
	servers []*server
	// secrets must never appear in plaintext in the database or a log.
	secrets *secretSet
	// cliLogs is the stderr of every one-shot bucketd command run against dbURL: its JSON log.
	cliLogs lockedBuffer
	// cliMessages is what those commands printed on stderr besides their log, for the operator
	// to read: errors, usage and warnings.
	cliMessages lockedBuffer
}

// newBackend starts a gateway, the GCS and Azure peers and n bucketd servers on dbURL.
func newBackend(t *testing.T, dbURL string, n int) *backend {
	t.Helper()
	return newBackendWith(t, dbURL, n, nil, nil)
}

// newBackendWith is newBackend with env (KEY=value) and args added to every server's.
func newBackendWith(t *testing.T, dbURL string, n int, env, args []string) *backend {
	t.Helper()
	b := &backend{dbURL: dbURL, gw: versitygw.Start(t), checker: contracttest.New(t), secrets: &secretSet{}}
	b.gw.CreateBucket(t, providerBucket)
	b.gw.CreateUser(t, nonOwnerKey, nonOwnerSecret)
	masterKey := randomBase64(32)
	b.secrets.Add("the master key", masterKey)
	fingerprintKey := randomBase64(32)
	b.secrets.Add("the fingerprint key", fingerprintKey)
	b.secrets.Add("the gateway root's access key", b.gw.RootKey)
	b.secrets.Add("the gateway root's secret", b.gw.RootSecret)
	b.secrets.Add("the non-owner's access key", nonOwnerKey)
	b.secrets.Add("the non-owner's secret", nonOwnerSecret)
	b.cloud = startCloudPeers(t, b.secrets)
	var awsArgs, awsEnv []string
	b.aws, awsArgs, awsEnv = startSTS(t, b.gw, b.secrets)
	for range n {
		b.servers = append(b.servers, startServerWithEnv(t, b.checker, "", slices.Concat(awsEnv, env), append([]string{
			"--addr", "127.0.0.1:0",
			"--database-url", dbURL,
			"--master-keys", masterKeyID + ":" + masterKey,
			"--fingerprint-key", fingerprintKey,
			"--endpoint-allowlist", "127.0.0.0/8",
			// One token sends every scenario's requests; TestRateLimitAndMetrics covers the limit.
			"--rate-limit", "0"}, slices.Concat(b.cloud.serverArgs(), awsArgs, args)...)...))
	}
	return b
}

// org is what `bucketd admin bootstrap --json` printed, and the email of the user it acts as.
type org struct {
	OrgID       string `json:"orgId"`
	WorkspaceID string `json:"workspaceId"`
	UserID      string `json:"userId"`
	Token       string `json:"token"`
	Email       string `json:"-"`
}

var emailSeq atomic.Int64

// bootstrap creates an organization with `bucketd admin bootstrap --json`; limit < 0 keeps the
// free trial's limit. It checks the output is exactly the documented JSON object.
func (b *backend) bootstrap(t testing.TB, limit int) org {
	t.Helper()
	email := fmt.Sprintf("admin%d@e2e.test", emailSeq.Add(1))
	args := []string{"admin", "bootstrap", "--json", "--database-url", b.dbURL, "--log-level", "debug", "--org", t.Name(), "--email", email}
	if limit >= 0 {
		args = append(args, "--bucket-limit", strconv.Itoa(limit))
	}
	res := mustRunBucketd(t, "", args...)
	_, _ = b.cliLogs.Write([]byte(res.stderr))
	o := parseBootstrap(t, res.stdout)
	o.Email = email
	b.secrets.Add("the token of "+t.Name(), o.Token)
	return o
}

// parseBootstrap decodes the one JSON line of `admin bootstrap --json`, failing t unless it has
// exactly the keys orgId, workspaceId, userId and token, each a non-empty string.
func parseBootstrap(t testing.TB, stdout string) org {
	t.Helper()
	if strings.Count(stdout, "\n") != 1 || !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("admin bootstrap --json printed %d lines, want exactly one JSON line", strings.Count(stdout, "\n"))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &fields); err != nil {
		t.Fatalf("admin bootstrap --json did not print a JSON object: %v", err)
	}
	if keys, want := slices.Sorted(maps.Keys(fields)), []string{"orgId", "token", "userId", "workspaceId"}; !slices.Equal(keys, want) {
		t.Fatalf("admin bootstrap --json printed keys %v, want exactly %v", keys, want)
	}
	var o org
	if err := json.Unmarshal([]byte(stdout), &o); err != nil {
		t.Fatalf("admin bootstrap --json: every value must be a string: %v", err)
	}
	for name, id := range map[string]string{"orgId": o.OrgID, "workspaceId": o.WorkspaceID, "userId": o.UserID} {
		if !domain.IsID(id) {
			t.Errorf("admin bootstrap --json: %s = %q, want a UUID", name, id)
		}
	}
	if o.Token == "" {
		t.Fatal("admin bootstrap --json printed an empty token")
	}
	return o
}

// client returns an API client of the first server acting with o's token.
func (b *backend) client(t testing.TB, o org) *client.ClientWithResponses {
	t.Helper()
	return b.servers[0].Client(t, b.checker, o.Token)
}

// request is a create request that succeeds: the gateway root's bucket and credentials.
func (b *backend) request(o org, name string) api.CreateBucketRequest {
	endpoint := b.gw.Endpoint
	return api.CreateBucketRequest{
		Name:        name,
		Bucket:      providerBucket,
		StorageType: api.StorageTypeS3,
		Key:         b.gw.RootKey,
		Secret:      b.gw.RootSecret,
		Region:      ptr[api.Region](versitygw.Region),
		Endpoint:    &endpoint,
		WorkspaceId: o.WorkspaceID,
	}
}

// create sends POST /bucket, failing t when no answer arrives.
func create(t testing.TB, c *client.ClientWithResponses, req api.CreateBucketRequest) *client.CreateBucketClientResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), requestTimeout)
	defer cancel()
	res, err := c.CreateBucketWithResponse(ctx, &api.CreateBucketParams{}, req)
	if err != nil {
		t.Fatalf("POST /bucket: %v", err)
	}
	return res
}

// wantCreated checks a 200 {success:true, bucketId:<uuid>} and returns the id.
func wantCreated(t testing.TB, res *client.CreateBucketClientResponse) string {
	t.Helper()
	if res.StatusCode() != http.StatusOK || res.JSON200 == nil {
		t.Fatalf("POST /bucket answered %d %s, want 200", res.StatusCode(), res.Body)
	}
	if !res.JSON200.Success || !domain.IsID(res.JSON200.BucketId) {
		t.Fatalf("POST /bucket answered %s, want success true and a UUID bucketId", res.Body)
	}
	return res.JSON200.BucketId
}

// wantError checks the status and the error code and returns the error body.
func wantError(t testing.TB, res *client.CreateBucketClientResponse, status int, code string) api.Error {
	t.Helper()
	e := errorBody(res)
	if res.StatusCode() != status || e == nil || e.Code != code || e.Success || e.Message == "" {
		t.Fatalf("POST /bucket answered %d %s, want %d with code %s and a message", res.StatusCode(), res.Body, status, code)
	}
	return *e
}

// errorBody is the decoded error body of any documented error status, or nil.
func errorBody(res *client.CreateBucketClientResponse) *api.Error {
	for _, e := range []*api.Error{res.JSON400, res.JSON401, res.JSON403, res.JSON409, res.JSON413,
		res.JSON415, res.JSON429, res.JSON500, res.JSON502, res.JSON503, res.JSON504} {
		if e != nil {
			return e
		}
	}
	return nil
}

// secretSet is the labelled values that must never leak.
type secretSet struct {
	mu     sync.Mutex
	values []labelled
}

type labelled struct{ label, value string }

// Add records value under label, which failure messages name instead of the value.
func (s *secretSet) Add(label, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values = append(s.values, labelled{label, value})
}

// forms returns every secret in the encodings a careless program might store or log it in.
func (s *secretSet) forms() []labelled {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []labelled
	for _, v := range s.values {
		raw := []byte(v.value)
		out = append(out,
			labelled{v.label, v.value},
			labelled{v.label + " (hex)", hex.EncodeToString(raw)},
			labelled{v.label + " (HEX)", strings.ToUpper(hex.EncodeToString(raw))},
			labelled{v.label + " (base64)", base64.RawStdEncoding.EncodeToString(raw)},
			labelled{v.label + " (base64url)", base64.RawURLEncoding.EncodeToString(raw)},
		)
	}
	return out
}

// wantNoSecretLoggedOrAnswered wants no form of a recorded secret in the log, or an answer, of
// any of the backend's servers: read it once they stopped.
func (b *backend) wantNoSecretLoggedOrAnswered(t *testing.T) {
	t.Helper()
	for _, s := range b.servers {
		for _, f := range b.secrets.forms() {
			if strings.Contains(s.Stderr.String(), f.value) || strings.Contains(s.Responses.String(), f.value) {
				t.Errorf("the server's log or an answer holds %s", f.label)
			}
		}
	}
}

// randomBase64 returns n random bytes in standard base64.
func randomBase64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return base64.StdEncoding.EncodeToString(b)
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b)
}
