package gcsvalidator

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/delayproxy"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// providerRoundTrip is the delay the proxy adds to every provider request, standing for one
// round trip to Google across a network.
const providerRoundTrip = 50 * time.Millisecond

// BenchmarkValidateWallTime measures what a validation costs in provider round trips: every
// request to the fake GCS, the token exchange and the key list included, passes a proxy that
// holds it back by providerRoundTrip. With a key file the API requests carry a self-signed JWT
// and go out together at once: one round trip. A bare PEM key names no key id, so its first
// validation fetches a token before the API can be asked anything (two round trips), reading
// the account's key list meanwhile; PEM-key-first measures that, with the cache emptied
// before each validation (outside the timer). Its repeat validations sign with the key id
// found there, like a key file: PEM-key-repeat. Readwrite mode asks for two more permissions
// in the same testIamPermissions request and writes nothing, so it costs the same.
func BenchmarkValidateWallTime(b *testing.B) {
	p := startPeer(b)
	proxy := delayproxy.Start(b, p.URL, providerRoundTrip)
	client := clientVia(b, p.URL, proxy)
	h := p.harness(b, func(cfg *Config) { cfg.HTTPClient = client })
	cases := []struct {
		name string
		form credentialForm
		// beforeEach runs outside the timer before each validation; beforeAll once before them.
		beforeEach, beforeAll func(b *testing.B, target domain.ValidationTarget)
	}{
		{name: "key-file", form: keyFileForm},
		{name: "PEM-key-first", form: pemForm, beforeEach: func(*testing.B, domain.ValidationTarget) { h.forgetKeyIDs() }},
		{name: "PEM-key-repeat", form: pemForm, beforeAll: func(b *testing.B, target domain.ValidationTarget) {
			h.forgetKeyIDs()
			if _, err := h.v.Validate(context.Background(), target); err != nil {
				b.Fatalf("first validation: %v", err)
			}
			h.v.lookups.Wait()
			if _, ok := h.cachedKeyID(b, target); !ok {
				b.Fatal("the first validation left no key id to repeat with")
			}
		}},
	}
	for _, c := range cases {
		for _, mode := range []domain.ValidationMode{domain.ValidateReadOnly, domain.ValidateReadWrite} {
			b.Run(c.name+"/"+string(mode), func(b *testing.B) {
				target := p.targetAs(c.form, "full-bucket", writerEmail)
				target.Mode = mode
				if c.beforeAll != nil {
					c.beforeAll(b, target)
				}
				ctx := context.Background()
				reportMetrics := proxy.Measure(b, "validation")
				for b.Loop() {
					if c.beforeEach != nil {
						b.StopTimer()
						c.beforeEach(b, target)
						b.StartTimer()
					}
					report, err := h.v.Validate(ctx, target)
					if err != nil {
						b.Fatalf("Validate: %v", err)
					}
					if report.Region != bucketLocation {
						b.Fatalf("report region %q, want %s", report.Region, bucketLocation)
					}
				}
				reportMetrics()
				h.v.lookups.Wait()
			})
		}
	}
}

// clientVia is the production client, guard included, except that each connection to the
// peer at peerURL is made to the proxy instead. The validator keeps addressing the peer: the
// fake, like Google, accepts only assertions whose audience is its own token URL, so the token
// URL cannot name the proxy. The proxy keeps the Host header, so the peer sees every request
// as sent.
func clientVia(b *testing.B, peerURL string, proxy *delayproxy.Proxy) *http.Client {
	b.Helper()
	u, err := url.Parse(peerURL)
	if err != nil {
		b.Fatalf("peer URL %q: %v", peerURL, err)
	}
	dialer := &net.Dialer{}
	toProxy := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != u.Host {
			return nil, fmt.Errorf("the validator dialled %s, not the peer %s", addr, u.Host)
		}
		return dialer.DialContext(ctx, network, proxy.Addr)
	}
	transport := netguard.NewTransport(netguard.NewDialer(providerchecktest.LoopbackAllowList(b), netguard.WithDialFunc(toProxy)))
	b.Cleanup(transport.CloseIdleConnections)
	return netguard.NewClient(transport)
}
