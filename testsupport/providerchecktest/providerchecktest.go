// Package providerchecktest is what every credential validator's tests share: the contract
// every validator must meet about its configuration and the network, whatever its provider
// (go-cloud's drivertest style), and the helpers the validators' own tests assert with. The
// contract covers unusable options, unreachable endpoints, TLS spoken to plain http, a stalled
// server, provider 5xx, and the SSRF guard. Each validator's tests call RunTransportContract
// with a Harness that builds it. The hostile contract (RunHostileContract) meets the validator
// with a provider under an attacker's control, every misbehaviour of package hostile in turn.
//
// The SSRF subtests never connect anywhere: the validator is built on a dialer whose connect
// function records the attempt instead, with a resolver answering from a table, so not a
// single packet leaves the machine even if the guard were broken.
package providerchecktest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Harness builds the validator under test.
type Harness struct {
	// New returns the validator built from opts, with whatever else its provider needs, or
	// the error its constructor refused opts with.
	New func(opts providercheck.Options) (ports.CredentialValidator, error)
	// Target returns a well-formed target (bucket, region, credentials) whose custom endpoint
	// is endpoint.
	Target func(endpoint string) domain.ValidationTarget
}

// RunTransportContract runs the configuration and network subtests against the validator h
// builds.
func RunTransportContract(t *testing.T, h Harness) {
	t.Run("RefusesUnusableOptions", func(t *testing.T) { testUnusableOptions(t, h) })
	t.Run("ConnectionRefused", func(t *testing.T) { testConnectionRefused(t, h) })
	t.Run("TLSToPlainHTTP", func(t *testing.T) { testTLSToPlainHTTP(t, h) })
	t.Run("StalledEndpointTimesOut", func(t *testing.T) { testStalled(t, h) })
	t.Run("ProviderServerError", func(t *testing.T) { testServerError(t, h) })
	t.Run("SSRFGuard", func(t *testing.T) { testSSRF(t, h) })
}

// testUnusableOptions: without an HTTP client a validator would have no SSRF guard, and a
// negative timeout would fail every validation, so the constructor refuses both.
func testUnusableOptions(t *testing.T, h Harness) {
	client := guardedClient(t, LoopbackAllowList(t))
	for name, opts := range map[string]providercheck.Options{
		"no HTTP client":   {Timeout: time.Second},
		"negative timeout": {HTTPClient: client, Timeout: -time.Second},
	} {
		if _, err := h.New(opts); err == nil {
			t.Errorf("New with %s succeeded", name)
		}
	}
}

func testConnectionRefused(t *testing.T, h Harness) {
	err := validate(t, h, 5*time.Second, ClosedPortURL(t))
	wantWording(t, err, domain.KindEndpointUnreachable, "connect: cannot reach ", ": connection refused; check the endpoint's host and port")
}

func testTLSToPlainHTTP(t *testing.T, h Harness) {
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	err := validate(t, h, 5*time.Second, "https://"+plain.Listener.Addr().String())
	wantWording(t, err, domain.KindEndpointUnreachable, "connect: cannot reach ", "; is the endpoint plain http?")
}

func testStalled(t *testing.T, h Harness) {
	const deadline = 500 * time.Millisecond
	endpoint := HangingURL(t)
	start := time.Now()
	err := validate(t, h, deadline, endpoint)
	wantWording(t, err, domain.KindProviderTimeout, "connect: ", " did not answer within 500ms; check the endpoint, or retry later")
	if took := time.Since(start); took > deadline+2*time.Second {
		t.Errorf("a stalled endpoint took %s to time out, the deadline is %s", took, deadline)
	}
}

func testServerError(t *testing.T, h Harness) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`<?xml version="1.0"?><Error><Code>InternalError</Code><Message>boom</Message></Error>`))
	}))
	t.Cleanup(broken.Close)
	err := validate(t, h, 5*time.Second, broken.URL)
	wantWording(t, err, domain.KindProviderError, "", " failed with 500 Internal Server Error", "; retry later")
}

// ssrfTargets are endpoints a caller could use to make the server reach inside its own
// network. None is allow-listed in testSSRF.
func ssrfTargets(loopbackPort string) map[string]string {
	return map[string]string{
		"cloud metadata":               "https://169.254.169.254",
		"metadata over http":           "http://169.254.169.254",
		"loopback v4":                  "https://127.0.0.1:" + loopbackPort,
		"loopback v6":                  "https://[::1]:" + loopbackPort,
		"private":                      "https://10.0.0.1",
		"unspecified":                  "https://0.0.0.0:" + loopbackPort,
		"name resolving to loopback":   "https://loopback.test:" + loopbackPort,
		"name resolving to metadata":   "https://metadata.test",
		"plain http to a public host":  "http://public.test",
		"user info":                    "https://user:pass@public.test",
		"name resolving to private v6": "https://private6.test",
		"ipv4-mapped loopback":         "https://[::ffff:127.0.0.1]:" + loopbackPort,
	}
}

func testSSRF(t *testing.T, h Harness) {
	// A real listener on the loopback target proves no connection reaches it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	rec := &DialRecorder{}
	resolver := StaticResolver{
		"loopback.test": {netip.MustParseAddr("127.0.0.1")},
		"metadata.test": {netip.MustParseAddr("169.254.169.254")},
		"private6.test": {netip.MustParseAddr("fd00::1")},
		"public.test":   {netip.MustParseAddr("203.0.113.7")},
	}
	var none netguard.AllowList
	dialer := netguard.NewDialer(none, netguard.WithResolver(resolver), netguard.WithDialFunc(rec.Dial))
	client := netguard.NewClient(netguard.NewTransport(dialer))
	v := build(t, h, providercheck.Options{HTTPClient: client, AllowList: none, Timeout: 5 * time.Second})
	for name, endpoint := range ssrfTargets(port) {
		t.Run(name, func(t *testing.T) {
			_, err := v.Validate(context.Background(), h.Target(endpoint))
			wantWording(t, err, domain.KindEndpointNotAllowed, "connect: ")
		})
	}
	if got := rec.Attempts(); len(got) != 0 {
		t.Errorf("the guard let dials through to %v", got)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the loopback listener accepted %d connections", n)
	}
}

// build returns the validator h builds from opts, failing t when it refuses them.
func build(t testing.TB, h Harness, opts providercheck.Options) ports.CredentialValidator {
	t.Helper()
	v, err := h.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// validate runs a validation that must fail against endpoint, on the guarded client with
// loopback allow-listed, and returns its error.
func validate(t *testing.T, h Harness, timeout time.Duration, endpoint string) error {
	t.Helper()
	allow := LoopbackAllowList(t)
	v := build(t, h, providercheck.Options{HTTPClient: guardedClient(t, allow), AllowList: allow, Timeout: timeout})
	target := h.Target(endpoint)
	report, err := v.Validate(context.Background(), target)
	if err == nil {
		t.Fatalf("validation against %s passed; report: %+v", endpoint, report.Checks)
	}
	if report.Passed() {
		t.Errorf("the report passes although validation failed: %+v", report.Checks)
	}
	WantNoLeak(t, report, err, "", target.Credentials.Secret.Reveal())
	return err
}

// wantWording checks err's kind and that its message starts with prefix and mentions each of
// mentions: the wording of these failures is providercheck's, the same for every provider.
func wantWording(t *testing.T, err error, kind domain.Kind, prefix string, mentions ...string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != kind {
		t.Fatalf("error = %v (kind %v), want kind %v", err, domain.KindOf(err), kind)
	}
	if !strings.HasPrefix(de.Message, prefix) {
		t.Errorf("message %q does not start with %q", de.Message, prefix)
	}
	for _, m := range mentions {
		if !strings.Contains(de.Message, m) {
			t.Errorf("message %q does not mention %q", de.Message, m)
		}
	}
}
