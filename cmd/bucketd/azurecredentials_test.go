package main_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/entrapeer"
	"github.com/bucketd/bucketd/testsupport/storetest"
	"github.com/bucketd/bucketd/testsupport/testca"
)

// The Entra applications of the Azure credential scenarios: the bucket owner's, and one the
// storage account gives no role on its containers. Each backend registers them in a tenant of
// its own, so backends that share the authority do not replace each other's secrets.
const (
	azClientID    = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
	azNoRoleAppID = "9f8e7d6c-5b4a-4398-8776-655443322110"
)

// azurePeers are the Azure stand-ins of the credential scenarios: an Entra token peer and an
// HTTPS Azurite that accepts its tokens, both on the test authority's certificate, which the
// servers trust through SSL_CERT_FILE. Endpoint is the storage account behind a front that
// plays Azure's role checks: the no-role application's tokens are refused every operation.
type azurePeers struct {
	ca        *testca.CA
	authority *entrapeer.Peer
	storage   *azurite.Server
	endpoint  string
}

func startAzurePeers(t *testing.T) *azurePeers {
	t.Helper()
	ca, err := testca.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	storage, err := azurite.RunOAuth(azurite.Binary(t), azurite.OAuth{CertFile: ca.CertFile, KeyFile: ca.KeyFile, Roots: ca.Roots})
	if err != nil {
		t.Fatalf("azurite: %v", err)
	}
	t.Cleanup(storage.Close)
	p := &azurePeers{ca: ca, authority: entrapeer.Start(t, ca.ServerConfig()), storage: storage}
	p.endpoint = p.roleFront(t) + "/" + storage.Account
	return p
}

// roleFront serves Azure's answer to a token without a role assignment, 403
// AuthorizationPermissionMismatch, to the no-role application, which Azurite's basic OAuth
// never sends (it knows no roles), and passes every other request on.
func (p *azurePeers) roleFront(t *testing.T) string {
	t.Helper()
	target, err := url.Parse(p.storage.URL)
	if err != nil {
		t.Fatal(err)
	}
	next := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.ca.Roots, MinVersion: tls.VersionTLS12}}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if claims, err := entrapeer.ParseClaims(token); bearer && err == nil && claims.AppID == azNoRoleAppID {
			w.Header().Set("x-ms-error-code", "AuthorizationPermissionMismatch")
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code>` +
				`<Message>This request is not authorized to perform this operation using this permission.</Message></Error>`))
			return
		}
		next.ServeHTTP(w, r)
	}))
	srv.TLS = p.ca.ServerConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// containerSAS signs a read-and-list SAS for one container with the emulator's account key.
func (p *azurePeers) containerSAS(t *testing.T, name string) string {
	t.Helper()
	perms := sas.ContainerPermissions{Read: true, List: true}
	return p.signSAS(t, sas.BlobSignatureValues{Version: "2021-12-02", Protocol: sas.ProtocolHTTPS, ExpiryTime: time.Now().Add(time.Hour),
		Permissions: perms.String(), ContainerName: name})
}

// policySAS signs a SAS for one container through its stored access policy id, which holds the
// SAS's window and permissions: removing the policy revokes it.
func (p *azurePeers) policySAS(t *testing.T, name, id string) string {
	t.Helper()
	return p.signSAS(t, sas.BlobSignatureValues{Version: "2021-12-02", Protocol: sas.ProtocolHTTPS, ContainerName: name, Identifier: id})
}

// signSAS signs values with the emulator's account key and returns the SAS token.
func (p *azurePeers) signSAS(t *testing.T, values sas.BlobSignatureValues) string {
	t.Helper()
	cred, err := container.NewSharedKeyCredential(p.storage.Account, p.storage.Key)
	if err != nil {
		t.Fatal(err)
	}
	q, err := values.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	return q.Encode()
}

// TestAzureCredentials drives stored Azure credentials through the real binary, configured
// with the Entra peer as its authority host, on SQLite and PostgreSQL: a service principal
// registered once, used by two containers' buckets, refused a wrong client secret and another
// application without a role (nothing changed), rotated to a new secret (both follow), not
// deleted while in use; and a container SAS used by a bucket of its container only.
func TestAzureCredentials(t *testing.T) {
	peers := startAzurePeers(t)
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		b := &backend{dbURL: dbURL, checker: contracttest.New(t), secrets: &secretSet{}}
		masterKey := randomBase64(32)
		b.secrets.Add("the master key", masterKey)
		b.servers = []*server{startServerWithEnv(t, b.checker, "", []string{peers.ca.SSLCertFileEnv()},
			"--addr", "127.0.0.1:0", "--database-url", dbURL, "--master-keys", masterKeyID+":"+masterKey,
			"--endpoint-allowlist", "127.0.0.0/8", "--rate-limit", "0", "--azure-authority-host", peers.authority.URL)}
		t.Run("service principal", func(t *testing.T) { testAzureServicePrincipalKey(t, b, peers) })
		t.Run("container SAS", func(t *testing.T) { testAzureSASKey(t, b, peers) })
		if err := b.servers[0].Stop(); err != nil {
			t.Errorf("server: %v\nstderr:\n%s", err, b.servers[0].Stderr.String())
		}
		t.Run("no plaintext secret in the database", func(t *testing.T) { testNoSecretInDatabase(t, b) })
		t.Run("no secret in the log or an answer", b.wantNoSecretLoggedOrAnswered)
	})
}

func testAzureServicePrincipalKey(t *testing.T, b *backend, peers *azurePeers) {
	secret, newSecret, noRoleSecret, wrong := "sp-secret-"+randomHex(12), "sp-new-secret-"+randomHex(12), "sp-no-role-"+randomHex(12), "sp-wrong-"+randomHex(12)
	for label, s := range map[string]string{"the client secret": secret, "the new client secret": newSecret,
		"the no-role application's secret": noRoleSecret, "a wrong client secret": wrong} {
		b.secrets.Add(label, s)
	}
	azTenant := randomGUID()
	peers.authority.AddApp(azTenant, azClientID, secret)
	peers.authority.AddApp(azTenant, azNoRoleAppID, noRoleSecret)
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	// Flashback's shape, which has no kind: provider AZURE with a tenantId is a service principal.
	created, err := c.CreateApiKeyWithResponse(t.Context(), api.CreateApiKeyRequest{Provider: "AZURE", TenantId: ptr(azTenant),
		Key: azClientID, Secret: &secret, Endpoint: &peers.endpoint, WorkspaceId: o.WorkspaceID})
	if err != nil || created.JSON200 == nil {
		t.Fatalf("POST /apikeys of a service principal = %v %s", err, bodyOf(created))
	}
	keyID := created.JSON200.ApiKeyId
	kind := api.AZURESERVICEPRINCIPAL
	if res, err := c.CreateApiKeyWithResponse(t.Context(), api.CreateApiKeyRequest{Provider: "AZURE", Kind: &kind, TenantId: ptr(azTenant),
		Key: azClientID, Secret: &wrong, Endpoint: &peers.endpoint, WorkspaceId: o.WorkspaceID}); err != nil || res.JSON400 == nil ||
		res.JSON400.Code != "INVALID_CREDENTIALS" || !strings.Contains(res.JSON400.Message, "AADSTS7000215") {
		t.Errorf("POST /apikeys with a wrong client secret = %v %s; want 400 INVALID_CREDENTIALS from the authority", err, bodyOf(res))
	}

	ids := map[string]string{}
	for _, name := range []string{"sp-first-" + randomHex(4), "sp-second-" + randomHex(4)} {
		peers.storage.CreateContainer(t, name)
		ids[name] = wantCreated(t, create(t, c, azureByReference(o, name, keyID)))
		wantOnlineByReference(t, c, ids[name], keyID)
	}

	// A wrong client secret fails at the authority, before any bucket is tried: nothing changes.
	res, err := c.UpdateApiKeyWithResponse(t.Context(), keyID, api.UpdateApiKeyRequest{Secret: &wrong})
	if err != nil || res.JSON400 == nil || res.JSON400.Code != "INVALID_CREDENTIALS" || !strings.Contains(res.JSON400.Message, "AADSTS7000215") {
		t.Errorf("a rotation to a wrong client secret = %v %s; want 400 INVALID_CREDENTIALS from the authority", err, bodyOf(res))
	}
	// Another application authenticates, but has no role on the containers: refused, naming both.
	res, err = c.UpdateApiKeyWithResponse(t.Context(), keyID, api.UpdateApiKeyRequest{Key: ptr(azNoRoleAppID), Secret: &noRoleSecret})
	if err != nil || res.JSON409 == nil || res.JSON409.Code != "ROTATION_REFUSED" || res.JSON409.FailedBuckets == nil || len(*res.JSON409.FailedBuckets) != 2 {
		t.Fatalf("a rotation to an application without a role = %v %s; want 409 ROTATION_REFUSED naming both buckets", err, bodyOf(res))
	}
	for _, id := range ids {
		if !strings.Contains(res.JSON409.Message, id) || !strings.Contains(res.JSON409.Message, "AuthorizationPermissionMismatch") {
			t.Errorf("the refusal %q does not name bucket %s and the missing role", res.JSON409.Message, id)
		}
	}
	wantAzureBuckets(t, c, ids, 1)

	// A new client secret of the same application: both buckets follow.
	peers.authority.AddApp(azTenant, azClientID, newSecret)
	if res, err := c.UpdateApiKeyWithResponse(t.Context(), keyID, api.UpdateApiKeyRequest{Secret: &newSecret}); err != nil || res.JSON200 == nil {
		t.Fatalf("a rotation to the new client secret = %v %s", err, bodyOf(res))
	}
	wantAzureBuckets(t, c, ids, 2)

	wantInUse(t, c, keyID, 2)
}

// wantAzureBuckets wants every bucket at secret version and ONLINE when revalidated.
func wantAzureBuckets(t *testing.T, c *client.ClientWithResponses, ids map[string]string, version int64) {
	t.Helper()
	for _, id := range ids {
		if got := mustGetBucket(t, c, id); got.SecretVersion != version {
			t.Errorf("bucket %s is at secret version %d, want %d", id, got.SecretVersion, version)
		}
		if res := mustRevalidate(t, c, id, api.RevalidateBucketRequest{}); !res.Success || res.Status != api.ONLINE {
			t.Errorf("bucket %s revalidates as %+v; want ONLINE", id, res)
		}
	}
}

// A container SAS is registered after a check of its form and time window (it cannot be proved
// without its container); Azurite then verifies it for the bucket of its container, and
// refuses it for another container.
func testAzureSASKey(t *testing.T, b *backend, peers *azurePeers) {
	name, other := "sas-"+randomHex(6), "sas-other-"+randomHex(6)
	peers.storage.CreateContainer(t, name)
	peers.storage.CreateContainer(t, other)
	token := peers.containerSAS(t, name)
	b.secrets.Add("the container SAS", token)
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	kind := api.AZURESAS
	keyID := mustCreateAPIKey(t, c, api.CreateApiKeyRequest{Provider: "AZURE", Kind: &kind,
		Key: peers.storage.Account, Secret: &token, Endpoint: &peers.endpoint, WorkspaceId: o.WorkspaceID})
	wantOnlineByReference(t, c, wantCreated(t, create(t, c, azureByReference(o, name, keyID))), keyID)
	wantError(t, create(t, c, azureByReference(o, other, keyID)), http.StatusBadRequest, "INVALID_CREDENTIALS")
}

// azureByReference is a create request for container name through API key keyID.
func azureByReference(o org, name, keyID string) api.CreateBucketRequest {
	return api.CreateBucketRequest{Name: "Azure " + name, Bucket: name, StorageType: api.StorageTypeAZURE, ApiKeyUuid: &keyID,
		WorkspaceId: o.WorkspaceID}
}

// randomGUID is a random GUID, as Entra writes directory ids.
func randomGUID() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
