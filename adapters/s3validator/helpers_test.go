package s3validator

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/testpeers/versitygw"
	"github.com/bucketd/bucketd/domain"
)

// Credentials of the gateway's non-owner user: valid, but granted nothing on the root's buckets.
const (
	userKey    = "USERKEYFORBUCKETD001"
	userSecret = "bucketd-user-secret-access-key-for-tests"
)

// loopbackAllowList lets tests reach the emulators on 127.0.0.1, as BUCKETD_ENDPOINT_ALLOWLIST would.
const loopbackAllowList = "127.0.0.0/8"

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a validator wired as production wires it, with its log captured.
type harness struct {
	v   *Validator
	log *lockedBuffer
}

// loopbackAllow parses loopbackAllowList.
func loopbackAllow(t testing.TB) netguard.AllowList {
	t.Helper()
	allow, err := netguard.ParseAllowList(loopbackAllowList)
	if err != nil {
		t.Fatalf("allow list: %v", err)
	}
	return allow
}

// guardedTransport is the production transport over a dialer with the loopback allow list.
func guardedTransport(t testing.TB, opts ...netguard.Option) *http.Transport {
	t.Helper()
	transport := netguard.NewTransport(netguard.NewDialer(loopbackAllow(t), opts...))
	t.Cleanup(transport.CloseIdleConnections)
	return transport
}

// newHarness wires a validator as production does, over transport (guardedTransport when nil),
// with the loopback allow list.
func newHarness(t testing.TB, timeout time.Duration, transport *http.Transport) harness {
	t.Helper()
	if transport == nil {
		transport = guardedTransport(t)
	}
	return newHarnessAllowing(t, timeout, transport, loopbackAllow(t))
}

// newHarnessAllowing wires a validator over transport whose custom endpoints are checked
// against allow; give the transport's dialer the same list.
func newHarnessAllowing(t testing.TB, timeout time.Duration, transport *http.Transport, allow netguard.AllowList) harness {
	t.Helper()
	log := &lockedBuffer{}
	v, err := New(Config{
		HTTPClient: netguard.NewClient(transport),
		AllowList:  allow,
		Timeout:    timeout,
		Logger:     slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return harness{v: v, log: log}
}

// gateway is a versitygw with the buckets and user the tests expect.
func gateway(t testing.TB) *versitygw.Server {
	t.Helper()
	gw := versitygw.Start(t)
	gw.CreateBucket(t, "empty-bucket")
	gw.CreateBucket(t, "full-bucket")
	gw.PutObject(t, "full-bucket", "reports/2025/q1.csv", []byte("a,b\n1,2\n"))
	gw.CreateUser(t, userKey, userSecret)
	return gw
}

func s3Target(endpoint, bucket, key, secret string) domain.ValidationTarget {
	return domain.ValidationTarget{
		StorageType: domain.StorageS3,
		Bucket:      bucket,
		Region:      versitygw.Region,
		Endpoint:    endpoint,
		Credentials: domain.Credentials{Key: domain.NewSecret(key), Secret: domain.NewSecret(secret)},
		Mode:        domain.ValidateReadOnly,
	}
}

// validate runs the validator and proves that neither the secret nor the full key shows up in
// the report, the error or the log.
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
		for _, secret := range []string{target.Credentials.Secret.Reveal(), target.Credentials.Key.Reveal()} {
			if secret != "" && strings.Contains(text, secret) {
				t.Fatalf("a credential leaked into %q", text)
			}
		}
	}
	return report, err
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

// closedPortEndpoint returns an endpoint on 127.0.0.1 where nothing listens.
func closedPortEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// hangingEndpoint returns an endpoint that accepts connections and never answers.
func hangingEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}
