package providerchecktest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
)

// LoopbackAllowList lets a test's validator reach its peers on 127.0.0.1, as
// BUCKETD_ENDPOINT_ALLOWLIST=127.0.0.0/8 would.
func LoopbackAllowList(t testing.TB) netguard.AllowList {
	t.Helper()
	allow, err := netguard.ParseAllowList("127.0.0.0/8")
	if err != nil {
		t.Fatalf("allow list: %v", err)
	}
	return allow
}

// guardedClient is the production client over a dialer that allows allow.
func guardedClient(t testing.TB, allow netguard.AllowList) *http.Client {
	t.Helper()
	transport := netguard.NewTransport(netguard.NewDialer(allow))
	t.Cleanup(transport.CloseIdleConnections)
	return netguard.NewClient(transport)
}

// ClosedPortURL returns an http URL on 127.0.0.1 where nothing listens, so a connection to it
// is refused.
func ClosedPortURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// HangingURL returns an http URL on 127.0.0.1 whose server accepts connections and never
// answers, as a stalled provider would; t's cleanup closes them.
func HangingURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var conns sync.WaitGroup
	done := make(chan struct{})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { <-done; c.Close() })
		}
	}()
	t.Cleanup(func() { close(done); l.Close(); conns.Wait() })
	return "http://" + l.Addr().String()
}

// errRecorded is what DialRecorder answers instead of connecting.
var errRecorded = errors.New("dial recorded, not connected")

// DialRecorder stands in for the network (give its Dial to netguard.WithDialFunc): it records
// every address the guard let through and connects nowhere, so a test using it cannot send a
// packet even if the guard were broken. The zero value is ready to use.
type DialRecorder struct {
	mu    sync.Mutex
	addrs []string
}

// Dial records addr and fails without connecting.
func (r *DialRecorder) Dial(_ context.Context, _, addr string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = append(r.addrs, addr)
	return nil, errRecorded
}

// Attempts returns the addresses dialled so far, in order.
func (r *DialRecorder) Attempts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.addrs...)
}

// StaticResolver is a netguard.Resolver answering from a table, so a test decides what a name
// resolves to without asking DNS; unknown names do not exist, as a DNS server says.
type StaticResolver map[string][]netip.Addr

// LookupNetIP returns host's addresses from the table.
func (r StaticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := r[host]; ok {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}
