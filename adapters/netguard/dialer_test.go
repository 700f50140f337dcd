package netguard

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

func newTestDialer(t *testing.T, allowSpec string, res Resolver) (*Dialer, *dialRecorder) {
	t.Helper()
	rec := &dialRecorder{}
	return NewDialer(mustAllowList(t, allowSpec), WithResolver(res), WithDialFunc(rec.dial)), rec
}

func TestDialerRefusesNonPublicAddresses(t *testing.T) {
	cases := []struct{ host, class string }{
		{"127.0.0.1", "a loopback address"},
		{"127.1.2.3", "a loopback address"},
		{"::1", "a loopback address"},
		{"::ffff:127.0.0.1", "a loopback address"},
		{"10.1.2.3", "a private (RFC 1918) address"},
		{"172.16.0.1", "a private (RFC 1918) address"},
		{"172.31.255.255", "a private (RFC 1918) address"},
		{"192.168.1.1", "a private (RFC 1918) address"},
		{"::ffff:10.0.0.1", "a private (RFC 1918) address"},
		{"fc00::1", "a unique local (private) address"},
		{"fd12:3456::1", "a unique local (private) address"},
		{"fec0::1", "a site-local (private) address"},
		{"169.254.169.254", "a link-local address (cloud metadata)"},
		{"::ffff:169.254.169.254", "a link-local address (cloud metadata)"},
		{"64:ff9b::a9fe:a9fe", "a link-local address (cloud metadata)"},
		{"fd00:ec2::254", "a unique local address (cloud metadata)"},
		{"169.254.1.1", "a link-local address"},
		{"fe80::1", "a link-local address"},
		{"100.64.0.1", "a carrier-grade NAT (RFC 6598) address"},
		{"100.127.255.255", "a carrier-grade NAT (RFC 6598) address"},
		{"224.0.0.1", "a multicast address"},
		{"239.255.255.250", "a multicast address"},
		{"ff02::1", "a multicast address"},
		{"0.0.0.0", `an unspecified ("this network") address`},
		{"0.1.2.3", `an unspecified ("this network") address`},
		{"::", "an unspecified address"},
		{"255.255.255.255", "the broadcast address"},
		{"240.0.0.1", "a reserved (RFC 1112) address"},
		{"::127.0.0.1", "a loopback address (127.0.0.1, carried in an IPv4-compatible address)"},
		{"::10.0.0.1", "a private (RFC 1918) address (10.0.0.1, carried in an IPv4-compatible address)"},
		{"::0.0.0.2", `an unspecified ("this network") address (0.0.0.2, carried in an IPv4-compatible address)`},
		{"2002:7f00:1::", "a loopback address (127.0.0.1, carried in a 6to4 (RFC 3056) address)"},
		{"2002:a9fe:a9fe::1", "a link-local address (cloud metadata) (169.254.169.254, carried in a 6to4 (RFC 3056) address)"},
		{"2002:c0a8:101:1::1", "a private (RFC 1918) address (192.168.1.1, carried in a 6to4 (RFC 3056) address)"},
		{"64:ff9b::127.0.0.1", "a loopback address (127.0.0.1, carried in a NAT64 (RFC 6052) address)"},
		{"64:ff9b:1::cb00:7107", "a local-use NAT64 (RFC 8215) address"},
		{"64:ff9b:1:ffff::1", "a local-use NAT64 (RFC 8215) address"},
		{"::ffff:0:127.0.0.1", "a loopback address (127.0.0.1, carried in an IPv4-translated (RFC 2765) address)"},
		// Teredo with server 65.54.227.120 and client 127.0.0.1 (0x80fffffe xor 0xffffffff).
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", "a Teredo tunnel (RFC 4380) address"},
		// Teredo with public server and client addresses is refused too: it is a tunnel.
		{"2001:0:cb00:7107::34ff:8ef8", "a Teredo tunnel (RFC 4380) address"},
		{"rebind.example", "a link-local address (cloud metadata)"},
		{"sixtofour.example", "a loopback address (127.0.0.1, carried in a 6to4 (RFC 3056) address)"},
		{"mapped.example", "a loopback address"},
		{"internal.example", "a private (RFC 1918) address"},
	}
	for _, c := range cases {
		t.Run(c.host, func(t *testing.T) {
			d, rec := newTestDialer(t, "", testResolver())
			_, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(c.host, "443"))
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindEndpointNotAllowed {
				t.Fatalf("DialContext(%s) error = %v, want kind %v", c.host, err, domain.KindEndpointNotAllowed)
			}
			if !strings.Contains(de.Message, c.class) || !strings.Contains(de.Message, "BUCKETD_ENDPOINT_ALLOWLIST") {
				t.Errorf("message %q does not name %q and the allow list", de.Message, c.class)
			}
			if got := rec.attempts(); len(got) != 0 {
				t.Errorf("dialled %v, want no attempt", got)
			}
		})
	}
}

func TestDialerMetadataMessage(t *testing.T) {
	d, _ := newTestDialer(t, "", testResolver())
	_, err := d.DialContext(context.Background(), "tcp", "rebind.example:80")
	want := "endpoint resolves to 169.254.169.254, a link-local address (cloud metadata); " +
		"only public addresses may be reached unless BUCKETD_ENDPOINT_ALLOWLIST names it"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

func TestDialerDialsCheckedPublicAddress(t *testing.T) {
	cases := []struct{ addr, want string }{
		{"public.example:443", "203.0.113.7:443"},
		{"203.0.113.7:443", "203.0.113.7:443"},
		{"[::ffff:203.0.113.7]:443", "203.0.113.7:443"},
		{"[2001:db8::1]:9000", "[2001:db8::1]:9000"},
		{"100.128.0.1:80", "100.128.0.1:80"}, // just past CGNAT
		{"172.32.0.1:80", "172.32.0.1:80"},   // just past 172.16.0.0/12
		{"mixed.example:443", "203.0.113.8:443"},
		// Forms that carry a public IPv4 address (203.0.113.7) stay allowed.
		{"[::203.0.113.7]:443", "[::cb00:7107]:443"},
		{"[2002:cb00:7107::1]:443", "[2002:cb00:7107::1]:443"},
		{"[64:ff9b::203.0.113.7]:443", "[64:ff9b::cb00:7107]:443"},
		{"[::ffff:0:203.0.113.7]:443", "[::ffff:0:cb00:7107]:443"},
		// Just outside the prefixes judged or refused above.
		{"[2001:1::1]:443", "[2001:1::1]:443"},
		{"[64:ff9b:2::1]:443", "[64:ff9b:2::1]:443"},
		{"[2003::7f00:1]:443", "[2003::7f00:1]:443"},
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			d, rec := newTestDialer(t, "", testResolver())
			_, err := d.DialContext(context.Background(), "tcp", c.addr)
			if !errors.Is(err, errRecorded) {
				t.Fatalf("DialContext(%s) error = %v, want the recorded dial", c.addr, err)
			}
			if got := rec.attempts(); !slices.Equal(got, []string{c.want}) {
				t.Errorf("dialled %v, want exactly [%s]", got, c.want)
			}
		})
	}
}

func TestDialerAllowList(t *testing.T) {
	cases := []struct{ name, allow, addr, want string }{
		{"cidr", "10.0.0.0/8", "10.1.2.3:9000", "10.1.2.3:9000"},
		{"cidr holds mapped address", "10.0.0.0/8", "[::ffff:10.1.2.3]:9000", "10.1.2.3:9000"},
		{"single ip", "169.254.169.254", "169.254.169.254:80", "169.254.169.254:80"},
		{"ipv6 prefix", "fd00::/8", "[fd12::1]:9000", "[fd12::1]:9000"},
		{"host name", "Internal.Example", "internal.example:9000", "192.168.1.10:9000"},
		{"host name with private answers", "mixed.example", "mixed.example:443", "127.0.0.1:443"},
		{"cidr on resolved name", "192.168.0.0/16", "internal.example:9000", "192.168.1.10:9000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, rec := newTestDialer(t, c.allow, testResolver())
			_, err := d.DialContext(context.Background(), "tcp", c.addr)
			if !errors.Is(err, errRecorded) {
				t.Fatalf("DialContext(%s) error = %v, want the recorded dial", c.addr, err)
			}
			if got := rec.attempts(); len(got) == 0 || got[0] != c.want {
				t.Errorf("dialled %v, want first %s", got, c.want)
			}
		})
	}
}

func TestDialerAllowListDoesNotLeak(t *testing.T) {
	cases := []struct{ name, allow, addr string }{
		{"other private range", "10.0.0.0/8", "192.168.1.1:80"},
		{"host name does not allow literal", "internal.example", "192.168.1.10:80"},
		{"other host name", "internal.example", "rebind.example:80"},
		{"ip does not allow neighbour", "169.254.169.253", "169.254.169.254:80"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, rec := newTestDialer(t, c.allow, testResolver())
			_, err := d.DialContext(context.Background(), "tcp", c.addr)
			if !domain.IsKind(err, domain.KindEndpointNotAllowed) {
				t.Fatalf("DialContext(%s) error = %v, want kind %v", c.addr, err, domain.KindEndpointNotAllowed)
			}
			if got := rec.attempts(); len(got) != 0 {
				t.Errorf("dialled %v, want no attempt", got)
			}
		})
	}
}

// A rebinding DNS server answers the first lookup with a public address and later ones with
// the metadata address. Every dial resolves once and connects to the literal it checked.
func TestDialerDefeatsDNSRebinding(t *testing.T) {
	res := newFakeResolver(map[string][]string{"flip.example": {"203.0.113.7"}}).
		then("flip.example", "169.254.169.254")
	d, rec := newTestDialer(t, "", res)

	if _, err := d.DialContext(context.Background(), "tcp", "flip.example:80"); !errors.Is(err, errRecorded) {
		t.Fatalf("first dial error = %v, want the recorded dial", err)
	}
	_, err := d.DialContext(context.Background(), "tcp", "flip.example:80")
	if !domain.IsKind(err, domain.KindEndpointNotAllowed) {
		t.Fatalf("second dial error = %v, want kind %v", err, domain.KindEndpointNotAllowed)
	}
	if got := rec.attempts(); !slices.Equal(got, []string{"203.0.113.7:80"}) {
		t.Errorf("dialled %v, want only the checked literal 203.0.113.7:80", got)
	}
	if n := res.lookups["flip.example"]; n != 2 {
		t.Errorf("resolved %d times, want once per dial (2)", n)
	}
}

func TestDialerTriesEveryAllowedAddress(t *testing.T) {
	res := newFakeResolver(map[string][]string{"multi.example": {"203.0.113.1", "10.0.0.1", "203.0.113.2"}})
	d, rec := newTestDialer(t, "", res)
	_, err := d.DialContext(context.Background(), "tcp", "multi.example:443")
	if !errors.Is(err, errRecorded) {
		t.Fatalf("error = %v, want the recorded dials", err)
	}
	if got, want := rec.attempts(), []string{"203.0.113.1:443", "203.0.113.2:443"}; !slices.Equal(got, want) {
		t.Errorf("dialled %v, want %v", got, want)
	}
}

func TestDialerResolveFailure(t *testing.T) {
	d, rec := newTestDialer(t, "", testResolver())
	_, err := d.DialContext(context.Background(), "tcp", "nowhere.example:443")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("error = %v, want a not-found *net.DNSError in the chain", err)
	}
	if got := rec.attempts(); len(got) != 0 {
		t.Errorf("dialled %v, want no attempt", got)
	}
}

func TestDialerRejectsBadInput(t *testing.T) {
	cases := []struct{ name, network, addr string }{
		{"udp", "udp", "public.example:53"},
		{"unix", "unix", "/run/docker.sock"},
		{"no port", "tcp", "public.example"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, rec := newTestDialer(t, "", testResolver())
			if _, err := d.DialContext(context.Background(), c.network, c.addr); err == nil || errors.Is(err, errRecorded) {
				t.Fatalf("DialContext(%s, %s) error = %v, want a refusal before dialling", c.network, c.addr, err)
			}
			if got := rec.attempts(); len(got) != 0 {
				t.Errorf("dialled %v, want no attempt", got)
			}
		})
	}
}
