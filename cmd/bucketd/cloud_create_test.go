package main_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/gen/api"
)

// cloudCase is one create request on a GCS or Azure peer: change turns the peer's succeeding
// request into the case's; an empty code means the create must succeed, and otherwise it must
// fail with 400, that code and a message containing says (the failing check's name first).
type cloudCase struct {
	name   string
	change func(*api.CreateBucketRequest)
	code   string
	says   []string
}

func testGCSCreate(t *testing.T, b *backend) {
	p := b.cloud
	runCloudCases(t, b, p.gcsRequest, "GCS", []cloudCase{
		{name: "client email and PEM private key", change: func(*api.CreateBucketRequest) {}},
		{name: "whole service-account JSON in secret", change: func(r *api.CreateBucketRequest) { r.Secret = p.reader.keyFile }},
		{name: "no endpoint: the server's GCS endpoint", change: func(r *api.CreateBucketRequest) { r.Endpoint = nil }},
		{name: "another account's private key", change: func(r *api.CreateBucketRequest) { r.Secret = p.stranger.privateKey },
			code: "INVALID_CREDENTIALS", says: []string{"authenticate: ", "Invalid JWT Signature"}},
		{name: "unknown client email", change: func(r *api.CreateBucketRequest) { r.Key = gcsUnknownEmail },
			code: "INVALID_CREDENTIALS", says: []string{"authenticate: ", "account not found"}},
		{name: "key file whose key was deleted", change: func(r *api.CreateBucketRequest) { r.Key, r.Secret = p.revoked.email, p.revoked.keyFile },
			code: "INVALID_CREDENTIALS", says: []string{"authenticate: ", "authError: Invalid Credentials"}},
		{name: "key file on a missing bucket", change: func(r *api.CreateBucketRequest) { r.Secret, r.Bucket = p.reader.keyFile, missingBucket },
			code: "BUCKET_NOT_FOUND", says: []string{"bucket: ", missingBucket}},
		{name: "missing bucket", change: func(r *api.CreateBucketRequest) { r.Bucket = missingBucket },
			code: "BUCKET_NOT_FOUND", says: []string{"bucket: ", missingBucket}},
		{name: "account that may not list objects", change: func(r *api.CreateBucketRequest) { r.Key, r.Secret = p.noList.email, p.noList.privateKey },
			code: "ACCESS_DENIED", says: []string{"permissions: ", "storage.objects.list"}},
		{name: "bucket in another location", change: func(r *api.CreateBucketRequest) { r.Region = ptr[api.Region]("europe-west1") },
			code: "REGION_MISMATCH", says: []string{"region: ", "set region to " + gcsLocation}},
	})
}

func testAzureCreate(t *testing.T, b *backend) {
	p := b.cloud
	runCloudCases(t, b, p.azureRequest, "AZURE", []cloudCase{
		{name: "storage type AZURE", change: func(*api.CreateBucketRequest) {}},
		{name: "storage type BLOB, the alias", change: func(r *api.CreateBucketRequest) { r.StorageType = api.StorageTypeBLOB }},
		{name: "endpoint naming the account", change: func(r *api.CreateBucketRequest) { r.Endpoint = ptr(p.azure.Endpoint(p.azure.Account)) }},
		{name: "wrong account key", change: func(r *api.CreateBucketRequest) { r.Secret = p.wrongAzureKey },
			code: "INVALID_CREDENTIALS", says: []string{"authenticate: ", "AuthorizationFailure"}},
		{name: "unknown account", change: func(r *api.CreateBucketRequest) { r.Key = "e2enosuchaccount" },
			code: "INVALID_CREDENTIALS", says: []string{"authenticate: ", "e2enosuchaccount was not found"}},
		{name: "missing container", change: func(r *api.CreateBucketRequest) { r.Bucket = missingBucket },
			code: "BUCKET_NOT_FOUND", says: []string{"container: ", missingBucket}},
	})
}

// runCloudCases sends every case as its own create for one organization, then checks that
// exactly the accepted ones are stored, each under storageType.
func runCloudCases(t *testing.T, b *backend, request func(org, string) api.CreateBucketRequest, storageType string, cases []cloudCase) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	created := 0
	for _, tc := range cases {
		if tc.code == "" {
			created++
		}
		t.Run(tc.name, func(t *testing.T) {
			req := request(o, tc.name)
			tc.change(&req)
			res := create(t, c, req)
			if tc.code == "" {
				id := wantCreated(t, res)
				if got := storedStorageType(t, b.dbURL, id); got != storageType {
					t.Errorf("bucket %s is stored with storage type %q, want %q", id, got, storageType)
				}
				return
			}
			e := wantError(t, res, http.StatusBadRequest, tc.code)
			for _, s := range tc.says {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q does not contain %q", e.Message, s)
				}
			}
		})
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != created {
		t.Errorf("the organization has %d buckets, want the %d accepted ones", n, created)
	}
}

// storedStorageType reads the storage type of a stored bucket directly from the database.
func storedStorageType(t testing.TB, databaseURL, bucketID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
	defer cancel()
	var st string
	if err := openDB(t, databaseURL).QueryRowContext(ctx, "SELECT storage_type FROM buckets WHERE id = $1", bucketID).Scan(&st); err != nil {
		t.Fatalf("read the storage type of bucket %s: %v", bucketID, err)
	}
	return st
}
