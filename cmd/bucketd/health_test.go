package main_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// healthInterval is short so the test sees the background job act; a real deployment keeps
// the default of 6 h.
const healthInterval = time.Second

// TestHealthJobMarksRevokedCredentialsOffline revokes a key at the S3 peer and waits for the
// background job, not a request, to turn the bucket OFFLINE, saying why in its statusMessage;
// restoring the key brings it back ONLINE, without a message.
func TestHealthJobMarksRevokedCredentialsOffline(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		b := &backend{dbURL: dbURL, gw: versitygw.Start(t), checker: contracttest.New(t), secrets: &secretSet{}}
		masterKey := randomBase64(32)
		b.secrets.Add("the master key", masterKey)
		b.servers = append(b.servers, startServer(t, b.checker, "",
			"--addr", "127.0.0.1:0", "--database-url", dbURL, "--master-keys", masterKeyID+":"+masterKey,
			"--endpoint-allowlist", "127.0.0.0/8", "--health-interval", healthInterval.String()))
		o := b.bootstrap(t, -1)
		c := b.client(t, o)
		user := b.newGatewayUser(t, "the health-checked user")
		req := b.request(o, "Health checked")
		req.Bucket, req.Key, req.Secret = user.bucket, user.key, user.secret
		id := wantCreated(t, create(t, c, req))

		user.revoke(t, b.gw)
		offline := waitForStatus(t, c, id, api.OFFLINE)
		if m := offline.StatusMessage; m == nil || !strings.Contains(*m, "InvalidAccessKeyId") || !strings.Contains(*m, offline.KeyHint) {
			t.Errorf("the revoked bucket's statusMessage = %v; want the provider's InvalidAccessKeyId for key %s", m, offline.KeyHint)
		}
		user.restore(t, b.gw)
		if online := waitForStatus(t, c, id, api.ONLINE); online.StatusMessage != nil {
			t.Errorf("the bucket ONLINE again still has statusMessage %q", *online.StatusMessage)
		}

		if err := b.servers[0].Stop(); err != nil {
			t.Errorf("server: %v", err)
		}
		log := b.servers[0].Stderr.String()
		if !strings.Contains(log, `"msg":"health round"`) {
			t.Error("the server logged no health round")
		}
		for _, f := range b.secrets.forms() {
			if strings.Contains(log, f.value) {
				t.Errorf("the server's log holds %s", f.label)
			}
		}
	})
}

// waitForStatus polls the bucket until it has status, for at most one interval, plus the
// round period and the validation itself, and returns it as it then is.
func waitForStatus(t *testing.T, c *client.ClientWithResponses, id string, status api.BucketStatus) api.Bucket {
	t.Helper()
	deadline := time.Now().Add(healthInterval + healthInterval/6*2 + 3*time.Second)
	for {
		got := mustGetBucket(t, c, id)
		if got.Status == status {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("bucket status is still %s, want %s from the health job within one interval", got.Status, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
