package main_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/testsupport/storetest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// TestKeyRotationReachesStoredCredentials is master key rotation of a stored credential, end to
// end on SQLite and PostgreSQL: an API key and a bucket that uses it are registered under k1,
// next to a bucket with its own key and secret. With the ring k2,k1 `keys status` counts the API
// key's values under k1 and names no key as removable; `keys rotate`, given a fingerprint key
// the servers lacked, re-seals the API key's values with the bucket's and fills in the two
// missing secret fingerprints, the API key's and the other bucket's; the bucket that uses the
// API key then answers with the API key's, which is the other bucket's (the same secret). `keys
// status` then shows nothing under k1 and names it removable. A server with only k2 validates
// the bucket ONLINE through the API key, which proves its values open without the old key, and
// `keys status` with only k2 shows every value under it.
func TestKeyRotationReachesStoredCredentials(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		b := newKeysBackend(t, dbURL)
		k1, k2 := b.twoMasterKeys()
		rotatingRing := k2 + "," + k1
		fingerprintKey := randomBase64(32)
		b.secrets.Add("the fingerprint key", fingerprintKey)

		b.servers = []*server{b.startWithRing(t, k1)}
		o := b.bootstrap(t, 100)
		c := b.client(t, o)
		endpoint, region := b.gw.Endpoint, api.Region(versitygw.Region)
		created, err := c.CreateApiKeyWithResponse(t.Context(), api.CreateApiKeyRequest{Provider: "S3", Key: b.gw.RootKey,
			Secret: &b.gw.RootSecret, Endpoint: &endpoint, Region: &region, WorkspaceId: o.WorkspaceID})
		if err != nil || created.JSON200 == nil {
			t.Fatalf("POST /apikeys = %v %s", err, bodyOf(created))
		}
		keyID := created.JSON200.ApiKeyId
		byReference := b.request(o, "by reference")
		byReference.Key, byReference.Secret, byReference.Endpoint, byReference.ApiKeyUuid = "", "", nil, &keyID
		bucketID := wantCreated(t, create(t, c, byReference))
		ownID := wantCreated(t, create(t, c, b.request(o, "own values")))
		if got := mustGetBucket(t, c, bucketID); got.SecretFingerprint != nil {
			t.Fatalf("a bucket by reference registered by a server without a fingerprint key shows fingerprint %s", *got.SecretFingerprint)
		}
		if err := b.servers[0].Stop(); err != nil {
			t.Fatalf("stop the server with the old ring: %v", err)
		}

		before := b.keyStatus(t, rotatingRing)
		wantKeyValues(t, before, "k2", 1, map[string]int{"k2": 0, "k1": 4})
		if before.Credentials != 1 || len(before.RemovableKeyIDs) != 0 || keyUsageOf(before, "k1").Credentials != 1 {
			t.Errorf("keys status before the rotation = %+v; want 1 API key, its values under k1, and k1 not removable", before)
		}

		rotation := mustRunBucketd(t, "", "keys", "rotate", "--database-url", dbURL, "--master-keys", rotatingRing,
			"--fingerprint-key", fingerprintKey)
		_, _ = b.cliLogs.Write([]byte(rotation.stderr))
		if !strings.Contains(rotation.stdout, "done: 4 values of 1 buckets and 1 API keys re-sealed under k2; "+
			"the missing secret fingerprint of 2 buckets and API keys filled in") {
			t.Errorf("keys rotate printed %q; want it to count the bucket and the API key it re-sealed and their fingerprints", rotation.stdout)
		}
		after := b.keyStatus(t, rotatingRing)
		wantKeyValues(t, after, "k2", 1, map[string]int{"k2": 4, "k1": 0})
		if !reflect.DeepEqual(after.RemovableKeyIDs, []string{"k1"}) || keyUsageOf(after, "k2").Credentials != 1 {
			t.Errorf("keys status after the rotation = %+v; want the API key under k2 and k1 removable", after)
		}
		table := mustRunBucketd(t, "", "keys", "status", "--database-url", dbURL, "--master-keys", rotatingRing)
		_, _ = b.cliLogs.Write([]byte(table.stderr))
		if !strings.Contains(table.stdout, "no bucket and no API key has a value sealed under k1") {
			t.Errorf("keys status printed %q; want it to say k1 seals nothing", table.stdout)
		}

		b.servers = []*server{b.startWithRing(t, k2)}
		c = b.client(t, o)
		own := wantFingerprint(t, "of the bucket with its own values after keys rotate", mustGetBucket(t, c, ownID), 1, b.gw.RootSecret)
		if got := wantFingerprint(t, "of the bucket by reference after keys rotate", mustGetBucket(t, c, bucketID), 1, b.gw.RootSecret); got != own {
			t.Errorf("the bucket by reference shows fingerprint %s after keys rotate; want its API key's, which is %s (the same secret)", got, own)
		}
		if res := mustRevalidate(t, c, bucketID, api.RevalidateBucketRequest{}); !res.Success || res.Status != api.ONLINE {
			t.Errorf("re-validating the bucket through the API key with only k2 = %+v; want success and ONLINE", res)
		}
		if err := b.servers[0].Stop(); err != nil {
			t.Errorf("stop the server with the new ring: %v\nstderr:\n%s", err, b.servers[0].Stderr.String())
		}
		wantKeyValues(t, b.keyStatus(t, k2), "k2", 1, map[string]int{"k2": 4})

		b.wantNoSecretInKeysOutput(t, rotation.stdout, table.stdout)
	})
}

// keyUsageOf returns what keys status says of one key.
func keyUsageOf(s keyStatusOutput, keyID string) (usage struct{ Buckets, Credentials, Values int }) {
	for _, k := range s.Keys {
		if k.KeyID == keyID {
			usage.Buckets, usage.Credentials, usage.Values = k.Buckets, k.Credentials, k.Values
		}
	}
	return usage
}
