package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// errRecorded is what the recording dial func answers instead of connecting, so no test can
// send a packet off this machine even if the guard let an address through by mistake.
var errRecorded = errors.New("dial recorded, not connected")

// dialRecorder records every address the guard decided to connect to.
type dialRecorder struct {
	mu    sync.Mutex
	addrs []string
}

func (r *dialRecorder) dial(_ context.Context, _, addr string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = append(r.addrs, addr)
	return nil, errRecorded
}

func (r *dialRecorder) attempts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.addrs...)
}

// fakeResolver answers from a fixed table and counts lookups; unknown names are NXDOMAIN.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr // successive answers per name; the last one repeats
	lookups map[string]int
}

func newFakeResolver(answers map[string][]string) *fakeResolver {
	r := &fakeResolver{answers: map[string][][]netip.Addr{}, lookups: map[string]int{}}
	for name, ips := range answers {
		r.answers[name] = [][]netip.Addr{mustAddrs(ips...)}
	}
	return r
}

// then makes the next lookup of name return ips, as a rebinding DNS server would.
func (r *fakeResolver) then(name string, ips ...string) *fakeResolver {
	r.answers[name] = append(r.answers[name], mustAddrs(ips...))
	return r
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seq, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	n := r.lookups[host]
	r.lookups[host]++
	return append([]netip.Addr(nil), seq[min(n, len(seq)-1)]...), nil
}

func mustAddrs(ips ...string) []netip.Addr {
	out := make([]netip.Addr, len(ips))
	for i, s := range ips {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// testResolver is the DNS every dialer test sees.
func testResolver() *fakeResolver {
	return newFakeResolver(map[string][]string{
		"public.example":    {"203.0.113.7"},
		"rebind.example":    {"169.254.169.254"},
		"mapped.example":    {"::ffff:127.0.0.1"},
		"internal.example":  {"192.168.1.10"},
		"mixed.example":     {"127.0.0.1", "10.0.0.1", "203.0.113.8"},
		"sixtofour.example": {"2002:7f00:1::"},
	})
}

func mustAllowList(t *testing.T, spec string) AllowList {
	t.Helper()
	a, err := ParseAllowList(spec)
	if err != nil {
		t.Fatalf("ParseAllowList(%q): %v", spec, err)
	}
	return a
}
