package azurevalidator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/logcapture"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
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

// harness is a validator wired as production wires it, with its log captured.
type harness struct {
	v   *Validator
	log *logcapture.Buffer
}

// newHarness wires a validator over the guarded transport with the loopback allow list and
// any dialer options.
func newHarness(t testing.TB, timeout time.Duration, opts ...netguard.Option) harness {
	t.Helper()
	return newHarnessVia(t, timeout, guardedTransport(t, opts...))
}

// guardedTransport is the production transport over a dialer with the loopback allow list and
// any dialer options.
func guardedTransport(t testing.TB, opts ...netguard.Option) *http.Transport {
	t.Helper()
	transport := netguard.NewTransport(netguard.NewDialer(providerchecktest.LoopbackAllowList(t), opts...))
	t.Cleanup(transport.CloseIdleConnections)
	return transport
}

// newHarnessVia wires a validator whose requests go through transport, with the loopback allow
// list.
func newHarnessVia(t testing.TB, timeout time.Duration, transport http.RoundTripper) harness {
	t.Helper()
	allow := providerchecktest.LoopbackAllowList(t)
	log := &logcapture.Buffer{}
	v, err := New(Config{HTTPClient: netguard.NewClient(transport), AllowList: allow, Timeout: timeout, Logger: log.Logger()})
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
	providerchecktest.WantNoLeak(t, report, err, h.log.String()[logStart:], target.Credentials.Secret.Reveal(), azurite.Key)
	return report, err
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

// configOf is the Config of the settings every validator takes, with no authority of its own.
func configOf(opts providercheck.Options) Config {
	return Config{HTTPClient: opts.HTTPClient, AllowList: opts.AllowList, Timeout: opts.Timeout, Logger: opts.Logger}
}
