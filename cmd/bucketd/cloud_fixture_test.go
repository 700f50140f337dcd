package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/fakegcs"
	"github.com/bucketd/bucketd/testsupport/iampeer"
)

// Provider-side names of the GCS and Azure scenarios.
const (
	gcsBucket      = "e2e-gcs-bucket"
	gcsLocation    = "US-EAST1"
	gcsReaderEmail = "e2e-reader@bucketd-e2e.iam.gserviceaccount.com"
	// gcsNoListEmail may see the bucket but not list its objects: a real ACCESS_DENIED.
	gcsNoListEmail = "e2e-no-list@bucketd-e2e.iam.gserviceaccount.com"
	// gcsStrangerEmail exists only so its private key is a well-formed wrong key for the reader.
	gcsStrangerEmail = "e2e-stranger@bucketd-e2e.iam.gserviceaccount.com"
	// gcsRevokedEmail may read the bucket, but its only key was deleted.
	gcsRevokedEmail = "e2e-revoked@bucketd-e2e.iam.gserviceaccount.com"
	gcsUnknownEmail = "e2e-ghost@bucketd-e2e.iam.gserviceaccount.com"
	// gcsBucketdEmail is bucketd's own Google identity (--gcs-identity-file); it may impersonate
	// gcsImpReaderEmail, a keyless reader, and not gcsImpStrangerEmail, another.
	gcsBucketdEmail     = "bucketd@e2e-operator.iam.gserviceaccount.com"
	gcsImpReaderEmail   = "e2e-imp-reader@bucketd-e2e.iam.gserviceaccount.com"
	gcsImpStrangerEmail = "e2e-imp-stranger@bucketd-e2e.iam.gserviceaccount.com"
	// gcsSecondBucket is a second bucket the impersonated reader may read.
	gcsSecondBucket = "e2e-gcs-second-bucket"
	azureContainer  = "e2e-container"
	// azureProbeContainer is written to only by the readwrite dry run, so it can prove the
	// probe blob is gone afterwards while other scenarios read azureContainer.
	azureProbeContainer = "e2e-probe-container"
)

// gcsReadPermissions are what a bucket reader needs, bucket metadata included.
var gcsReadPermissions = []string{"storage.buckets.get", "storage.objects.list", "storage.objects.get"}

// gcsAccount is a service account registered with the fake GCS.
type gcsAccount struct {
	email, privateKey, keyFile string
}

// cloudPeers are the GCS and Azure stand-ins of one backend: a fake GCS in this process and an
// Azurite emulator, both on 127.0.0.1, which the servers reach through the allow-list.
type cloudPeers struct {
	gcs                               *fakegcs.Server
	reader, noList, stranger, revoked gcsAccount
	// iam mints tokens of the accounts bucketd impersonates; identityFile is bucketd's own key.
	iam                     *iampeer.Peer
	identityFile            string
	azure                   *azurite.Server
	azureKey, wrongAzureKey string
}

// startCloudPeers starts the peers with the buckets, containers and accounts the scenarios
// expect, and records every credential they hand out in secrets, so the leak checks search
// the database and the logs for them.
func startCloudPeers(t *testing.T, secrets *secretSet) *cloudPeers {
	t.Helper()
	p := &cloudPeers{gcs: fakegcs.Start(t), azure: azurite.Start(t)}
	p.gcs.CreateBucket(t, gcsBucket, gcsLocation)
	p.reader = p.newGCSAccount(t, secrets, gcsReaderEmail, gcsReadPermissions...)
	p.noList = p.newGCSAccount(t, secrets, gcsNoListEmail, "storage.buckets.get", "storage.objects.get")
	p.stranger = p.newGCSAccount(t, secrets, gcsStrangerEmail, gcsReadPermissions...)
	p.revoked = p.newGCSAccount(t, secrets, gcsRevokedEmail, gcsReadPermissions...)
	p.gcs.DeleteKey(t, gcsRevokedEmail)
	p.startImpersonation(t, secrets)
	p.azure.CreateContainer(t, azureContainer)
	p.azure.CreateContainer(t, azureProbeContainer)
	p.azureKey, p.wrongAzureKey = p.azure.Key, randomBase64(64)
	secrets.Add("the Azure account key", p.azureKey)
	secrets.Add("the wrong Azure account key", p.wrongAzureKey)
	return p
}

// newGCSAccount registers a service account and records its private key and key file, with
// every form of them a JSON log line or a careless program would show.
func (p *cloudPeers) newGCSAccount(t *testing.T, secrets *secretSet, email string, permissions ...string) gcsAccount {
	t.Helper()
	pemKey, keyFile := p.gcs.NewServiceAccount(t, email, permissions...)
	addPrivateKey(t, secrets, "the private key of "+email, pemKey)
	secrets.Add("the JSON key file of "+email, keyFile)
	return gcsAccount{email: email, privateKey: pemKey, keyFile: keyFile}
}

// startImpersonation gives bucketd a Google identity of its own, in a key file only its user
// may read, and an IAM Credentials peer that lets it impersonate the keyless reader.
func (p *cloudPeers) startImpersonation(t *testing.T, secrets *secretSet) {
	t.Helper()
	p.gcs.CreateBucket(t, gcsSecondBucket, gcsLocation)
	own := p.newGCSAccount(t, secrets, gcsBucketdEmail)
	p.gcs.NewKeylessServiceAccount(t, gcsImpReaderEmail, gcsReadPermissions...)
	p.gcs.NewKeylessServiceAccount(t, gcsImpStrangerEmail, gcsReadPermissions...)
	p.iam = iampeer.Start(t, p.gcs)
	p.iam.Allow(gcsBucketdEmail, gcsImpReaderEmail)
	p.identityFile = filepath.Join(t.TempDir(), "bucketd-identity.json")
	if err := os.WriteFile(p.identityFile, []byte(own.keyFile), 0o600); err != nil {
		t.Fatal(err)
	}
}

// addPrivateKey records a PEM private key whole, JSON-escaped (as a JSON log line would carry
// it), and line by line: any single line of its body gives away part of the key.
func addPrivateKey(t *testing.T, secrets *secretSet, label, pemKey string) {
	t.Helper()
	secrets.Add(label, pemKey)
	escaped, err := json.Marshal(pemKey)
	if err != nil {
		t.Fatalf("escape %s: %v", label, err)
	}
	secrets.Add(label+" (JSON-escaped)", strings.Trim(string(escaped), `"`))
	lines := 0
	for line := range strings.Lines(pemKey) {
		if line = strings.TrimSpace(line); len(line) >= 24 && !strings.HasPrefix(line, "-----") {
			secrets.Add(label+" (a line of its body)", line)
			lines++
		}
	}
	if lines == 0 {
		t.Fatalf("%s has no body lines to search for", label)
	}
}

// serverArgs point a bucketd server's GCS token exchange (which bare PEM keys need) and its
// key id lookups (the service accounts' public key lists) at the fake, and its default GCS API
// endpoint too, so a GCS request without an endpoint also stays on 127.0.0.1; and give it its
// own Google identity, which mints impersonated tokens at the IAM peer.
func (p *cloudPeers) serverArgs() []string {
	return []string{"--gcs-token-url", p.gcs.TokenURL, "--gcs-certs-url", p.gcs.CertsURL, "--gcs-endpoint", p.gcs.URL,
		"--gcs-identity-file", p.identityFile, "--gcs-iam-endpoint", p.iam.URL}
}

// gcsRequest is a create request that succeeds: the reader's client email and PEM private key
// on the fake's bucket, the location spelt in lowercase as users write it.
func (p *cloudPeers) gcsRequest(o org, name string) api.CreateBucketRequest {
	endpoint := p.gcs.URL
	return api.CreateBucketRequest{
		Name:        name,
		Bucket:      gcsBucket,
		StorageType: api.StorageTypeGCS,
		Key:         p.reader.email,
		Secret:      p.reader.privateKey,
		Region:      ptr(api.Region(strings.ToLower(gcsLocation))),
		Endpoint:    &endpoint,
		WorkspaceId: o.WorkspaceID,
	}
}

// azureRequest is a create request that succeeds: the emulator's account and key on an
// existing container. Azure does not report an account's location, so any region passes.
func (p *cloudPeers) azureRequest(o org, name string) api.CreateBucketRequest {
	endpoint := p.azure.URL
	return api.CreateBucketRequest{
		Name:        name,
		Bucket:      azureContainer,
		StorageType: api.StorageTypeAZURE,
		Key:         p.azure.Account,
		Secret:      p.azureKey,
		Region:      ptr[api.Region]("eastus"),
		Endpoint:    &endpoint,
		WorkspaceId: o.WorkspaceID,
	}
}

// dryRun is the validate request with the same body as req, without name and workspace.
func dryRun(req api.CreateBucketRequest) api.ValidateBucketRequest {
	return api.ValidateBucketRequest{
		Bucket:      req.Bucket,
		StorageType: req.StorageType,
		Key:         req.Key,
		Secret:      req.Secret,
		Region:      req.Region,
		Endpoint:    req.Endpoint,
		Validation:  req.Validation,
	}
}
