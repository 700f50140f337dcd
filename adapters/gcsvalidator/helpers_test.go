package gcsvalidator

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/fakegcs"
	"github.com/bucketd/bucketd/testsupport/logcapture"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// Service accounts of the test peer and what each may do on every bucket.
const (
	readerEmail    = "reader@bucketd-test.iam.gserviceaccount.com"
	writerEmail    = "writer@bucketd-test.iam.gserviceaccount.com"
	noListEmail    = "no-list@bucketd-test.iam.gserviceaccount.com"
	noBucketEmail  = "no-bucket-get@bucketd-test.iam.gserviceaccount.com"
	strangerEmail  = "stranger@bucketd-test.iam.gserviceaccount.com"
	disabledEmail  = "disabled-key@bucketd-test.iam.gserviceaccount.com"
	deletedEmail   = "deleted-key@bucketd-test.iam.gserviceaccount.com"
	unknownEmail   = "ghost@bucketd-test.iam.gserviceaccount.com"
	bucketLocation = "US-EAST1"
)

var (
	readerPermissions = []string{"storage.buckets.get", "storage.objects.list", "storage.objects.get"}
	writerPermissions = append(slices.Clone(readerPermissions), "storage.objects.create", "storage.objects.delete")
)

// peer is a fake GCS with the buckets and service accounts the tests expect.
type peer struct {
	*fakegcs.Server
	// keys and keyFiles hold each account's PEM private key and JSON key file, by email.
	keys, keyFiles map[string]string
}

func startPeer(t testing.TB) peer {
	t.Helper()
	p := peer{Server: fakegcs.Start(t), keys: map[string]string{}, keyFiles: map[string]string{}}
	for email, perms := range map[string][]string{
		readerEmail:   readerPermissions,
		writerEmail:   writerPermissions,
		noListEmail:   {"storage.buckets.get", "storage.objects.get"},
		noBucketEmail: {"storage.objects.list", "storage.objects.get"},
		strangerEmail: readerPermissions,
		disabledEmail: readerPermissions,
		deletedEmail:  readerPermissions,
	} {
		p.keys[email], p.keyFiles[email] = p.NewServiceAccount(t, email, perms...)
	}
	p.DisableKey(t, disabledEmail)
	p.DeleteKey(t, deletedEmail)
	p.CreateBucket(t, "empty-bucket", bucketLocation)
	p.CreateBucket(t, "full-bucket", bucketLocation)
	p.PutObject(t, "full-bucket", "reports/2025/q1.csv", []byte("a,b\n1,2\n"))
	p.CreateBucket(t, "eu-bucket", "EU")
	return p
}

// keyListPath is the path of the key list of email on the peer, as its request log shows it.
func (p peer) keyListPath(email string) string {
	return strings.TrimPrefix(p.CertsURL, p.URL) + email
}

// target is a GCS target on the peer, in the region the peer's buckets report but spelt in
// lowercase, as users write it.
func (p peer) target(bucket, key, secret string) domain.ValidationTarget {
	return gcsTarget(p.URL, bucket, key, secret)
}

// credentialForm is one way a caller gives a service account's key, and so one way the
// validator authenticates: a JSON key file names its key, so the API gets a self-signed JWT; a
// bare PEM key does not, so it is traded for an access token first.
type credentialForm struct {
	name string
	// selfSigned is set when the validator sends a self-signed JWT, without a token exchange.
	selfSigned bool
	// credentials returns the key and secret of the account's key in this form.
	credentials func(p peer, email string) (key, secret string)
}

var (
	keyFileForm = credentialForm{"key file", true, func(p peer, email string) (string, string) { return "", p.keyFiles[email] }}
	pemForm     = credentialForm{"PEM key", false, func(p peer, email string) (string, string) { return email, p.keys[email] }}
	forms       = []credentialForm{keyFileForm, pemForm}
)

// targetAs is a target on the peer with the account's credentials in form.
func (p peer) targetAs(form credentialForm, bucket, email string) domain.ValidationTarget {
	key, secret := form.credentials(p, email)
	return p.target(bucket, key, secret)
}

// editedKeyFile returns the JSON key file of email with field set to value.
func (p peer) editedKeyFile(t testing.TB, email, field, value string) string {
	t.Helper()
	var file map[string]string
	if err := json.Unmarshal([]byte(p.keyFiles[email]), &file); err != nil {
		t.Fatalf("key file of %s: %v", email, err)
	}
	file[field] = value
	edited, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(edited)
}

func gcsTarget(endpoint, bucket, key, secret string) domain.ValidationTarget {
	return domain.ValidationTarget{
		StorageType: domain.StorageGCS,
		Bucket:      bucket,
		Region:      strings.ToLower(bucketLocation),
		Endpoint:    endpoint,
		Credentials: domain.Credentials{Key: domain.NewSecret(key), Secret: domain.NewSecret(secret)},
		Mode:        domain.ValidateReadOnly,
	}
}

// guardedClient is the production client over a dialer with the loopback allow list.
func guardedClient(t testing.TB) *http.Client {
	t.Helper()
	transport := netguard.NewTransport(netguard.NewDialer(providerchecktest.LoopbackAllowList(t)))
	t.Cleanup(transport.CloseIdleConnections)
	return netguard.NewClient(transport)
}

// harness is a validator wired as production wires it, with its debug log captured.
type harness struct {
	v   *Validator
	log *logcapture.Buffer
}

// newHarness builds a validator whose tokens come from tokenURL; modify adjusts the config.
// Its key lists are at a closed port, so a bare PEM key's id is never found: every validation
// of one takes the token exchange, as the tests of that path need. p.harness gives the
// peer's key lists instead.
func newHarness(t testing.TB, tokenURL string, modify func(*Config)) harness {
	t.Helper()
	log := &logcapture.Buffer{}
	cfg := Config{
		HTTPClient: guardedClient(t),
		AllowList:  providerchecktest.LoopbackAllowList(t),
		TokenURL:   tokenURL,
		CertsURL:   providerchecktest.ClosedPortURL(t) + "/jwk/",
		Logger:     log.Logger(),
	}
	if modify != nil {
		modify(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return harness{v: v, log: log}
}

// harness builds a validator wired to the peer: its token endpoint and its key lists, so a
// bare PEM key's id is looked up and remembered as in production.
func (p peer) harness(t testing.TB, modify func(*Config)) harness {
	t.Helper()
	return newHarness(t, p.TokenURL, func(cfg *Config) {
		cfg.CertsURL = p.CertsURL
		if modify != nil {
			modify(cfg)
		}
	})
}

// validate runs the validator, waits for the key id lookup it may have started (so what
// follows sees the cache as the validation left it, and the log complete), and proves that
// neither the secret (whole, or any line of it) nor the full key shows up in the error, the
// report or the log.
func (h harness) validate(t *testing.T, target domain.ValidationTarget) (domain.ValidationReport, error) {
	t.Helper()
	report, err := h.v.Validate(context.Background(), target)
	h.v.lookups.Wait()
	providerchecktest.WantNoLeak(t, report, err, h.log.String(), secretParts(target.Credentials)...)
	return report, err
}

// cachedKeyID returns the key id the validator remembers for the bare PEM key of target.
func (h harness) cachedKeyID(t testing.TB, target domain.ValidationTarget) (string, bool) {
	t.Helper()
	sa, err := parseServiceAccount(target.Credentials)
	if err != nil {
		t.Fatalf("credentials of the target: %v", err)
	}
	ref, err := refOf(sa)
	if err != nil {
		t.Fatal(err)
	}
	return h.v.keyIDs.get(ref)
}

// forgetKeyIDs empties the validator's key id cache.
func (h harness) forgetKeyIDs() {
	h.v.lookups.Wait()
	h.v.keyIDs.mu.Lock()
	defer h.v.keyIDs.mu.Unlock()
	clear(h.v.keyIDs.ids)
}

// secretParts are the texts that must never be shown: the key, the secret, and every line of
// the secret long enough to be key material (a PEM body line, a JSON field).
func secretParts(c domain.Credentials) []string {
	parts := []string{c.Key.Reveal(), c.Secret.Reveal()}
	for _, line := range strings.FieldsFunc(c.Secret.Reveal(), func(r rune) bool { return r == '\n' || r == '"' }) {
		for _, part := range strings.Split(line, `\n`) {
			if len(part) >= 24 && !strings.Contains(part, "-----") && !strings.Contains(part, "@") && !strings.Contains(part, "http") {
				parts = append(parts, part)
			}
		}
	}
	return slices.DeleteFunc(parts, func(p string) bool { return p == "" })
}
