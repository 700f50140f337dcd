// Package delayproxy puts a reverse proxy on 127.0.0.1 in front of a test peer (versitygw,
// Azurite, fake-gcs-server) that holds every request back by a fixed delay before forwarding
// it, so a benchmark on loopback sees what a provider across a network costs: each provider
// request is one round trip of that delay. It is a test helper: import it only from _test.go
// files.
//
// The proxy keeps the request's Host header, so a request signed for the proxy's address
// (SigV4, Azure shared key) still verifies at the peer. It counts the requests it forwards and
// the client connections it accepts, so a benchmark can report requests per operation and show
// whether connections are reused.
package delayproxy

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// maxIdlePerHost lets the proxy keep as many connections to the peer as a validation opens
// concurrently, so the proxy itself adds no connection setup.
const maxIdlePerHost = 32

// Proxy is a running delay proxy.
type Proxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:PORT; use it as the provider endpoint.
	URL string
	// Addr is the proxy's listening address, 127.0.0.1:PORT.
	Addr string

	delay       time.Duration
	requests    atomic.Int64
	connections atomic.Int64
}

// Start runs a proxy for the duration of t that forwards every request to target (a base URL
// such as http://127.0.0.1:7070) after waiting delay. A request whose client gives up during
// the wait is not forwarded. The proxy stops in t.Cleanup.
func Start(t testing.TB, target string, delay time.Duration) *Proxy {
	t.Helper()
	to, err := url.Parse(target)
	if err != nil || to.Scheme == "" || to.Host == "" {
		t.Fatalf("delayproxy: target %q is not a base URL like http://127.0.0.1:7070", target)
	}
	if delay < 0 {
		t.Fatalf("delayproxy: delay %s is negative", delay)
	}
	transport := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: maxIdlePerHost}
	p := &Proxy{delay: delay}
	forward := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(to)
			pr.Out.Host = pr.In.Host // the signature covers the host the client addressed
		},
		Transport: transport,
	}
	srv := httptest.NewUnstartedServer(p.hold(forward))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			p.connections.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		transport.CloseIdleConnections()
	})
	p.URL, p.Addr = srv.URL, srv.Listener.Addr().String()
	return p
}

// hold waits the delay, then lets next forward the request.
func (p *Proxy) hold(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		timer := time.NewTimer(p.delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return // the client is gone; nothing to forward
		}
		p.requests.Add(1)
		next.ServeHTTP(w, r)
	})
}

// Delay is the wait the proxy adds to every request.
func (p *Proxy) Delay() time.Duration { return p.delay }

// Requests is the number of requests forwarded so far.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Connections is the number of client connections accepted so far; it stays flat while the
// client reuses its pooled connections.
func (p *Proxy) Connections() int64 { return p.connections.Load() }

// Measure starts measuring a benchmark whose operations go through the proxy, and returns the
// function that reports the measurement once b's loop is over: per operation (op names one,
// "validation"), the wall time in milliseconds and in round trips of the proxy's delay, and the
// requests forwarded and client connections accepted meanwhile, which show whether the client
// reuses its connections.
func (p *Proxy) Measure(b *testing.B, op string) (report func()) {
	requests, connections := p.Requests(), p.Connections()
	return func() {
		perOp := b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(perOp)/float64(time.Millisecond), "ms/"+op)
		if p.delay > 0 {
			b.ReportMetric(float64(perOp)/float64(p.delay), "round-trips/"+op)
		}
		b.ReportMetric(float64(p.Requests()-requests)/float64(b.N), "requests/"+op)
		b.ReportMetric(float64(p.Connections()-connections)/float64(b.N), "new-conns/"+op)
	}
}
