package main_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// TestHealthJobMarksExpiredSessionCredentialsOffline registers temporary AWS credentials as an
// API key (expired ones are refused, saying so), a bucket uses them, and the STS peer then expires their token: the background job,
// not a request, turns the bucket OFFLINE and logs that the temporary credentials expired;
// rotating the key to fresh session credentials brings the bucket back ONLINE. It has an STS
// peer and a server of its own, since expiring tokens would break every other scenario's; it
// runs on SQLite only, as the health job's store side is TestHealthJobMarksRevokedCredentialsOffline's
// on both databases.
func TestHealthJobMarksExpiredSessionCredentialsOffline(t *testing.T) {
	t.Parallel()
	dbURL := storetest.SQLiteURL(t)
	b := &backend{dbURL: dbURL, gw: versitygw.Start(t), checker: contracttest.New(t), secrets: &secretSet{}}
	b.gw.CreateBucket(t, providerBucket)
	b.secrets.Add("the gateway root's secret", b.gw.RootSecret)
	peer, awsArgs, awsEnv := startSTS(t, b.gw, b.secrets)
	b.startHealthChecked(t, awsEnv, awsArgs...)
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	session := func(ttl time.Duration) *string {
		token := peer.Session(b.gw.RootKey, b.gw.RootSecret, ttl)
		b.secrets.Add("a session token", token)
		return &token
	}
	endpoint := peer.S3URL
	register := api.CreateApiKeyRequest{Provider: "AWS", Kind: ptr(api.AWSSESSION), Key: b.gw.RootKey,
		Secret: &b.gw.RootSecret, SessionToken: session(time.Hour), Endpoint: &endpoint, Region: ptr[api.Region](versitygw.Region),
		WorkspaceId: o.WorkspaceID}
	keyID := mustCreateAPIKey(t, c, register)
	stale := register
	stale.SessionToken = session(-time.Minute)
	expired, err := c.CreateApiKeyWithResponse(t.Context(), stale)
	if err != nil || expired.JSON400 == nil || expired.JSON400.Code != "INVALID_CREDENTIALS" || !strings.Contains(expired.JSON400.Message, "expired") {
		t.Errorf("POST /apikeys with expired session credentials = %v %s; want 400 INVALID_CREDENTIALS saying they expired", err, bodyOf(expired))
	}
	req := b.request(o, "Temporary credentials")
	req.Key, req.Secret, req.Endpoint, req.ApiKeyUuid = "", "", nil, &keyID
	id := wantCreated(t, create(t, c, req))
	wantOnlineByReference(t, c, id, keyID)

	peer.ExpireSessions()
	waitForStatus(t, c, id, api.OFFLINE)
	wantOfflineLogged(t, b.servers[0], id, "temporary credentials", "expired")

	rotated, err := c.UpdateApiKeyWithResponse(t.Context(), keyID, api.UpdateApiKeyRequest{SessionToken: session(time.Hour)})
	if err != nil || rotated.JSON200 == nil {
		t.Fatalf("PUT /apikeys with fresh session credentials = %v %s", err, bodyOf(rotated))
	}
	waitForStatus(t, c, id, api.ONLINE)

	if err := b.servers[0].Stop(); err != nil {
		t.Errorf("server: %v", err)
	}
	b.wantNoSecretLoggedOrAnswered(t)
}
