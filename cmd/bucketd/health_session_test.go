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
// API key (expired ones are refused, saying so), a bucket uses them, and the STS peer then
// expires their token: the background job, not a request, turns the bucket OFFLINE, and both
// the bucket's statusMessage and the server's log say that its temporary credentials expired; a
// re-validation of the stored values finds and records the same. Rotating the key to fresh
// session credentials, which validates the bucket with them, brings it back ONLINE without a
// message, and a re-validation then agrees. It has an STS peer and a server of its own, since
// expiring tokens would break every other scenario's; it runs on SQLite only, as the health
// job's store side is TestHealthJobMarksRevokedCredentialsOffline's on both databases.
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
	offline := waitForStatus(t, c, id, api.OFFLINE)
	wantExpiredSessionMessage(t, "the health job's", offline)
	wantOfflineLogged(t, b.servers[0], id, "temporary credentials", "expired")
	rechecked := mustRevalidate(t, c, id, api.RevalidateBucketRequest{})
	wantFailedRevalidation(t, rechecked, "INVALID_CREDENTIALS", api.OFFLINE)
	stillOffline := wantStatusMoved(t, c, id, api.OFFLINE, offline.LastStatusAt)
	wantExpiredSessionMessage(t, "the re-validation's", stillOffline)
	if *stillOffline.StatusMessage != rechecked.Message {
		t.Errorf("statusMessage after the re-validation = %q; want its answer's message %q", *stillOffline.StatusMessage, rechecked.Message)
	}

	rotated, err := c.UpdateApiKeyWithResponse(t.Context(), keyID, api.UpdateApiKeyRequest{SessionToken: session(time.Hour)})
	if err != nil || rotated.JSON200 == nil {
		t.Fatalf("PUT /apikeys with fresh session credentials = %v %s", err, bodyOf(rotated))
	}
	if online := wantStatusMoved(t, c, id, api.ONLINE, stillOffline.LastStatusAt); online.StatusMessage != nil {
		t.Errorf("the bucket ONLINE with rotated credentials still has statusMessage %q", *online.StatusMessage)
	}
	if res := mustRevalidate(t, c, id, api.RevalidateBucketRequest{}); !res.Success || res.Status != api.ONLINE {
		t.Errorf("re-validation after the rotation = %+v; want success and ONLINE", res)
	}
	if online := mustGetBucket(t, c, id); online.Status != api.ONLINE || online.StatusMessage != nil {
		t.Errorf("after a passing re-validation the bucket is %s with statusMessage %v; want ONLINE and none", online.Status, online.StatusMessage)
	}

	if err := b.servers[0].Stop(); err != nil {
		t.Errorf("server: %v", err)
	}
	b.wantNoSecretLoggedOrAnswered(t)
}

// wantExpiredSessionMessage wants the OFFLINE bucket to say that its temporary credentials
// expired, naming the key by its hint, in the words of the validation that found it.
func wantExpiredSessionMessage(t *testing.T, whose string, offline api.Bucket) {
	t.Helper()
	m := offline.StatusMessage
	if m == nil || !strings.Contains(*m, "temporary credentials of key "+offline.KeyHint+" expired (ExpiredToken)") {
		t.Errorf("%s statusMessage = %v; want that the temporary credentials of key %s expired (ExpiredToken)", whose, m, offline.KeyHint)
	}
}
