package gcsvalidator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/adapters/providercheck/providerchecktest"
	"github.com/bucketd/bucketd/adapters/testpeers/fakegcs"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Every request, the token exchange included, must go through the configured client: it is
// the one whose dialer enforces the SSRF guard.
func TestValidateSendsEverythingThroughTheClient(t *testing.T) {
	p := startPeer(t)
	counting := &countingTransport{base: guardedClient(t).Transport}
	h := newHarness(t, p.TokenURL, func(cfg *Config) { cfg.HTTPClient = netguard.NewClient(counting) })
	before := len(p.Requests())
	if _, err := h.validate(t, p.target("full-bucket", readerEmail, p.keys[readerEmail])); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	const tokenRequests = 1
	if sent, served := counting.n.Load(), int64(len(p.Requests())-before+tokenRequests); sent != served || sent < 4 {
		t.Errorf("the client carried %d requests, the peer served %d; want all of them (at least 4) through the client", sent, served)
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestValidateUnreachable(t *testing.T) {
	p := startPeer(t)
	h := newHarness(t, p.TokenURL, nil)
	plainAsTLS := strings.Replace(p.URL, "http://", "https://", 1)
	for name, c := range map[string]struct {
		endpoint string
		says     []string
	}{
		"closed port":              {providerchecktest.ClosedPortURL(t), []string{"connect: cannot reach", "connection refused"}},
		"https against plain http": {plainAsTLS, []string{"connect: cannot reach " + plainAsTLS, "is the endpoint plain http?"}},
	} {
		t.Run(name, func(t *testing.T) {
			report, err := h.validate(t, gcsTarget(c.endpoint, "full-bucket", readerEmail, p.keys[readerEmail]))
			providerchecktest.WantKind(t, err, domain.KindEndpointUnreachable, c.says...)
			// The token exchange succeeded: the failure is the API endpoint's alone.
			providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkConnect: domain.CheckFail, checkAuth: domain.CheckPass,
				checkBucket: domain.CheckSkip, checkPermissions: domain.CheckSkip})
		})
	}
}

func TestValidateTokenEndpointFailures(t *testing.T) {
	p := startPeer(t)
	brokenServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"internal_failure"}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(brokenServer.Close)
	broken := brokenServer.URL
	for name, c := range map[string]struct {
		tokenURL string
		kind     domain.Kind
		says     []string
	}{
		"unreachable": {providerchecktest.ClosedPortURL(t) + "/token", domain.KindEndpointUnreachable,
			[]string{"authenticate: cannot reach the token endpoint http://127.0.0.1:", "connection refused"}},
		"failing": {broken + "/token", domain.KindProviderError,
			[]string{"authenticate: the token endpoint " + broken + "/token failed with 503 Service Unavailable (internal_failure); retry later"}},
		"stalled": {providerchecktest.HangingURL(t) + "/token", domain.KindProviderTimeout, []string{"authenticate:", "did not answer within 500ms"}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, c.tokenURL, func(cfg *Config) { cfg.Timeout = 500 * time.Millisecond })
			start := time.Now()
			report, err := h.validate(t, p.target("full-bucket", readerEmail, p.keys[readerEmail]))
			providerchecktest.WantKind(t, err, c.kind, c.says...)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("validation took %v with a 500ms deadline", took)
			}
			providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckFail,
				checkBucket: domain.CheckSkip, checkRegion: domain.CheckSkip, checkPermissions: domain.CheckSkip})
		})
	}
}

func TestValidateHonoursCancellation(t *testing.T) {
	p := startPeer(t)
	h := newHarness(t, p.TokenURL, func(cfg *Config) { cfg.Timeout = time.Minute })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := h.v.Validate(ctx, gcsTarget(providerchecktest.HangingURL(t), "full-bucket", readerEmail, p.keys[readerEmail]))
	providerchecktest.WantKind(t, err, domain.KindProviderTimeout, "connect: the validation was canceled")
}

func TestTransportContract(t *testing.T) {
	// The token endpoint works (when the allow list lets the validator reach it), so every
	// subtest fails at the API endpoint under test; the SSRF subtests, which allow nothing,
	// refuse the loopback token endpoint without a dial as well.
	p := fakegcs.Start(t)
	key, _ := p.NewServiceAccount(t, readerEmail, readerPermissions...)
	providerchecktest.RunTransportContract(t, providerchecktest.Harness{
		New: func(opts providercheck.Options) (ports.CredentialValidator, error) {
			return New(Config{HTTPClient: opts.HTTPClient, AllowList: opts.AllowList, Timeout: opts.Timeout, Logger: opts.Logger,
				TokenURL: p.TokenURL})
		},
		Target: func(endpoint string) domain.ValidationTarget {
			return gcsTarget(endpoint, "contract-bucket", readerEmail, key)
		},
	})
}
