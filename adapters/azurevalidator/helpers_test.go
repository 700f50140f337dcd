package azurevalidator

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/testpeers/azurite"
	"github.com/bucketd/bucketd/domain"
)

// Containers of the shared emulator, created once by emulator.
const (
	emptyContainer = "empty-container"
	fullContainer  = "full-container"
	fullBlob       = "reports/2025/q1.csv"
)

var setupOnce sync.Once

// emulator returns the package's Azurite with the containers the tests expect.
func emulator(t testing.TB) *azurite.Server {
	t.Helper()
	s := peer.Server(t)
	setupOnce.Do(func() {
		s.CreateContainer(t, emptyContainer)
		s.CreateContainer(t, fullContainer)
		s.PutBlob(t, fullContainer, fullBlob, []byte("a,b\n1,2\n"))
	})
	return s
}

// loopbackAllow lets tests reach the emulator on 127.0.0.1, as BUCKETD_ENDPOINT_ALLOWLIST would.
func loopbackAllow(t testing.TB) netguard.AllowList {
	t.Helper()
	allow, err := netguard.ParseAllowList("127.0.0.0/8")
	if err != nil {
		t.Fatalf("allow list: %v", err)
	}
	return allow
}

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

// newHarness wires a validator over the guarded transport with the loopback allow list and
// any dialer options.
func newHarness(t testing.TB, timeout time.Duration, opts ...netguard.Option) harness {
	t.Helper()
	transport := netguard.NewTransport(netguard.NewDialer(loopbackAllow(t), opts...))
	t.Cleanup(transport.CloseIdleConnections)
	log := &lockedBuffer{}
	v, err := New(Config{
		HTTPClient: netguard.NewClient(transport),
		AllowList:  loopbackAllow(t),
		Timeout:    timeout,
		Logger:     slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return harness{v: v, log: log}
}

func azureTarget(endpoint, container, account, key string) domain.ValidationTarget {
	return domain.ValidationTarget{
		StorageType: domain.StorageAzure,
		Bucket:      container,
		Region:      "eastus",
		Endpoint:    endpoint,
		Credentials: domain.Credentials{Key: domain.NewSecret(account), Secret: domain.NewSecret(key)},
		Mode:        domain.ValidateReadOnly,
	}
}

// validate runs the validator and proves that neither the target's secret nor the emulator's
// real key shows up in the report, the error or the log lines of this validation.
func (h harness) validate(t *testing.T, target domain.ValidationTarget) (domain.ValidationReport, error) {
	t.Helper()
	logStart := len(h.log.String())
	report, err := h.v.Validate(context.Background(), target)
	texts := []string{h.log.String()[logStart:]}
	if err != nil {
		texts = append(texts, err.Error())
	}
	for _, c := range report.Checks {
		texts = append(texts, c.Message, c.ProviderCode)
	}
	for _, text := range texts {
		for _, secret := range []string{target.Credentials.Secret.Reveal(), azurite.Key} {
			if secret != "" && strings.Contains(text, secret) {
				t.Fatalf("an account key leaked into %q", text)
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

// wantChecks fails t unless every named check has the status, and a message.
func wantChecks(t *testing.T, report domain.ValidationReport, want map[string]domain.CheckStatus) {
	t.Helper()
	for name, status := range want {
		if got := check(t, report, name); got.Status != status || got.Message == "" {
			t.Errorf("check %s = %+v, want status %s with a message", name, got, status)
		}
	}
}

// recordingDial stands in for the network: it records every address the guard let through
// and connects nowhere, so a test using it cannot send a packet even if the guard were broken.
type recordingDial struct {
	mu    sync.Mutex
	addrs []string
}

func (r *recordingDial) dial(_ context.Context, _, addr string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = append(r.addrs, addr)
	return nil, errDialRecorded
}

func (r *recordingDial) attempts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.addrs...)
}

var errDialRecorded = errors.New("dial recorded, not connected")

// tableResolver answers from a table; unknown names do not exist, as a DNS server says.
type tableResolver map[string][]netip.Addr

func (r tableResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := r[host]; ok {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
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

// proxy puts handler in front of the emulator: it sees each request first and forwards it by
// calling next. Shared Key signatures cover the path, not the host, so they survive the hop.
func proxy(t *testing.T, s *azurite.Server, handler func(w http.ResponseWriter, r *http.Request, next http.Handler)) string {
	t.Helper()
	target, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	next := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler(w, r, next) }))
	t.Cleanup(srv.Close)
	return srv.URL
}
