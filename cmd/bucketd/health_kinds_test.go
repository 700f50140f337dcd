package main_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/fakegcs"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// TestHealthJobMarksBrokenDelegatedCredentialsOffline is the health job re-validating buckets
// through stored credentials that are not long-lived keys, one server configured with the Entra
// and IAM Credentials peers: for an Azure service principal whose client secret the authority
// no longer accepts, an Azure SAS whose stored access policy was removed, and a GCS
// impersonation whose token-creator grant was revoked, the background job, not a request, turns
// the bucket OFFLINE and logs a reason that names the cause; given back the secret, the policy
// or the grant, the bucket comes back ONLINE. Its peers and server are its own, since breaking
// credentials would break other scenarios'; it runs on SQLite only, as the health job's store
// side is TestHealthJobMarksRevokedCredentialsOffline's on both databases.
func TestHealthJobMarksBrokenDelegatedCredentialsOffline(t *testing.T) {
	t.Parallel()
	b := &backend{dbURL: storetest.SQLiteURL(t), checker: contracttest.New(t), secrets: &secretSet{}}
	azure := startAzurePeers(t)
	// Tokens that live less than the validator's cache margin are asked for anew by every
	// validation, so a secret the authority no longer accepts fails the next round, not in an hour.
	azure.authority.SetLifetime(time.Minute)
	google := &cloudPeers{gcs: fakegcs.Start(t)}
	google.gcs.CreateBucket(t, gcsBucket, gcsLocation)
	google.startImpersonation(t, b.secrets)
	b.startHealthChecked(t, []string{azure.ca.SSLCertFileEnv()}, append(google.serverArgs(), "--azure-authority-host", azure.authority.URL)...)
	o := b.bootstrap(t, -1)
	c := b.client(t, o)

	t.Run("Azure service principal", func(t *testing.T) {
		secret, other := "sp-health-"+randomHex(12), "sp-health-new-"+randomHex(12)
		b.secrets.Add("the health-checked client secret", secret)
		b.secrets.Add("the client secret that replaced it", other)
		tenant := randomGUID()
		azure.authority.AddApp(tenant, azClientID, secret)
		name := "sp-health-" + randomHex(4)
		azure.storage.CreateContainer(t, name)
		keyID := mustCreateAPIKey(t, c, api.CreateApiKeyRequest{Provider: "AZURE", Kind: ptr(api.AZURESERVICEPRINCIPAL), TenantId: &tenant,
			Key: azClientID, Secret: &secret, Endpoint: &azure.endpoint, WorkspaceId: o.WorkspaceID})
		// The application's secret is replaced at Entra, the stored one deleted with it.
		wantHealthFollows(t, b.servers[0], c, wantCreated(t, create(t, c, azureByReference(o, name, keyID))), keyID,
			func() { azure.authority.AddApp(tenant, azClientID, other) }, func() { azure.authority.AddApp(tenant, azClientID, secret) },
			"AADSTS7000215")
	})

	t.Run("Azure SAS through a stored access policy", func(t *testing.T) {
		name, policy := "sas-health-"+randomHex(4), "bucketd-health"
		azure.storage.CreateContainer(t, name)
		azure.storage.SetAccessPolicies(t, name, policy)
		token := azure.policySAS(t, name, policy)
		b.secrets.Add("the SAS of the stored access policy", token)
		keyID := mustCreateAPIKey(t, c, api.CreateApiKeyRequest{Provider: "AZURE", Kind: ptr(api.AZURESAS),
			Key: azure.storage.Account, Secret: &token, Endpoint: &azure.endpoint, WorkspaceId: o.WorkspaceID})
		wantHealthFollows(t, b.servers[0], c, wantCreated(t, create(t, c, azureByReference(o, name, keyID))), keyID,
			func() { azure.storage.SetAccessPolicies(t, name) }, func() { azure.storage.SetAccessPolicies(t, name, policy) },
			"did not accept the SAS", "stored access policy that no longer exists")
	})

	t.Run("GCS impersonation", func(t *testing.T) {
		endpoint := google.gcs.URL
		keyID := mustCreateAPIKey(t, c, api.CreateApiKeyRequest{Provider: "GCP", Kind: ptr(api.GCSIMPERSONATION), Key: gcsImpReaderEmail,
			Endpoint: &endpoint, WorkspaceId: o.WorkspaceID})
		req := google.gcsRequest(o, "impersonated, health-checked")
		req.Key, req.Secret, req.Endpoint, req.ApiKeyUuid = "", "", nil, &keyID
		// Revoking the grant leaves the tokens minted before it valid until they expire, as at
		// Google; revoking those too is what makes the next round mint, and be refused.
		revoke := func() {
			google.iam.Revoke(gcsBucketdEmail, gcsImpReaderEmail)
			google.gcs.RevokeTokens(gcsImpReaderEmail)
		}
		wantHealthFollows(t, b.servers[0], c, wantCreated(t, create(t, c, req)), keyID,
			revoke, func() { google.iam.Allow(gcsBucketdEmail, gcsImpReaderEmail) },
			"grant roles/iam.serviceAccountTokenCreator", gcsBucketdEmail)
	})

	if err := b.servers[0].Stop(); err != nil {
		t.Errorf("server: %v", err)
	}
	b.wantNoSecretLoggedOrAnswered(t)
}

// wantHealthFollows wants bucket id, registered through credential keyID, ONLINE; after
// breaking its credential at the provider, OFFLINE by the health job's hand with a logged
// reason and a statusMessage that each say every one of why; after restoring it, ONLINE again
// with no message.
func wantHealthFollows(t *testing.T, s *server, c *client.ClientWithResponses, id, keyID string, breaking, restoring func(), why ...string) {
	t.Helper()
	wantOnlineByReference(t, c, id, keyID)
	breaking()
	offline := waitForStatus(t, c, id, api.OFFLINE)
	wantOfflineLogged(t, s, id, why...)
	for _, w := range why {
		if offline.StatusMessage == nil || !strings.Contains(*offline.StatusMessage, w) {
			t.Errorf("the OFFLINE bucket's statusMessage is %v; want it to say %q", offline.StatusMessage, w)
		}
	}
	restoring()
	if online := waitForStatus(t, c, id, api.ONLINE); online.StatusMessage != nil {
		t.Errorf("the bucket back ONLINE still has statusMessage %q", *online.StatusMessage)
	}
}
