package gcsvalidator

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck/providerchecktest"
	"github.com/bucketd/bucketd/domain"
)

// allChecks is the status of every check of a passing validation.
var allChecks = map[string]domain.CheckStatus{
	checkConnect: domain.CheckPass, checkAuth: domain.CheckPass, checkBucket: domain.CheckPass,
	checkRegion: domain.CheckPass, checkPermissions: domain.CheckPass,
}

func TestValidateAgainstFakeGCS(t *testing.T) {
	p := startPeer(t)
	h := newHarness(t, p.TokenURL, nil)
	reader := func(bucket string) domain.ValidationTarget { return p.target(bucket, readerEmail, p.keys[readerEmail]) }
	with := func(tg domain.ValidationTarget, change func(*domain.ValidationTarget)) domain.ValidationTarget {
		change(&tg)
		return tg
	}
	readWrite := func(tg *domain.ValidationTarget) { tg.Mode = domain.ValidateReadWrite }
	authFailed := map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckFail,
		checkBucket: domain.CheckSkip, checkRegion: domain.CheckSkip, checkPermissions: domain.CheckSkip}
	refused := map[string]domain.CheckStatus{checkConnect: domain.CheckSkip, checkAuth: domain.CheckFail,
		checkBucket: domain.CheckSkip, checkRegion: domain.CheckSkip, checkPermissions: domain.CheckSkip}

	cases := []struct {
		name   string
		target domain.ValidationTarget
		kind   domain.Kind // KindInternal here means "no error"
		says   []string
		checks map[string]domain.CheckStatus
		code   map[string]string
	}{
		{name: "client email and PEM private key", target: reader("full-bucket"), checks: allChecks},
		{name: "empty bucket", target: reader("empty-bucket"), checks: allChecks},
		{name: "whole service-account JSON with its client email as key",
			target: p.target("full-bucket", readerEmail, p.keyFiles[readerEmail]), checks: allChecks},
		{name: "whole service-account JSON without a key",
			target: p.target("full-bucket", "", p.keyFiles[readerEmail]), checks: allChecks},
		{name: "PEM pasted with literal \\n sequences",
			target: p.target("full-bucket", readerEmail, strings.ReplaceAll(p.keys[readerEmail], "\n", `\n`)), checks: allChecks},
		{name: "PKCS#1 PEM", target: p.target("full-bucket", readerEmail, pkcs1(t, p.keys[readerEmail])), checks: allChecks},
		{
			name: "another account's private key", target: p.target("full-bucket", readerEmail, p.keys[strangerEmail]),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: Google rejected service account read….com",
				"invalid_grant: Invalid JWT Signature.", "check that the private key belongs to this client email"},
			checks: authFailed, code: map[string]string{checkAuth: "invalid_grant"},
		},
		{
			name: "unknown client email", target: p.target("full-bucket", unknownEmail, p.keys[readerEmail]),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: Google rejected service account ghos….com", "account not found"},
			checks: authFailed, code: map[string]string{checkAuth: "invalid_grant"},
		},
		{
			name: "account without storage.objects.list", target: p.target("full-bucket", noListEmail, p.keys[noListEmail]),
			kind: domain.KindAccessDenied, says: []string{"permissions: service account no-l….com lacks storage.objects.list on bucket full-bucket",
				"roles/storage.objectViewer"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkBucket: domain.CheckPass,
				checkRegion: domain.CheckPass, checkPermissions: domain.CheckFail},
		},
		{
			name: "account without storage.buckets.get", target: p.target("full-bucket", noBucketEmail, p.keys[noBucketEmail]),
			kind: domain.KindAccessDenied, says: []string{"bucket: access denied for service account no-b….com on bucket full-bucket",
				"grant storage.buckets.get"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkBucket: domain.CheckFail,
				checkRegion: domain.CheckSkip, checkPermissions: domain.CheckPass},
			code: map[string]string{checkBucket: "forbidden"},
		},
		{
			name: "missing bucket", target: reader("no-such-bucket"),
			kind: domain.KindBucketNotFound, says: []string{"bucket: bucket no-such-bucket does not exist at " + p.URL},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkBucket: domain.CheckFail,
				checkRegion: domain.CheckSkip, checkPermissions: domain.CheckFail},
			code: map[string]string{checkBucket: "notFound"},
		},
		{
			name: "bucket in another location", target: with(reader("eu-bucket"), func(tg *domain.ValidationTarget) { tg.Region = "US-EAST1" }),
			kind: domain.KindRegionMismatch, says: []string{"region: bucket eu-bucket is in EU, not US-EAST1; set region to EU"},
			checks: map[string]domain.CheckStatus{checkBucket: domain.CheckPass, checkRegion: domain.CheckFail, checkPermissions: domain.CheckPass},
		},
		{
			name: "readwrite for an account that may only read", target: with(reader("empty-bucket"), readWrite),
			kind: domain.KindAccessDenied, says: []string{"permissions: service account read….com lacks storage.objects.create, storage.objects.delete",
				"roles/storage.objectUser"},
			checks: map[string]domain.CheckStatus{checkBucket: domain.CheckPass, checkPermissions: domain.CheckFail},
		},
		{
			name:   "readwrite for an account that may write",
			target: with(p.target("empty-bucket", writerEmail, p.keys[writerEmail]), readWrite), checks: allChecks,
		},
		{
			name: "malformed PEM", target: p.target("full-bucket", readerEmail, "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----"),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: secret is not a PEM private key"}, checks: refused,
		},
		{
			name: "PEM with a damaged body", target: p.target("full-bucket", readerEmail, damaged(p.keys[readerEmail])),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: the PEM private key in secret is damaged"}, checks: refused,
		},
		{
			name: "JSON key file of another account", target: p.target("full-bucket", readerEmail, p.keyFiles[writerEmail]),
			kind: domain.KindInvalidInput, says: []string{"authenticate: key read….com does not match the client_email writ….com"},
			checks: refused,
		},
		{
			name: "JSON that is no service-account key", target: p.target("full-bucket", readerEmail, `{"type":"authorized_user","client_secret":"hunter2hunter2hunter2hunter2"}`),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: the JSON in secret is not a service-account key file"},
			checks: refused,
		},
		{
			name: "HMAC access id without an HMAC validator", target: p.target("full-bucket", "GOOG1EXAMPLEHMACACCESSID0123456789", "hmac-secret-value-0123456789"),
			kind: domain.KindInvalidInput, says: []string{"authenticate: key GOOG…6789 is a GCS HMAC access id"}, checks: refused,
		},
		{
			name: "key that is no email", target: p.target("full-bucket", "bucketd-test-project", p.keys[readerEmail]),
			kind: domain.KindInvalidInput, says: []string{"authenticate: key buck…ject is not a service account's client email"}, checks: refused,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			report, err := h.validate(t, c.target)
			providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{Kind: c.kind, Says: c.says, Checks: c.checks, Codes: c.code})
			if c.kind == domain.KindInternal && report.Region != bucketLocation {
				t.Errorf("report region = %q, want %q", report.Region, bucketLocation)
			}
			if len(report.Checks) != 5 {
				t.Errorf("report has %d checks, want 5: %+v", len(report.Checks), report.Checks)
			}
		})
	}
}

// pkcs1 re-encodes a PKCS#8 PEM RSA key as PKCS#1 ("RSA PRIVATE KEY"), as older tools write it.
func pkcs1(t *testing.T, pkcs8 string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(pkcs8))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	rsaKey, ok := key.(*rsa.PrivateKey)
	if err != nil || !ok {
		t.Fatalf("test key is not an RSA key in PKCS#8: %v", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
}

// damaged keeps the PEM frame and base64 shape of key but cuts its body short.
func damaged(key string) string {
	lines := strings.Split(strings.TrimSpace(key), "\n")
	return strings.Join(append(lines[:3], lines[len(lines)-1]), "\n")
}

func TestValidateReadWriteLeavesNoTrace(t *testing.T) {
	p := startPeer(t)
	h := newHarness(t, p.TokenURL, nil)
	target := p.target("empty-bucket", writerEmail, p.keys[writerEmail])
	target.Mode = domain.ValidateReadWrite
	before := len(p.Requests())
	if _, err := h.validate(t, target); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if objects := p.Objects(t, "empty-bucket"); len(objects) != 0 {
		t.Errorf("bucket holds %v after a readwrite validation, want nothing", objects)
	}
	requests := p.Requests()[before:]
	if len(requests) == 0 {
		t.Fatal("the validation sent no API request")
	}
	for _, r := range requests {
		if !strings.HasPrefix(r, http.MethodGet+" ") {
			t.Errorf("a readwrite validation sent %s; it must only read", r)
		}
	}
}

func TestValidateDefaultEndpoint(t *testing.T) {
	p := startPeer(t)
	h := newHarness(t, p.TokenURL, func(cfg *Config) { cfg.APIEndpoint = p.URL + "/" })
	report, err := h.validate(t, gcsTarget("", "full-bucket", readerEmail, p.keys[readerEmail]))
	if err != nil {
		t.Fatalf("Validate: %v; report %+v", err, report.Checks)
	}
	providerchecktest.WantChecks(t, report, allChecks)
}

func TestValidateRefusesTarget(t *testing.T) {
	h := newHarness(t, "", nil)
	cases := []struct{ name, endpoint, says string }{
		{"plain http to a public host", "http://storage.example.com", "must use https"},
		{"user info in the endpoint", "https://me:hunter2-password@storage.example.com", "user info"},
		{"a path in the endpoint", "https://storage.example.com/storage/v1", "must not contain a path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			report, err := h.validate(t, gcsTarget(c.endpoint, "bucket", readerEmail, "not even a key"))
			providerchecktest.WantKind(t, err, domain.KindEndpointNotAllowed, "connect: ", c.says)
			providerchecktest.WantNoLeak(t, report, err, h.log.String(), "hunter2")
			providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkConnect: domain.CheckFail, checkAuth: domain.CheckSkip})
		})
	}
	t.Run("other storage type", func(t *testing.T) {
		target := gcsTarget("", "bucket", readerEmail, "secret")
		target.StorageType = domain.StorageS3
		_, err := h.v.Validate(context.Background(), target)
		providerchecktest.WantKind(t, err, domain.KindInternal)
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	guarded := guardedClient(t)
	for name, cfg := range map[string]Config{
		"no HTTP client":              {},
		"HTTP client on the default":  {HTTPClient: &http.Client{}},
		"negative timeout":            {HTTPClient: guarded, Timeout: -time.Second},
		"token URL that is no URL":    {HTTPClient: guarded, TokenURL: "oauth2.googleapis.com/token"},
		"API endpoint without scheme": {HTTPClient: guarded, APIEndpoint: "storage.googleapis.com"},
		"API endpoint with a path":    {HTTPClient: guarded, APIEndpoint: "https://storage.googleapis.com/storage/v1"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New with %s succeeded", name)
		}
	}
}

// BenchmarkValidate measures a passing validation on loopback, and with every provider request
// delayed by providerDelay, where it reports the wall time in provider round trips: a token
// exchange must precede the API requests, so two is the floor (connect runs alongside the
// exchange, the bucket and permission requests alongside each other).
func BenchmarkValidate(b *testing.B) {
	const providerDelay = 50 * time.Millisecond
	p := startPeer(b)
	target := p.target("full-bucket", readerEmail, p.keys[readerEmail])
	for name, delay := range map[string]time.Duration{"loopback": 0, "delayed": providerDelay} {
		b.Run(name, func(b *testing.B) {
			delayed := &delayTransport{base: guardedClient(b).Transport, delay: delay}
			h := newHarness(b, p.TokenURL, func(cfg *Config) { cfg.HTTPClient = netguard.NewClient(delayed) })
			ctx := context.Background()
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if _, err := h.v.Validate(ctx, target); err != nil {
					b.Fatalf("Validate: %v", err)
				}
			}
			if delay > 0 {
				b.ReportMetric(float64(time.Since(start))/float64(b.N)/float64(delay), "round-trips/op")
			}
		})
	}
}

// delayTransport holds every request back by delay before sending it, as a distant provider would.
type delayTransport struct {
	base  http.RoundTripper
	delay time.Duration
}

func (d *delayTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case <-time.After(d.delay):
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return d.base.RoundTrip(r)
}
