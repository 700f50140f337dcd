package gcsvalidator

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/testpeers/fakegcs"
	"github.com/bucketd/bucketd/domain"
)

// Service accounts of the test peer and what each may do on every bucket.
const (
	readerEmail    = "reader@bucketd-test.iam.gserviceaccount.com"
	writerEmail    = "writer@bucketd-test.iam.gserviceaccount.com"
	noListEmail    = "no-list@bucketd-test.iam.gserviceaccount.com"
	noBucketEmail  = "no-bucket-get@bucketd-test.iam.gserviceaccount.com"
	strangerEmail  = "stranger@bucketd-test.iam.gserviceaccount.com"
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
	} {
		p.keys[email], p.keyFiles[email] = p.NewServiceAccount(t, email, perms...)
	}
	p.CreateBucket(t, "empty-bucket", bucketLocation)
	p.CreateBucket(t, "full-bucket", bucketLocation)
	p.PutObject(t, "full-bucket", "reports/2025/q1.csv", []byte("a,b\n1,2\n"))
	p.CreateBucket(t, "eu-bucket", "EU")
	return p
}

// target is a GCS target on the peer, in the region the peer's buckets report but spelt in
// lowercase, as users write it.
func (p peer) target(bucket, key, secret string) domain.ValidationTarget {
	return gcsTarget(p.URL, bucket, key, secret)
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

// loopbackAllow lets tests reach the peer on 127.0.0.1, as BUCKETD_ENDPOINT_ALLOWLIST would.
func loopbackAllow(t testing.TB) netguard.AllowList {
	t.Helper()
	allow, err := netguard.ParseAllowList("127.0.0.0/8")
	if err != nil {
		t.Fatalf("allow list: %v", err)
	}
	return allow
}

// guardedClient is the production client over a dialer with the loopback allow list.
func guardedClient(t testing.TB) *http.Client {
	t.Helper()
	transport := netguard.NewTransport(netguard.NewDialer(loopbackAllow(t)))
	t.Cleanup(transport.CloseIdleConnections)
	return netguard.NewClient(transport)
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a validator wired as production wires it, with its debug log captured.
type harness struct {
	v   *Validator
	log *syncBuffer
}

// newHarness builds a validator whose tokens come from tokenURL; modify adjusts the config.
func newHarness(t testing.TB, tokenURL string, modify func(*Config)) harness {
	t.Helper()
	log := &syncBuffer{}
	cfg := Config{
		HTTPClient: guardedClient(t),
		AllowList:  loopbackAllow(t),
		TokenURL:   tokenURL,
		Logger:     slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
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

// validate runs the validator and proves that neither the secret (whole, or any line of it)
// nor the full key shows up in the error, the report or the log.
func (h harness) validate(t *testing.T, target domain.ValidationTarget) (domain.ValidationReport, error) {
	t.Helper()
	report, err := h.v.Validate(context.Background(), target)
	texts := []string{h.log.String()}
	if err != nil {
		texts = append(texts, err.Error())
	}
	for _, c := range report.Checks {
		texts = append(texts, c.Message, c.ProviderCode)
	}
	for _, text := range texts {
		for _, leak := range secretParts(target.Credentials) {
			if strings.Contains(text, leak) {
				t.Fatalf("a credential leaked into %q", text)
			}
		}
	}
	return report, err
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

// wantKind fails t unless err is a *domain.Error of kind whose message contains every fragment.
func wantKind(t *testing.T, err error, kind domain.Kind, fragments ...string) {
	t.Helper()
	if !domain.IsKind(err, kind) {
		t.Fatalf("error = %v (kind %v), want kind %v", err, domain.KindOf(err), kind)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

// check returns the named check of report, failing t when it is missing.
func check(t *testing.T, report domain.ValidationReport, name string) domain.Check {
	t.Helper()
	for _, c := range report.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("report has no %q check: %+v", name, report.Checks)
	return domain.Check{}
}

// wantChecks fails t unless each named check has the given status and a message.
func wantChecks(t *testing.T, report domain.ValidationReport, want map[string]domain.CheckStatus) {
	t.Helper()
	for name, status := range want {
		if got := check(t, report, name); got.Status != status || got.Message == "" {
			t.Errorf("check %s = %+v, want status %s with a message", name, got, status)
		}
	}
}

// closedPortURL returns a URL on 127.0.0.1 where nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// hangingURL returns a URL whose server accepts connections and never answers.
func hangingURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var conns sync.WaitGroup
	done := make(chan struct{})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { <-done; c.Close() })
		}
	}()
	t.Cleanup(func() { close(done); l.Close(); conns.Wait() })
	return "http://" + l.Addr().String()
}
