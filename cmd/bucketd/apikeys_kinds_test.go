package main_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/stspeer"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// Roles of the AWS_ROLE API key scenario, apart from testAWSCredentials' so the two never
// replace each other's trust at the shared STS peer: one the organization trusts, acting as the
// gateway's root; one it trusts that may not read the bucket; one whose trust wants another
// ExternalId.
const (
	e2eKeyRoleARN       = "arn:aws:iam::444455556666:role/e2e-bucketd-apikey"
	e2eNonOwnerRoleARN  = "arn:aws:iam::444455556666:role/e2e-bucketd-apikey-non-owner"
	e2eUntrustedRoleARN = "arn:aws:iam::444455556666:role/e2e-bucketd-apikey-untrusted"
)

// testGCSImpersonationAPIKey registers a GCS_IMPERSONATION credential, which bucketd proves by
// minting a token for the account through the IAM peer with its own identity; two buckets use
// it and validate ONLINE with the tokens it mints. An account bucketd may not impersonate is
// refused with the role to grant, and the credential in use is not deleted.
func testGCSImpersonationAPIKey(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	endpoint := b.cloud.gcs.URL
	impersonate := func(account string) api.CreateApiKeyRequest {
		return api.CreateApiKeyRequest{Provider: "GCP", Kind: ptr(api.GCSIMPERSONATION), Key: account, Endpoint: &endpoint,
			WorkspaceId: o.WorkspaceID}
	}
	keyID := mustCreateAPIKey(t, c, impersonate(gcsImpReaderEmail))
	for _, bucket := range []string{gcsBucket, gcsSecondBucket} {
		req := b.cloud.gcsRequest(o, "impersonated "+bucket)
		req.Bucket, req.Key, req.Secret, req.Endpoint, req.ApiKeyUuid = bucket, "", "", nil, &keyID
		wantOnlineByReference(t, c, wantCreated(t, create(t, c, req)), keyID)
	}

	refused, err := c.CreateApiKeyWithResponse(t.Context(), impersonate(gcsImpStrangerEmail))
	if err != nil || refused.JSON400 == nil || refused.JSON400.Code != "ACCESS_DENIED" ||
		!strings.Contains(refused.JSON400.Message, "grant roles/iam.serviceAccountTokenCreator") ||
		!strings.Contains(refused.JSON400.Message, gcsBucketdEmail) {
		t.Errorf("POST /apikeys impersonating an account bucketd may not = %v %s; want 400 ACCESS_DENIED naming the role and bucketd's account",
			err, bodyOf(refused))
	}
	wantInUse(t, c, keyID, 2)
}

// testAWSRoleAPIKey registers an AWS_ROLE credential with the organization's ExternalId, and a
// bucket uses it ONLINE; another organization naming the same role is refused with its own
// ExternalId. A rotation to a role whose trust wants another ExternalId fails on the
// credential alone, one to a trusted role that may not read the bucket fails naming the
// bucket; neither changes what the bucket uses.
func testAWSRoleAPIKey(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	trust := awsTrust(t, c)
	for arn, account := range map[string][2]string{e2eKeyRoleARN: {b.gw.RootKey, b.gw.RootSecret}, e2eNonOwnerRoleARN: {nonOwnerKey, nonOwnerSecret}} {
		b.aws.AddRole(stspeer.Role{ARN: arn, TrustedPrincipal: e2eIdentityARN, ExternalID: trust.ExternalId, AccessKey: account[0], Secret: account[1]})
	}
	b.aws.AddRole(stspeer.Role{ARN: e2eUntrustedRoleARN, TrustedPrincipal: e2eIdentityARN, ExternalID: "bucketd-someone-else",
		AccessKey: b.gw.RootKey, Secret: b.gw.RootSecret})
	endpoint := b.aws.S3URL
	role := api.CreateApiKeyRequest{Provider: "AWS", Kind: ptr(api.AWSROLE), Key: e2eKeyRoleARN, Endpoint: &endpoint,
		Region: ptr[api.Region](versitygw.Region), WorkspaceId: o.WorkspaceID}
	keyID := mustCreateAPIKey(t, c, role)
	req := b.request(o, "by role")
	req.Key, req.Secret, req.Endpoint, req.ApiKeyUuid = "", "", nil, &keyID
	id := wantCreated(t, create(t, c, req))
	wantOnlineByReference(t, c, id, keyID)

	other := b.bootstrap(t, -1)
	otherClient := b.client(t, other)
	otherTrust := awsTrust(t, otherClient)
	role.WorkspaceId = other.WorkspaceID
	denied, err := otherClient.CreateApiKeyWithResponse(t.Context(), role)
	if err != nil || denied.JSON400 == nil || denied.JSON400.Code != "ACCESS_DENIED" ||
		!strings.Contains(denied.JSON400.Message, `"sts:ExternalId": "`+otherTrust.ExternalId+`"`) {
		t.Errorf("another organization registering the role = %v %s; want 400 ACCESS_DENIED naming its own ExternalId", err, bodyOf(denied))
	}

	untrusted, err := c.UpdateApiKeyWithResponse(t.Context(), keyID, api.UpdateApiKeyRequest{Key: ptr(e2eUntrustedRoleARN)})
	if err != nil || untrusted.JSON400 == nil || untrusted.JSON400.Code != "ACCESS_DENIED" ||
		!strings.Contains(untrusted.JSON400.Message, `"sts:ExternalId": "`+trust.ExternalId+`"`) {
		t.Errorf("a rotation to a role that does not trust the organization = %v %s; want 400 ACCESS_DENIED naming its ExternalId",
			err, bodyOf(untrusted))
	}
	unreadable, err := c.UpdateApiKeyWithResponse(t.Context(), keyID, api.UpdateApiKeyRequest{Key: ptr(e2eNonOwnerRoleARN)})
	if err != nil || unreadable.JSON409 == nil || unreadable.JSON409.Code != "ROTATION_REFUSED" || unreadable.JSON409.FailedBuckets == nil ||
		len(*unreadable.JSON409.FailedBuckets) != 1 || (*unreadable.JSON409.FailedBuckets)[0].BucketId != id ||
		!strings.Contains(unreadable.JSON409.Message, id) {
		t.Errorf("a rotation to a role that may not read the bucket = %v %s; want 409 ROTATION_REFUSED naming bucket %s", err, bodyOf(unreadable), id)
	}
	if got := mustGetBucket(t, c, id); got.KeyHint != keyHintOf(t, c, o.WorkspaceID, keyID) || got.SecretVersion != 1 {
		t.Errorf("after refused rotations the bucket answers %+v; want the first role still", got)
	}
	if res := mustRevalidate(t, c, id, api.RevalidateBucketRequest{}); !res.Success || res.Status != api.ONLINE {
		t.Errorf("after refused rotations the bucket validates as %+v; want ONLINE with the first role", res)
	}
}

// mustCreateAPIKey registers req and returns the credential's id.
func mustCreateAPIKey(t testing.TB, c *client.ClientWithResponses, req api.CreateApiKeyRequest) string {
	t.Helper()
	res, err := c.CreateApiKeyWithResponse(t.Context(), req)
	if err != nil || res.JSON200 == nil {
		t.Fatalf("POST /apikeys (%s) = %v %s", *req.Kind, err, bodyOf(res))
	}
	return res.JSON200.ApiKeyId
}

// wantOnlineByReference wants bucket id to use credential keyID and to be ONLINE.
func wantOnlineByReference(t testing.TB, c *client.ClientWithResponses, id, keyID string) {
	t.Helper()
	if got := mustGetBucket(t, c, id); got.ApiKeyId == nil || *got.ApiKeyId != keyID || got.Status != api.ONLINE {
		t.Errorf("a bucket by reference answers %+v; want apiKeyId %s and ONLINE", got, keyID)
	}
}

// wantInUse wants DELETE /apikeys of keyID refused with 409 CREDENTIAL_IN_USE and the count.
func wantInUse(t testing.TB, c *client.ClientWithResponses, keyID string, buckets int) {
	t.Helper()
	res, err := c.DeleteApiKeyWithResponse(t.Context(), keyID)
	if err != nil || res.StatusCode() != http.StatusConflict || !strings.Contains(string(res.Body), "CREDENTIAL_IN_USE") ||
		!strings.Contains(string(res.Body), strconv.Itoa(buckets)+" bucket") {
		t.Errorf("DELETE /apikeys of a key %d buckets use = %v %s; want 409 CREDENTIAL_IN_USE with the count", buckets, err, bodyOf(res))
	}
}

// keyHintOf is the hint GET /apikeys shows for keyID in the workspace.
func keyHintOf(t testing.TB, c *client.ClientWithResponses, workspaceID, keyID string) string {
	t.Helper()
	res, err := c.ListApiKeysWithResponse(t.Context(), &api.ListApiKeysParams{WorkspaceId: &workspaceID})
	if err != nil || res.JSON200 == nil {
		t.Fatalf("GET /apikeys = %v %s", err, bodyOf(res))
	}
	for _, k := range res.JSON200.ApiKeys {
		if k.Id == keyID {
			return k.KeyHint
		}
	}
	t.Fatalf("GET /apikeys does not list %s", keyID)
	return ""
}
