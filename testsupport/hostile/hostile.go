// Package hostile runs a storage provider under an attacker's control on 127.0.0.1 for tests:
// an HTTP server that answers every request, whatever its path or method (S3, the GCS JSON API,
// token endpoint and key lists, Azure Blob), with one chosen misbehaviour: a body that never
// ends, a gzip bomb, a header block past any sane size, HTML where XML was asked for, JSON of
// the wrong shape, a redirect loop, a connection cut mid-body, and more (see Cases). The case
// can be switched at any time, and the peer can also behave, forwarding every request to a real
// peer untouched, so a test can let a bucket register and then turn its provider hostile.
//
// The peer counts the bytes it wrote, at the connection, so a test can prove bucketd stopped
// reading: what an endless answer managed to write is what bucketd read plus what the two
// kernels' socket buffers held when bucketd closed the connection (the peer keeps its own send
// buffer small). Endless answers stop by themselves at Ceiling, cutting the connection, so a
// bucketd that never stops reading fails a test instead of exhausting the machine's memory.
//
// It is a test helper: import it only from _test.go files.
package hostile

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Ceiling is the most bytes one endless answer writes (a gzip bomb: inflates to) before the
// peer gives up and cuts the connection. It is far above any body cap bucketd should have, so
// a test sees a missing cap as an answer that reached it, not as an exhausted machine.
const Ceiling = 64 << 20

// sendBuffer is the peer's socket send buffer: small, so that what the peer counts as written
// is close to what its client read.
const sendBuffer = 64 << 10

// Peer is a running hostile provider.
type Peer struct {
	// URL is the peer's base URL, http://127.0.0.1:PORT: give it as a target's endpoint, or as
	// a token or key list URL (any path answers the same).
	URL string

	behaviour atomic.Pointer[behaviour]
	// done is closed when the test ends, so answers that wait or trickle stop.
	done chan struct{}

	mu    sync.Mutex
	conns map[*conn]struct{}
	stats Stats
	// busy holds the answers being written, each described by its request and start.
	busy map[*busyAnswer]struct{}
}

// busyAnswer is an answer being written.
type busyAnswer struct {
	request string
	start   time.Time
}

// behaviour is what the peer does with every request: a case's answer, or forwarding.
type behaviour struct {
	name  string
	serve func(p *Peer, w http.ResponseWriter, r *http.Request)
}

// Stats is what the peer saw and did since the case was last set.
type Stats struct {
	// Requests counts the requests received.
	Requests int
	// Written counts every byte written to the connections: status lines, headers and bodies.
	Written int64
	// Largest is the most bytes a single answer wrote.
	Largest int64
	// AtCeiling counts the answers that wrote Ceiling bytes without their client stopping.
	AtCeiling int
	// Followed counts requests that followed one of the peer's own redirects.
	Followed int
}

// Start runs a peer for the duration of t; it answers 500 until Set or Forward says how to
// answer. The peer stops in t.Cleanup, cutting every connection.
func Start(t testing.TB) *Peer {
	t.Helper()
	return start(t, nil)
}

// StartTLS is Start for a peer that speaks HTTPS with tlsConfig's certificate, for clients that
// refuse anything else (an OAuth authority must be https); its URL is https.
func StartTLS(t testing.TB, tlsConfig *tls.Config) *Peer {
	t.Helper()
	return start(t, tlsConfig)
}

func start(t testing.TB, tlsConfig *tls.Config) *Peer {
	p := &Peer{done: make(chan struct{}), conns: map[*conn]struct{}{}, busy: map[*busyAnswer]struct{}{}}
	p.behaviour.Store(&behaviour{name: "unset", serve: func(_ *Peer, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "hostile: no case set", http.StatusInternalServerError)
	}})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(p.serveHTTP))
	srv.Listener = &listener{Listener: srv.Listener, p: p}
	// Cut connections and refused writes are the point of the peer, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		return context.WithValue(ctx, connKey{}, c)
	}
	if tlsConfig != nil {
		srv.TLS = tlsConfig
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(func() {
		close(p.done)
		p.mu.Lock()
		for c := range p.conns {
			c.Conn.Close() // unblocks an answer stuck writing to a client that stopped reading
		}
		p.mu.Unlock()
		srv.Close()
	})
	p.URL = srv.URL
	return p
}

// Set makes the peer answer every request from now on as c says, and starts its Stats afresh.
func (p *Peer) Set(c Case) {
	serve, ok := cases[c]
	if !ok {
		panic("hostile: unknown case " + string(c))
	}
	p.behaviour.Store(&behaviour{name: string(c), serve: serve})
	p.resetStats()
}

// Forward makes the peer behave: from now on it passes every request to upstream (a base URL
// such as http://127.0.0.1:7070) and its answer back, untouched. The Host header is kept, so a
// request signed for the peer's address (SigV4, Azure shared key) still verifies upstream.
func (p *Peer) Forward(upstream string) {
	to, err := url.Parse(upstream)
	if err != nil || to.Scheme == "" || to.Host == "" {
		panic("hostile: upstream " + upstream + " is not a base URL like http://127.0.0.1:7070")
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(to)
			pr.Out.Host = pr.In.Host
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.behaviour.Store(&behaviour{name: "forward to " + upstream, serve: func(_ *Peer, w http.ResponseWriter, r *http.Request) {
		proxy.ServeHTTP(w, r)
	}})
	p.resetStats()
}

// Stats returns what the peer saw and did since the case was last set. Call WaitIdle first
// to count answers still being written.
func (p *Peer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	return s
}

func (p *Peer) resetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats = Stats{}
}

// WaitIdle waits until no answer is being written, at most timeout, and reports whether that
// happened. An endless answer ends only when its client closes the connection (or at Ceiling),
// so a client that stopped reading but kept the connection open leaves the peer busy.
func (p *Peer) WaitIdle(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for len(p.Busy()) > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// Busy describes the answers being written, such as "GET /bucket?list-type=2 (endless body)
// for 6s", for a test to say which one did not end.
func (p *Peer) Busy() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var busy []string
	for a := range p.busy {
		busy = append(busy, fmt.Sprintf("%s for %s", a.request, time.Since(a.start).Round(time.Millisecond)))
	}
	return busy
}

// serveHTTP answers r as the current behaviour says, and counts what that wrote.
func (p *Peer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	b := p.behaviour.Load()
	c, _ := r.Context().Value(connKey{}).(*conn)
	before := c.written.Load()
	answer := &busyAnswer{request: fmt.Sprintf("%s %s (%s)", r.Method, r.URL.RequestURI(), b.name), start: time.Now()}
	p.mu.Lock()
	p.busy[answer] = struct{}{}
	p.stats.Requests++
	if r.URL.Query().Has(redirectMarker) {
		p.stats.Followed++
	}
	p.mu.Unlock()
	defer func() {
		wrote := c.written.Load() - before
		p.mu.Lock()
		delete(p.busy, answer)
		p.stats.Largest = max(p.stats.Largest, wrote)
		p.mu.Unlock()
	}()
	// Read the request first, as a server does: one whose body is left unread (a form POST's)
	// ends its request context early, which would end the cases that wait for the client.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxRequestBody))
	b.serve(p, w, r)
}

// maxRequestBody bounds what the peer reads of a request: the requests validators send are
// small (a form, a probe object).
const maxRequestBody = 1 << 20

// reachedCeiling records an answer that wrote Ceiling bytes with its client still reading.
func (p *Peer) reachedCeiling() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.AtCeiling++
}

// stopped reports whether the test is over.
func (p *Peer) stopped() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// connKey finds an answer's connection in its request's context.
type connKey struct{}

// listener counts and tracks the connections it accepts, and keeps their send buffers small.
type listener struct {
	net.Listener
	p *Peer
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(sendBuffer)
	}
	wrapped := &conn{Conn: c, p: l.p}
	l.p.mu.Lock()
	l.p.conns[wrapped] = struct{}{}
	l.p.mu.Unlock()
	return wrapped, nil
}

// conn counts the bytes written to it, for the answer being written and for the peer.
type conn struct {
	net.Conn
	p       *Peer
	written atomic.Int64
}

func (c *conn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.written.Add(int64(n))
	c.p.mu.Lock()
	c.p.stats.Written += int64(n)
	c.p.mu.Unlock()
	return n, err
}

func (c *conn) Close() error {
	c.p.mu.Lock()
	delete(c.p.conns, c)
	c.p.mu.Unlock()
	return c.Conn.Close()
}
