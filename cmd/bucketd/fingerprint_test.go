package main_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
)

// fingerprintFormat is a secretFingerprint as openapi.yaml documents it: 16 bytes, unpadded
// base64url.
var fingerprintFormat = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// testSecretFingerprint follows a bucket's secret through create, replacement, a resend of the
// same secret and a rename, and compares fingerprints across organizations: equal secrets show
// equal fingerprints, and a fingerprint never is the secret.
func testSecretFingerprint(t *testing.T, b *backend) {
	o, other := b.bootstrap(t, -1), b.bootstrap(t, -1)
	c, otherC := b.client(t, o), b.client(t, other)
	user := b.newGatewayUser(t, "the fingerprint user")

	req := b.request(o, "Fingerprinted")
	req.Bucket = user.bucket // the root's credentials reach the user's bucket too
	id := wantCreated(t, create(t, c, req))
	created := mustGetBucket(t, c, id)
	rootPrint := wantFingerprint(t, "after the create", created, 1, req.Secret)
	if created.CredentialsUpdatedAt == nil || !created.CredentialsUpdatedAt.Equal(created.CreatedAt) {
		t.Errorf("credentialsUpdatedAt = %v, want the creation time %v", created.CredentialsUpdatedAt, created.CreatedAt)
	}

	time.Sleep(10 * time.Millisecond) // so a new credentials time is visibly later
	mustUpdate(t, c, id, api.UpdateBucketRequest{Key: &user.key, Secret: &user.secret})
	replaced := mustGetBucket(t, c, id)
	userPrint := wantFingerprint(t, "after a new secret", replaced, 2, user.secret)
	if userPrint == rootPrint {
		t.Errorf("a new secret kept the fingerprint %s", rootPrint)
	}
	if replaced.CredentialsUpdatedAt == nil || !replaced.CredentialsUpdatedAt.After(*created.CredentialsUpdatedAt) {
		t.Errorf("credentialsUpdatedAt = %v after a new secret, want later than %v", replaced.CredentialsUpdatedAt, created.CredentialsUpdatedAt)
	}

	// Another organization registering the same secret sees the same fingerprint.
	otherReq := b.request(other, "Same secret elsewhere")
	otherReq.Bucket, otherReq.Key, otherReq.Secret = user.bucket, user.key, user.secret
	elsewhere := mustGetBucket(t, otherC, wantCreated(t, create(t, otherC, otherReq)))
	if got := wantFingerprint(t, "of the other organization's bucket", elsewhere, 1, user.secret); got != userPrint {
		t.Errorf("the same secret has fingerprint %s in one organization and %s in another", userPrint, got)
	}
	sameAsRoot := mustGetBucket(t, otherC, wantCreated(t, create(t, otherC, b.request(other, "Root secret elsewhere"))))
	if got := wantFingerprint(t, "of a bucket with the root's secret", sameAsRoot, 1, req.Secret); got != rootPrint {
		t.Errorf("the root's secret has fingerprint %s, earlier %s", got, rootPrint)
	}

	// Sending the stored secret again, and renaming, leave secret version and time alone.
	mustUpdate(t, c, id, api.UpdateBucketRequest{Secret: &user.secret})
	mustUpdate(t, c, id, api.UpdateBucketRequest{Name: ptr("Fingerprinted, renamed")})
	after := mustGetBucket(t, c, id)
	wantFingerprint(t, "after a resend and a rename", after, 2, user.secret)
	if after.SecretFingerprint == nil || *after.SecretFingerprint != userPrint ||
		after.CredentialsUpdatedAt == nil || !after.CredentialsUpdatedAt.Equal(*replaced.CredentialsUpdatedAt) {
		t.Errorf("after a resend and a rename: fingerprint %v, credentialsUpdatedAt %v; want %s and %v unchanged",
			after.SecretFingerprint, after.CredentialsUpdatedAt, userPrint, replaced.CredentialsUpdatedAt)
	}
}

// wantFingerprint checks the bucket shows a well-formed fingerprint that is not the secret,
// at the given secret version, and returns the fingerprint.
func wantFingerprint(t *testing.T, when string, got api.Bucket, version int64, secret string) string {
	t.Helper()
	if got.SecretVersion != version {
		t.Errorf("%s: secretVersion = %d, want %d", when, got.SecretVersion, version)
	}
	if got.SecretFingerprint == nil || !fingerprintFormat.MatchString(*got.SecretFingerprint) {
		t.Fatalf("%s: secretFingerprint = %v, want 22 base64url characters", when, got.SecretFingerprint)
	}
	if *got.SecretFingerprint == secret {
		t.Fatalf("%s: secretFingerprint is the secret itself", when)
	}
	return *got.SecretFingerprint
}
