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
		b.startHealthChecked(t, nil)
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
		if !strings.Contains(b.servers[0].Stderr.String(), `"msg":"health round"`) {
			t.Error("the server logged no health round")
		}
		b.wantNoSecretLoggedOrAnswered(t)
	})
}

// startHealthChecked starts a server on the backend's database with a new master key and a
// health job every healthInterval, with env added to its environment and args to its flags.
func (b *backend) startHealthChecked(t *testing.T, env []string, args ...string) {
	t.Helper()
	masterKey := randomBase64(32)
	b.secrets.Add("the master key", masterKey)
	b.servers = append(b.servers, startServerWithEnv(t, b.checker, "", env, append([]string{
		"--addr", "127.0.0.1:0", "--database-url", b.dbURL, "--master-keys", masterKeyID + ":" + masterKey,
		"--endpoint-allowlist", "127.0.0.0/8", "--health-interval", healthInterval.String()}, args...)...))
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

// wantOfflineLogged wants the server's last "bucket offline" log line of bucket id to give a
// reason with every one of words, which name the cause.
func wantOfflineLogged(t *testing.T, s *server, id string, words ...string) {
	t.Helper()
	offline := ""
	for line := range strings.Lines(s.Stderr.String()) {
		if strings.Contains(line, `"msg":"bucket offline"`) && strings.Contains(line, id) {
			offline = line
		}
	}
	if offline == "" {
		t.Errorf("the server logged no \"bucket offline\" line of bucket %s", id)
		return
	}
	for _, w := range words {
		if !strings.Contains(offline, w) {
			t.Errorf("the server's log says of bucket %s going OFFLINE %q; want a reason that says %q", id, offline, w)
		}
	}
}
