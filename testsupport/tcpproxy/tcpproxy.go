// Package tcpproxy puts a TCP proxy on 127.0.0.1 in front of a server (PostgreSQL in bucketd's
// fault tests) that can cut every connection passing through it at once, the way a database
// restart, a failover or a broken network path does, while new connections keep being accepted
// and forwarded. It is a test helper: import it only from _test.go files.
//
// CutAll closes both halves of every live connection in an orderly way (FIN), so each side reads
// EOF; ResetAll aborts them (RST), so each side reads "connection reset by peer". CutAt cuts the
// one connection on which the client sends given bytes, such as a COMMIT, either after the
// server received them or before, so a test can lose exactly the answer to that message, or the
// message itself. The proxy counts the connections it accepted and cut, so a test can prove its
// faults hit live traffic.
package tcpproxy

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dialTimeout bounds connecting to the target, so a dead target fails the client's connection
// attempt instead of holding it.
const dialTimeout = 5 * time.Second

// Proxy is a running TCP proxy.
type Proxy struct {
	// Addr is the proxy's listening address, 127.0.0.1:PORT; point the client at it.
	Addr string

	target   string
	ln       net.Listener
	mu       sync.Mutex
	links    map[*link]struct{}
	wg       sync.WaitGroup
	traps    []*trap // armed, in the order they spring
	accepted atomic.Int64
	cut      atomic.Int64
}

// trap is an armed CutAt.
type trap struct {
	marker  []byte
	deliver bool
	fired   chan struct{}
}

// link is one client connection and the proxy's connection to the target on its behalf.
type link struct {
	client, server *net.TCPConn
	// muted is closed when a delivering trap fires: from then on what the server sends is
	// dropped, and answered is closed at its first byte.
	muted, answered chan struct{}
}

// close closes both halves. With reset set, each is closed with SO_LINGER 0, so its peer gets
// RST instead of FIN.
func (l *link) close(reset bool) {
	for _, c := range []*net.TCPConn{l.client, l.server} {
		if reset {
			_ = c.SetLinger(0)
		}
		_ = c.Close()
	}
}

// Start runs a proxy for the duration of t that forwards every connection it accepts to target
// (host:port, such as 127.0.0.1:5432). A connection whose target cannot be reached is closed at
// once. The proxy stops in t.Cleanup, closing every connection and waiting for its goroutines.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	if _, _, err := net.SplitHostPort(target); err != nil {
		t.Fatalf("tcpproxy: target %q is not host:port: %v", target, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("tcpproxy: listen on 127.0.0.1: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, links: map[*link]struct{}{}}
	p.wg.Go(p.acceptLoop)
	t.Cleanup(func() {
		_ = ln.Close()
		p.closeLinks(false, true)
		p.wg.Wait()
	})
	return p
}

// acceptLoop accepts connections until the listener is closed.
func (p *Proxy) acceptLoop() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed by Cleanup; Accept on 127.0.0.1 fails for no other reason
		}
		p.accepted.Add(1)
		p.wg.Go(func() { p.serve(c.(*net.TCPConn)) })
	}
}

// serve connects client to the target and copies bytes both ways until either side closes or
// the connection is cut.
func (p *Proxy) serve(client *net.TCPConn) {
	s, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		_ = client.Close()
		return
	}
	l := &link{client: client, server: s.(*net.TCPConn), muted: make(chan struct{}), answered: make(chan struct{})}
	if !p.register(l) {
		l.close(false)
		return
	}
	defer p.unregister(l)
	done := make(chan struct{}, 2)
	go func() {
		p.forwardClient(l)
		done <- struct{}{}
	}()
	go func() {
		p.forwardServer(l)
		done <- struct{}{}
	}()
	<-done
	// One direction ended (EOF, error or a cut): the connection is over, so end the other too.
	l.close(false)
	<-done
}

// forwardClient copies what the client sends to the server, one read at a time, until either
// side fails or an armed trap's marker shows up in a read.
func (p *Proxy) forwardClient(l *link) {
	buf := make([]byte, 32<<10)
	for {
		n, err := l.client.Read(buf)
		if n > 0 {
			if t := p.spring(buf[:n]); t != nil {
				if t.deliver {
					deliverUnanswered(l, buf[:n])
				}
				p.unregister(l)
				l.close(false)
				p.cut.Add(1)
				close(t.fired)
				return
			}
			if _, werr := l.server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// deliverUnanswered sends msg to the server and waits until the server answers, dropping the
// answer, or until answerTimeout passes. The client must not see its connection end before:
// a client that does may ask the server (on a new connection) to cancel the statement it sent,
// and the server would then never have acted on the message.
func deliverUnanswered(l *link, msg []byte) {
	close(l.muted)
	if _, err := l.server.Write(msg); err != nil {
		return
	}
	select {
	case <-l.answered:
	case <-time.After(answerTimeout):
	}
}

// answerTimeout bounds how long a delivering trap waits for the server's answer.
const answerTimeout = 5 * time.Second

// forwardServer copies what the server sends to the client until either side fails; once the
// link is muted it drops it instead, and reports the first byte on l.answered.
func (p *Proxy) forwardServer(l *link) {
	buf := make([]byte, 32<<10)
	var answered sync.Once
	for {
		n, err := l.server.Read(buf)
		if n > 0 {
			select {
			case <-l.muted:
				answered.Do(func() { close(l.answered) })
			default:
				if _, werr := l.client.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// spring disarms and returns the first armed trap if chunk holds its marker.
func (p *Proxy) spring(chunk []byte) *trap {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.traps) == 0 || !bytes.Contains(chunk, p.traps[0].marker) {
		return nil
	}
	t := p.traps[0]
	p.traps = p.traps[1:]
	return t
}

// CutAt arms a one-shot fault: the first read from any client that contains marker ends that
// client's connection in both directions (FIN). With deliver set the read is passed to the
// server first and the connection ends when the server has answered, so the server acts on
// the message while its answer is lost (a COMMIT that commits, unacknowledged); without, the
// message is lost on the way. The marker must arrive within one read, as a short message
// written at once does. The returned channel is closed
// when the fault fires. Traps armed while one is armed wait their turn: only the first armed
// trap can fire, and the next one is armed once it has, so a test can script a sequence of
// faults that follow one another faster than it could arm them.
func (p *Proxy) CutAt(marker []byte, deliver bool) <-chan struct{} {
	t := &trap{marker: bytes.Clone(marker), deliver: deliver, fired: make(chan struct{})}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.traps = append(p.traps, t)
	return t.fired
}

// register adds l to the live links unless the proxy is shutting down.
func (p *Proxy) register(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.links == nil {
		return false
	}
	p.links[l] = struct{}{}
	return true
}

func (p *Proxy) unregister(l *link) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.links, l)
}

// CutAll closes every live connection in both directions with FIN, as a server that shuts down
// or a proxy that restarts does, and returns how many it cut. The proxy keeps accepting new
// connections.
func (p *Proxy) CutAll() int { return p.cutAll(false) }

// ResetAll aborts every live connection in both directions with RST, as a failed network path
// or a killed server does, and returns how many it aborted. The proxy keeps accepting new
// connections.
func (p *Proxy) ResetAll() int { return p.cutAll(true) }

func (p *Proxy) cutAll(reset bool) int {
	n := p.closeLinks(reset, false)
	p.cut.Add(int64(n))
	return n
}

// closeLinks closes every live connection and returns how many; with final set, it also
// refuses to register new ones, because the proxy is stopping.
func (p *Proxy) closeLinks(reset, final bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.links)
	for l := range p.links {
		l.close(reset)
	}
	if final {
		p.links = nil
	} else {
		clear(p.links)
	}
	return n
}

// Accepted is the number of client connections accepted so far.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Cut is the number of connections CutAll, ResetAll and CutAt have cut so far.
func (p *Proxy) Cut() int64 { return p.cut.Load() }

// Live is the number of connections currently forwarded.
func (p *Proxy) Live() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}
