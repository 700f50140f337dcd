package tcpproxy_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/tcpproxy"
)

// ioTimeout bounds every read and write of these tests, so a proxy that swallows data fails
// the test instead of hanging it.
const ioTimeout = 5 * time.Second

// connEnd is how a connection of echoServer ended: the error its read returned and every byte
// it received.
type connEnd struct {
	err      error
	received string
}

// echoServer echoes every byte back and reports each connection's end on the channel.
func echoServer(t *testing.T) (addr string, ended <-chan connEnd) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	ends := make(chan connEnd, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var received strings.Builder
				_, err := io.Copy(c, io.TeeReader(c, &received))
				ends <- connEnd{err, received.String()}
			}()
		}
	}()
	return ln.Addr().String(), ends
}

// roundTrip sends a line through c and checks it comes back.
func roundTrip(t *testing.T, c net.Conn, line string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatalf("write through the proxy: %v", err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != line+"\n" {
		t.Fatalf("read through the proxy: %q, %v; want %q", got, err, line)
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial the proxy: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// readErr reads from c until it fails and returns the error.
func readErr(t *testing.T, c net.Conn) error {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
	_, err := io.Copy(io.Discard, c)
	if err == nil {
		return io.EOF // io.Copy reports EOF as success
	}
	return err
}

// waitFor polls cond until it holds or ioTimeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, ioTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestProxyForwardsBothWays(t *testing.T) {
	target, _ := echoServer(t)
	p := tcpproxy.Start(t, target)
	for i := range 2 {
		c := dial(t, p.Addr)
		roundTrip(t, c, "hello")
		roundTrip(t, c, "again")
		waitFor(t, "registering the connection", func() bool { return p.Live() == i+1 })
	}
	if p.Accepted() != 2 || p.Cut() != 0 {
		t.Errorf("Accepted() = %d, Cut() = %d; want 2 and 0", p.Accepted(), p.Cut())
	}
}

func TestCutAndResetEndEveryLiveConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  func(*tcpproxy.Proxy) int
		// wantClient says whether the error a client reads after the cut is the expected kind.
		wantClient func(error) bool
	}{
		{"CutAll sends FIN", (*tcpproxy.Proxy).CutAll, func(err error) bool { return errors.Is(err, io.EOF) }},
		{"ResetAll sends RST", (*tcpproxy.Proxy).ResetAll, func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, ended := echoServer(t)
			p := tcpproxy.Start(t, target)
			clients := []net.Conn{dial(t, p.Addr), dial(t, p.Addr), dial(t, p.Addr)}
			for _, c := range clients {
				roundTrip(t, c, "before")
			}
			if n := tc.cut(p); n != len(clients) {
				t.Errorf("cut %d connections, want %d", n, len(clients))
			}
			for i, c := range clients {
				if err := readErr(t, c); !tc.wantClient(err) {
					t.Errorf("client %d read %v after the cut", i, err)
				}
			}
			for i := range clients {
				select {
				case <-ended:
				case <-time.After(ioTimeout):
					t.Fatalf("the server saw %d of %d connections end", i, len(clients))
				}
			}
			if p.Cut() != int64(len(clients)) || p.Live() != 0 {
				t.Errorf("Cut() = %d, Live() = %d; want %d and 0", p.Cut(), p.Live(), len(clients))
			}
			roundTrip(t, dial(t, p.Addr), "after") // the proxy still accepts and forwards
			if p.Accepted() != int64(len(clients)+1) {
				t.Errorf("Accepted() = %d, want %d", p.Accepted(), len(clients)+1)
			}
		})
	}
}

func TestUnreachableTargetClosesTheClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	_ = ln.Close() // nothing listens there any more
	p := tcpproxy.Start(t, dead)
	if err := readErr(t, dial(t, p.Addr)); !errors.Is(err, io.EOF) {
		t.Errorf("client read %v, want EOF: the proxy must close a connection it cannot forward", err)
	}
	if p.Live() != 0 {
		t.Errorf("Live() = %d, want 0", p.Live())
	}
}

func TestCutAtLosesTheAnswerOrTheMessage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		deliver bool
		// want is what the server received in all.
		want string
	}{
		{"delivered, answer lost", true, "hello\nCOMMIT\n"},
		{"message lost", false, "hello\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, ended := echoServer(t)
			p := tcpproxy.Start(t, target)
			fired := p.CutAt([]byte("COMMIT"), tc.deliver)
			other, c := dial(t, p.Addr), dial(t, p.Addr)
			roundTrip(t, c, "hello") // no marker: forwarded
			_ = c.SetDeadline(time.Now().Add(ioTimeout))
			if _, err := io.WriteString(c, "COMMIT\n"); err != nil {
				t.Fatalf("write the marker: %v", err)
			}
			if err := readErr(t, c); !errors.Is(err, io.EOF) {
				t.Errorf("client read %v after the marker, want EOF: the answer must be lost", err)
			}
			select {
			case <-fired:
			case <-time.After(ioTimeout):
				t.Fatal("CutAt did not report firing")
			}
			select {
			case end := <-ended:
				if end.received != tc.want {
					t.Errorf("the server received %q, want %q", end.received, tc.want)
				}
			case <-time.After(ioTimeout):
				t.Fatal("the server did not see the connection end")
			}
			// The trap fired once: the other connection, and the marker again, pass.
			roundTrip(t, other, "COMMIT")
			if p.Cut() != 1 {
				t.Errorf("Cut() = %d, want 1", p.Cut())
			}
		})
	}
}

// TestCutAtTrapsSpringInTheOrderArmed arms two traps: the second one's marker passes until the
// first has fired, then cuts.
func TestCutAtTrapsSpringInTheOrderArmed(t *testing.T) {
	target, _ := echoServer(t)
	p := tcpproxy.Start(t, target)
	first, second := p.CutAt([]byte("FIRST"), false), p.CutAt([]byte("SECOND"), false)
	roundTrip(t, dial(t, p.Addr), "SECOND") // not armed yet: forwarded
	for _, step := range []struct {
		marker string
		fired  <-chan struct{}
	}{{"FIRST", first}, {"SECOND", second}} {
		c := dial(t, p.Addr)
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		if _, err := io.WriteString(c, step.marker+"\n"); err != nil {
			t.Fatalf("write %s: %v", step.marker, err)
		}
		if err := readErr(t, c); !errors.Is(err, io.EOF) {
			t.Errorf("client read %v after %s, want EOF", err, step.marker)
		}
		select {
		case <-step.fired:
		case <-time.After(ioTimeout):
			t.Fatalf("the %s trap did not report firing", step.marker)
		}
	}
	if p.Cut() != 2 {
		t.Errorf("Cut() = %d, want 2", p.Cut())
	}
}
