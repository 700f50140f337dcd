package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// scenario is one end-to-end case; each bootstraps organizations of its own, so scenarios share
// the backend's servers and run in parallel.
type scenario struct {
	name string
	run  func(t *testing.T, b *backend)
}

// commonScenarios run on every backend.
var commonScenarios = []scenario{
	{"create then the same name again", testCreateAndDuplicateName},
	{"names people can tell apart", testNamesPeopleCanTellApart},
	{"provider refusals", testProviderRefusals},
	{"unauthenticated", testUnauthenticated},
	{"malformed JSON", testMalformedJSON},
	{"missing fields", testMissingFields},
	{"workspace of another organization", testForeignWorkspace},
	{"free trial quota", testFreeTrialQuota},
	{"bucket limit override", testBucketLimitOverride},
	{"50 concurrent creates against a limit of 10", testConcurrentCreates},
	{"validate without storing", testValidate},
	{"AWS role and temporary credentials", testAWSCredentials},
	{"audit trail", testAuditTrail},
	{"lifecycle", testLifecycle},
	{"GET /bucket/{id} checks the token on every read", testGetBucketChecksEveryRead},
	{"secret fingerprint", testSecretFingerprint},
	{"revalidate", testRevalidateStatus},
	{"another organization's bucket", testCrossOrganization},
	{"member outside its workspaces", testMemberWorkspaces},
	{"workspaces through the API", testWorkspacesAPI},
	{"workspace admins and the command line", testWorkspaceAdminsAndTheCommandLine},
	{"idempotent create", testIdempotentCreate},
	{"idempotent update", testIdempotentUpdate},
	{"GCS create", testGCSCreate},
	{"Azure create", testAzureCreate},
	{"validate GCS and Azure without storing", testCloudValidate},
	{"region detected when none is given", testRegionDetection},
	{"storage type answered as registered", testStorageTypeSpelling},
	{"admin organization plan and limit", testAdminOrganizations},
	{"admin workspaces, members and roles", testAdminMembers},
	{"admin token list, revoke and expiry", testAdminTokens},
	{"admin refused input", testAdminRejects},
	{"bad input", testBadInput},
	{"API keys used by buckets, rotated and deleted", testAPIKeys},
	{"GCS impersonation as an API key", testGCSImpersonationAPIKey},
	{"AWS role as an API key", testAWSRoleAPIKey},
}

// postgresScenarios need a database that several processes share.
var postgresScenarios = []scenario{
	{"50 concurrent creates on two servers against a limit of 10", testConcurrentCreatesTwoServers},
}

// TestCreateBucket drives the real binary through the generated client on SQLite and on
// PostgreSQL, every answer checked against openapi.yaml, then stops every server gracefully and
// proves that neither the database nor any log holds a secret.
func TestCreateBucket(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		scenarios, servers := commonScenarios, 1
		if !strings.HasPrefix(dbURL, "sqlite://") {
			scenarios, servers = append(append([]scenario(nil), commonScenarios...), postgresScenarios...), 2
		}
		b := newBackend(t, dbURL, servers)
		t.Run("scenarios", func(t *testing.T) {
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					t.Parallel()
					sc.run(t, b)
				})
			}
		})
		for i, s := range b.servers {
			if err := s.Stop(); err != nil {
				t.Errorf("server %d: %v\nstderr:\n%s", i, err, s.Stderr.String())
			}
		}
		t.Run("no plaintext secret in the database", func(t *testing.T) { testNoSecretInDatabase(t, b) })
		t.Run("no secret in the logs", func(t *testing.T) { testNoSecretInLogs(t, b) })
	})
}

func testCreateAndDuplicateName(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	wantCreated(t, create(t, c, b.request(o, "My S3 Bucket")))
	for _, name := range []string{"My S3 Bucket", "my s3 BUCKET", "  My S3 Bucket  "} {
		e := wantError(t, create(t, c, b.request(o, name)), http.StatusConflict, "NAME_ALREADY_USED")
		if !strings.Contains(e.Message, strings.TrimSpace(name)) {
			t.Errorf("message %q does not name %q", e.Message, strings.TrimSpace(name))
		}
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != 1 {
		t.Errorf("the organization has %d buckets, want 1", n)
	}
}

func testProviderRefusals(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	wrongSecret := "e2e-wrong-secret-" + randomHex(12)
	b.secrets.Add("the wrong secret", wrongSecret)
	tests := []struct {
		name   string
		change func(*api.CreateBucketRequest)
		code   string
	}{
		{"wrong secret", func(r *api.CreateBucketRequest) { r.Secret = wrongSecret }, "INVALID_CREDENTIALS"},
		{"missing bucket", func(r *api.CreateBucketRequest) { r.Bucket = missingBucket }, "BUCKET_NOT_FOUND"},
		{"non-owner user", func(r *api.CreateBucketRequest) { r.Key, r.Secret = nonOwnerKey, nonOwnerSecret }, "ACCESS_DENIED"},
		{"cloud metadata endpoint", func(r *api.CreateBucketRequest) { r.Endpoint = ptr("http://169.254.169.254") }, "ENDPOINT_NOT_ALLOWED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := b.request(o, tc.name)
			tc.change(&req)
			wantError(t, create(t, c, req), http.StatusBadRequest, tc.code)
		})
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != 0 {
		t.Errorf("refused requests stored %d buckets, want 0", n)
	}
}

func testUnauthenticated(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	badToken := "bkd_e2e_bad_token_" + randomHex(12)
	b.secrets.Add("the bad token", badToken)
	for name, token := range map[string]string{"no token": "", "bad token": badToken} {
		t.Run(name, func(t *testing.T) {
			c := b.servers[0].Client(t, b.checker, token)
			res := create(t, c, b.request(o, name))
			wantError(t, res, http.StatusUnauthorized, "UNAUTHENTICATED")
			if got := res.HTTPResponse.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
			}
		})
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != 0 {
		t.Errorf("unauthenticated requests stored %d buckets, want 0", n)
	}
}

func testMalformedJSON(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	ctx, cancel := context.WithTimeout(t.Context(), requestTimeout)
	defer cancel()
	res, err := b.client(t, o).CreateBucketWithBodyWithResponse(ctx, &api.CreateBucketParams{}, "application/json",
		strings.NewReader(`{"name": "Malformed", "bucket": `))
	if err != nil {
		t.Fatalf("POST /bucket: %v", err)
	}
	wantError(t, res, http.StatusBadRequest, "INVALID_REQUEST")
}

func testMissingFields(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	// region may be left out: testRegionDetection.
	for _, field := range []string{"name", "bucket", "storageType", "key", "secret", "workspaceId"} {
		t.Run(field, func(t *testing.T) {
			var body map[string]any
			raw, err := json.Marshal(b.request(o, "Missing "+field))
			if err == nil {
				err = json.Unmarshal(raw, &body)
			}
			if err != nil {
				t.Fatalf("build request body: %v", err)
			}
			delete(body, field)
			if raw, err = json.Marshal(body); err != nil {
				t.Fatalf("build request body: %v", err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), requestTimeout)
			defer cancel()
			res, err := c.CreateBucketWithBodyWithResponse(ctx, &api.CreateBucketParams{}, "application/json", bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("POST /bucket: %v", err)
			}
			e := wantError(t, res, http.StatusBadRequest, "INVALID_REQUEST")
			if !strings.Contains(e.Message, `"`+field+`"`) {
				t.Errorf("message %q does not name the field %q", e.Message, field)
			}
		})
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != 0 {
		t.Errorf("incomplete requests stored %d buckets, want 0", n)
	}
}

func testForeignWorkspace(t *testing.T, b *backend) {
	mine, theirs := b.bootstrap(t, -1), b.bootstrap(t, -1)
	c := b.client(t, mine)
	for name, workspaceID := range map[string]string{
		"workspace of another organization": theirs.WorkspaceID,
		"workspace that does not exist":     domain.NewID(),
	} {
		t.Run(name, func(t *testing.T) {
			req := b.request(mine, name)
			req.WorkspaceId = workspaceID
			wantError(t, create(t, c, req), http.StatusBadRequest, "WORKSPACE_NOT_FOUND")
		})
	}
	for _, o := range []org{mine, theirs} {
		if n := countBuckets(t, b.dbURL, o.OrgID); n != 0 {
			t.Errorf("organization %s has %d buckets, want 0", o.OrgID, n)
		}
	}
}

func ptr[T any](v T) *T { return &v }
