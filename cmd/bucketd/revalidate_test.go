package main_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
)

// testRevalidateStatus proves what POST /bucket/{id}/validate records: values given in the
// body are a dry run that leaves the stored status alone, while the stored credentials' verdict
// becomes the status, OFFLINE once the provider revoked the key, with the failed check's
// message as the bucket's statusMessage, and ONLINE again, without one, once it is back, each
// time with a later lastStatusAt.
func testRevalidateStatus(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	user := b.newGatewayUser(t, "the revoked user")
	req := b.request(o, "Revalidated")
	req.Bucket, req.Key, req.Secret = user.bucket, user.key, user.secret
	id := wantCreated(t, create(t, c, req))
	created := mustGetBucket(t, c, id)
	if created.Status != api.ONLINE || created.LastStatusAt == nil || created.StatusMessage != nil {
		t.Fatalf("a created bucket has status %s, lastStatusAt %v and statusMessage %v, want ONLINE, a time and no message",
			created.Status, created.LastStatusAt, created.StatusMessage)
	}

	wrongSecret := "e2e-revalidate-wrong-" + randomHex(12)
	b.secrets.Add("the revalidation's wrong secret", wrongSecret)
	overrides := []struct {
		name string
		body api.RevalidateBucketRequest
		code string
	}{
		{"wrong secret", api.RevalidateBucketRequest{Key: &user.key, Secret: &wrongSecret}, "INVALID_CREDENTIALS"},
		{"valid credentials without access", api.RevalidateBucketRequest{Key: ptr(nonOwnerKey), Secret: ptr(nonOwnerSecret)}, "ACCESS_DENIED"},
		{"missing bucket", api.RevalidateBucketRequest{Bucket: ptr(missingBucket)}, "BUCKET_NOT_FOUND"},
	}
	for _, tc := range overrides {
		t.Run("override: "+tc.name, func(t *testing.T) {
			// The dry run answers its own verdict; the stored status stays as it was.
			res := mustRevalidate(t, c, id, tc.body)
			wantFailedRevalidation(t, res, tc.code, api.OFFLINE)
			if got := mustGetBucket(t, c, id); got.Status != api.ONLINE || !sameTime(got.LastStatusAt, created.LastStatusAt) ||
				got.StatusMessage != nil {
				t.Errorf("after a dry run the bucket has status %s at %v (statusMessage %v), want it unchanged: ONLINE at %v, no message",
					got.Status, got.LastStatusAt, got.StatusMessage, created.LastStatusAt)
			}
		})
	}

	user.revoke(t, b.gw)
	revoked := mustRevalidate(t, c, id, api.RevalidateBucketRequest{})
	wantFailedRevalidation(t, revoked, "INVALID_CREDENTIALS", api.OFFLINE)
	offline := wantStatusMoved(t, c, id, api.OFFLINE, created.LastStatusAt)
	if offline.StatusMessage == nil || *offline.StatusMessage != revoked.Message || !strings.Contains(revoked.Message, offline.KeyHint) {
		t.Errorf("the OFFLINE bucket's statusMessage = %v; want the failed check's message %q, naming key %s",
			offline.StatusMessage, revoked.Message, offline.KeyHint)
	}

	user.restore(t, b.gw)
	res := mustRevalidate(t, c, id, api.RevalidateBucketRequest{})
	if !res.Success || res.Code != nil || res.Status != api.ONLINE {
		t.Errorf("revalidation after the key was restored = %+v, want success and status ONLINE", res)
	}
	if online := wantStatusMoved(t, c, id, api.ONLINE, offline.LastStatusAt); online.StatusMessage != nil {
		t.Errorf("the bucket ONLINE again still has statusMessage %q", *online.StatusMessage)
	}
}

// wantFailedRevalidation checks a report whose checks failed with code, answered with status:
// the bucket's after a validation of its stored values, the verdict of a dry run.
func wantFailedRevalidation(t testing.TB, res api.RevalidationResult, code string, status api.BucketStatus) {
	t.Helper()
	failed := 0
	for _, check := range res.Checks {
		if check.Status == api.Fail {
			failed++
		}
	}
	if res.Success || res.Code == nil || *res.Code != code || res.Status != status || failed == 0 {
		t.Errorf("revalidation = %+v, want success false, code %s, a failed check and status %s", res, code, status)
	}
}

// wantStatusMoved wants the stored bucket to have status, established after since.
func wantStatusMoved(t testing.TB, c *client.ClientWithResponses, id string, status api.BucketStatus, since *time.Time) api.Bucket {
	t.Helper()
	got := mustGetBucket(t, c, id)
	if got.Status != status || got.LastStatusAt == nil || since == nil || !got.LastStatusAt.After(*since) {
		t.Errorf("the bucket has status %s at %v, want %s after %v", got.Status, got.LastStatusAt, status, since)
	}
	return got
}

// sameTime reports whether two optional times are both absent or the same instant.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
