package main_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// testAPIKeys drives a stored credential through its life against the real binary and
// versitygw: registered once, used by two buckets, rotated to good values (both buckets follow)
// and to values that fail for them (refused, naming both, nothing changed), refused for
// another organization and another workspace exactly like an unknown id, not deleted while in
// use, deleted once unused.
func testAPIKeys(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	user := b.newGatewayUser(t, "the API key's user")
	second := "e2e-key-second-" + randomHex(6)
	gatewayAdmin(t, b.gw, "create-bucket", "--owner", user.key, "--bucket", second)
	endpoint, region := b.gw.Endpoint, api.Region(versitygw.Region)

	created, err := c.CreateApiKeyWithResponse(t.Context(), api.CreateApiKeyRequest{Provider: "S3", Key: user.key, Secret: &user.secret,
		Endpoint: &endpoint, Region: &region, WorkspaceId: o.WorkspaceID, Description: ptr("the user's key")})
	if err != nil || created.JSON200 == nil {
		t.Fatalf("POST /apikeys = %v %s", err, bodyOf(created))
	}
	keyID := created.JSON200.ApiKeyId

	wrong := "e2e-apikey-wrong-" + randomHex(12)
	b.secrets.Add("the API key test's wrong secret", wrong)
	if res, err := c.CreateApiKeyWithResponse(t.Context(), api.CreateApiKeyRequest{Provider: "AWS", Key: user.key, Secret: &wrong,
		Endpoint: &endpoint, WorkspaceId: o.WorkspaceID}); err != nil || res.JSON400 == nil || res.JSON400.Code != "INVALID_CREDENTIALS" {
		t.Errorf("POST /apikeys with a wrong secret = %v %s; want 400 INVALID_CREDENTIALS", err, bodyOf(res))
	}

	ids := map[string]string{}
	for _, bucket := range []string{user.bucket, second} {
		req := b.request(o, "by reference "+bucket)
		req.Bucket, req.Key, req.Secret, req.Endpoint, req.ApiKeyUuid = bucket, "", "", nil, &keyID
		ids[bucket] = wantCreated(t, create(t, c, req))
		if got := mustGetBucket(t, c, ids[bucket]); got.ApiKeyId == nil || *got.ApiKeyId != keyID || got.Endpoint == nil || *got.Endpoint != endpoint {
			t.Errorf("a bucket by reference answers %+v; want apiKeyId %s and the key's endpoint", got, keyID)
		}
	}
	wantKeys(t, c, o.WorkspaceID, keyID, 2)

	t.Run("refusals", func(t *testing.T) {
		both := b.request(o, "both")
		both.ApiKeyUuid = &keyID
		wantError(t, create(t, c, both), http.StatusBadRequest, "INVALID_REQUEST")
		azure := b.request(o, "azure by an S3 key")
		azure.StorageType, azure.Key, azure.Secret, azure.Endpoint, azure.ApiKeyUuid = api.StorageTypeAZURE, "", "", nil, &keyID
		if e := wantError(t, create(t, c, azure), http.StatusBadRequest, "INVALID_REQUEST"); !strings.Contains(e.Message, "an API key for S3 and cannot reach a bucket of storage type AZURE") {
			t.Errorf("a provider mismatch says %q", e.Message)
		}
		unknown := b.request(o, "unknown key")
		unknown.Key, unknown.Secret, unknown.Endpoint, unknown.ApiKeyUuid = "", "", nil, ptr(strings.Replace(keyID, keyID[:8], "00000000", 1))
		want := wantError(t, create(t, c, unknown), http.StatusBadRequest, "INVALID_REQUEST")

		stranger := b.bootstrap(t, -1)
		foreign := b.request(stranger, "another organization's key")
		foreign.Key, foreign.Secret, foreign.Endpoint, foreign.ApiKeyUuid = "", "", nil, &keyID
		got := wantError(t, create(t, b.client(t, stranger), foreign), http.StatusBadRequest, "INVALID_REQUEST")
		if strings.ReplaceAll(got.Message, keyID, "ID") != strings.ReplaceAll(want.Message, *unknown.ApiKeyUuid, "ID") {
			t.Errorf("another organization's key answers %q, an unknown one %q; want the same", got.Message, want.Message)
		}
		ws, err := c.CreateWorkspaceWithResponse(t.Context(), api.CreateWorkspaceRequest{Name: "Elsewhere " + randomHex(4)})
		if err != nil || ws.JSON200 == nil {
			t.Fatalf("POST /workspace = %v %s", err, bodyOf(ws))
		}
		elsewhere := b.request(o, "another workspace's key")
		elsewhere.WorkspaceId, elsewhere.Key, elsewhere.Secret, elsewhere.Endpoint, elsewhere.ApiKeyUuid = ws.JSON200.Workspace.Id, "", "", nil, &keyID
		got = wantError(t, create(t, c, elsewhere), http.StatusBadRequest, "INVALID_REQUEST")
		if strings.ReplaceAll(got.Message, keyID, "ID") != strings.ReplaceAll(want.Message, *unknown.ApiKeyUuid, "ID") {
			t.Errorf("another workspace's key answers %q, an unknown one %q; want the same", got.Message, want.Message)
		}
	})

	// Values that authenticate but may not read the buckets: refused, naming both.
	refused, err := c.UpdateApiKeyWithResponse(t.Context(), keyID, api.UpdateApiKeyRequest{Key: ptr(nonOwnerKey), Secret: ptr(nonOwnerSecret)})
	if err != nil || refused.JSON409 == nil || refused.JSON409.Code != "ROTATION_REFUSED" || refused.JSON409.FailedBuckets == nil ||
		len(*refused.JSON409.FailedBuckets) != 2 {
		t.Fatalf("a rotation that fails for both buckets = %v %s; want 409 ROTATION_REFUSED naming both", err, bodyOf(refused))
	}
	for _, id := range ids {
		if !strings.Contains(refused.JSON409.Message, id) {
			t.Errorf("the refusal %q does not name bucket %s", refused.JSON409.Message, id)
		}
		if got := mustGetBucket(t, c, id); got.SecretVersion != 1 {
			t.Errorf("a refused rotation moved bucket %s to secret version %d", id, got.SecretVersion)
		}
	}
	if res := mustRevalidate(t, c, ids[user.bucket], api.RevalidateBucketRequest{}); !res.Success {
		t.Errorf("after a refused rotation the bucket fails: %+v", res)
	}

	// Values that work for both: the gateway root may read every bucket.
	rotated, err := c.UpdateApiKeyWithResponse(t.Context(), keyID, api.UpdateApiKeyRequest{Key: &b.gw.RootKey, Secret: &b.gw.RootSecret})
	if err != nil || rotated.JSON200 == nil {
		t.Fatalf("a rotation to the root's credentials = %v %s", err, bodyOf(rotated))
	}
	user.revoke(t, b.gw) // the buckets no longer depend on the user's key
	for _, id := range ids {
		if got := mustGetBucket(t, c, id); got.SecretVersion != 2 || got.KeyHint != domain.NewSecret(b.gw.RootKey).Hint() {
			t.Errorf("after the rotation bucket %s answers %+v; want secret version 2 and the new key's hint", id, got)
		}
		if res := mustRevalidate(t, c, id, api.RevalidateBucketRequest{}); !res.Success || res.Status != api.ONLINE {
			t.Errorf("after the rotation bucket %s validates as %+v; want ONLINE with the new values", id, res)
		}
	}

	wantInUse(t, c, keyID, 2)
	for _, id := range ids {
		if res, err := c.DeleteBucketWithResponse(t.Context(), id); err != nil || res.StatusCode() != http.StatusOK {
			t.Fatalf("DELETE /bucket/%s = %v", id, err)
		}
	}
	if res, err := c.DeleteApiKeyWithResponse(t.Context(), keyID); err != nil || res.StatusCode() != http.StatusOK {
		t.Errorf("DELETE /apikeys of an unused key = %v %s", err, bodyOf(res))
	}
	wantKeys(t, c, o.WorkspaceID, "", 0)
}

// wantKeys wants the workspace's API keys to be the one id with count buckets, or none.
func wantKeys(t testing.TB, c *client.ClientWithResponses, workspaceID, id string, count int) {
	t.Helper()
	res, err := c.ListApiKeysWithResponse(t.Context(), &api.ListApiKeysParams{WorkspaceId: &workspaceID, Provider: ptr("S3")})
	if err != nil || res.JSON200 == nil {
		t.Fatalf("GET /apikeys = %v %s", err, bodyOf(res))
	}
	keys := res.JSON200.ApiKeys
	switch {
	case id == "" && len(keys) != 0:
		t.Errorf("GET /apikeys = %+v; want none", keys)
	case id != "" && (len(keys) != 1 || keys[0].Id != id || keys[0].BucketCount != count || keys[0].Key != keys[0].KeyHint):
		t.Errorf("GET /apikeys = %+v; want %s with %d buckets, its key as a hint", keys, id, count)
	}
}

// bodyOf is an answer's body for a failure message (never a secret, as the leak checks
// prove): res is a generated client's answer, nil when none arrived.
func bodyOf(res any) string {
	v := reflect.ValueOf(res)
	if !v.IsValid() || v.IsNil() {
		return "(no answer)"
	}
	return string(v.Elem().FieldByName("Body").Bytes())
}
