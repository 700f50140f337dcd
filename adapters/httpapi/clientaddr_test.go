package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"testing"

	"github.com/bucketd/bucketd/adapters/httpapi"
)

// trusting configures a harness to trust the proxies of list.
func trusting(t testing.TB, list string) func(*httpapi.Config) {
	t.Helper()
	proxies, err := httpapi.ParseTrustedProxies(list)
	if err != nil {
		t.Fatalf("ParseTrustedProxies(%q): %v", list, err)
	}
	return func(cfg *httpapi.Config) { cfg.TrustedProxies = proxies }
}

// loggedRemote serves req and returns the remote field of its access log line.
func loggedRemote(t *testing.T, h *harness, req *http.Request) string {
	t.Helper()
	h.record(req)
	for _, rec := range h.logs.records(t) {
		if rec["msg"] == "http request" {
			remote, _ := rec["remote"].(string)
			return remote
		}
	}
	t.Fatalf("no access log line; logs:\n%s", h.logs)
	return ""
}

// TestClientAddress shows which address the access log names for a request: forwarded headers
// count only from a configured proxy, read from the right, and nothing a client writes into them
// becomes its address.
func TestClientAddress(t *testing.T) {
	const proxies = "10.0.0.0/8, 2001:db8:ffff::/48"
	tests := []struct {
		name    string
		trusted string
		peer    string
		xff     []string
		realIP  string
		want    string
	}{
		{"no headers", "", "203.0.113.9:5555", nil, "", "203.0.113.9"},
		{"untrusted peer, spoofed X-Forwarded-For", proxies, "203.0.113.9:5555", []string{"198.51.100.1"}, "", "203.0.113.9"},
		{"untrusted peer, spoofed X-Real-IP", proxies, "203.0.113.9:5555", nil, "198.51.100.1", "203.0.113.9"},
		{"no proxies configured, loopback peer", "", "127.0.0.1:5555", []string{"198.51.100.1"}, "198.51.100.2", "127.0.0.1"},
		{"no proxies configured, private peer", "", "10.0.0.1:5555", []string{"198.51.100.1"}, "", "10.0.0.1"},
		{"trusted proxy", proxies, "10.0.0.1:5555", []string{"198.51.100.1"}, "", "198.51.100.1"},
		{"trusted proxy, X-Real-IP only", proxies, "10.0.0.1:5555", nil, "198.51.100.1", "198.51.100.1"},
		{"trusted proxy, X-Forwarded-For wins over X-Real-IP", proxies, "10.0.0.1:5555", []string{"198.51.100.1"}, "198.51.100.2", "198.51.100.1"},
		{"two trusted hops", proxies, "10.0.0.1:5555", []string{"198.51.100.1, 10.0.0.2"}, "", "198.51.100.1"},
		{"client's own entries left of its address", proxies, "10.0.0.1:5555", []string{"192.0.2.66, 10.9.9.9, 198.51.100.1, 10.0.0.2"}, "", "198.51.100.1"},
		{"several header lines", proxies, "10.0.0.1:5555", []string{"192.0.2.66", "198.51.100.1", "10.0.0.2"}, "", "198.51.100.1"},
		{"every hop trusted", proxies, "10.0.0.1:5555", []string{"10.0.0.3, 10.0.0.2"}, "", "10.0.0.3"},
		{"garbage at the right", proxies, "10.0.0.1:5555", []string{"198.51.100.1, not-an-address"}, "", "10.0.0.1"},
		{"garbage between trusted hops", proxies, "10.0.0.1:5555", []string{"198.51.100.1, <script>, 10.0.0.2"}, "", "10.0.0.2"},
		{"garbage left of the client", proxies, "10.0.0.1:5555", []string{"garbage, 198.51.100.1"}, "", "198.51.100.1"},
		{"empty hop", proxies, "10.0.0.1:5555", []string{"198.51.100.1,"}, "", "10.0.0.1"},
		{"empty header", proxies, "10.0.0.1:5555", []string{""}, "198.51.100.2", "10.0.0.1"},
		{"garbage X-Real-IP", proxies, "10.0.0.1:5555", nil, "1.2.3", "10.0.0.1"},
		{"hop with a port", proxies, "10.0.0.1:5555", []string{"198.51.100.1:6000"}, "", "198.51.100.1"},
		{"bracketed IPv6 hop with a port", proxies, "10.0.0.1:5555", []string{"[2001:db8::7]:443"}, "", "2001:db8::7"},
		{"bracketed IPv6 hop", proxies, "10.0.0.1:5555", []string{" [2001:db8::7] "}, "", "2001:db8::7"},
		{"IPv4-mapped hop", proxies, "10.0.0.1:5555", []string{"::ffff:198.51.100.1"}, "", "198.51.100.1"},
		{"zoned hop", proxies, "10.0.0.1:5555", []string{"fe80::1%eth0"}, "", "fe80::1"},
		{"IPv6 peer", proxies, "[2001:db8::1]:5555", []string{"198.51.100.1"}, "", "2001:db8::1"},
		{"trusted IPv6 proxy", proxies, "[2001:db8:ffff::1]:5555", []string{"2001:db8:1::5"}, "", "2001:db8:1::5"},
		{"IPv4-mapped trusted peer", proxies, "[::ffff:10.0.0.1]:5555", []string{"198.51.100.1"}, "", "198.51.100.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, trusting(t, tc.trusted))
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			req.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if tc.realIP != "" {
				req.Header.Set("X-Real-IP", tc.realIP)
			}
			if got := loggedRemote(t, h, req); got != tc.want {
				t.Errorf("remote = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := httpapi.ParseTrustedProxies(" 10.1.2.3/8, 192.0.2.7 ,2001:db8::/32,,::ffff:192.0.2.8")
	if err != nil {
		t.Fatal(err)
	}
	want := httpapi.TrustedProxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("192.0.2.8/32")}
	if !slices.Equal(got, want) {
		t.Errorf("ParseTrustedProxies = %v, want %v", got, want)
	}
	if got, err := httpapi.ParseTrustedProxies(""); err != nil || got != nil {
		t.Errorf("ParseTrustedProxies(\"\") = %v, %v; want none", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.com", "10.0.0.0/8;", "fe80::1%eth0", "::ffff:10.0.0.0/104", "10.0.0.*"} {
		if _, err := httpapi.ParseTrustedProxies("192.0.2.1," + bad); err == nil {
			t.Errorf("ParseTrustedProxies accepted %q", bad)
		}
	}
}
