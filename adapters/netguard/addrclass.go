package netguard

import (
	"fmt"
	"net/netip"
)

// blockedRange is an address range the guard refuses, with the phrase that names it in the
// refusal, e.g. "a link-local address (cloud metadata)".
type blockedRange struct {
	prefix netip.Prefix
	class  string
}

// blockedRanges lists every non-public range. The first match wins, so narrower ranges that
// deserve a more specific name come before the ranges that contain them.
var blockedRanges = []blockedRange{
	{netip.MustParsePrefix("0.0.0.0/8"), `an unspecified ("this network") address`},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT (RFC 6598) address"},
	{netip.MustParsePrefix("169.254.169.254/32"), "a link-local address (cloud metadata)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved (RFC 1112) address"},
	{netip.MustParsePrefix("::/128"), "an unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	// Local-use NAT64 (RFC 8215) translates to IPv4 addresses of the operator's own network,
	// and its prefix says nothing fixed about where the IPv4 address sits in it.
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 (RFC 8215) address"},
	// Teredo (RFC 4380) carries two IPv4 addresses, its server's and (obfuscated) its client's,
	// and reaches the client through whichever relay the route picks, behind the client's NAT.
	// Judging it by either address would leave the other one, and the relay, unjudged; no
	// storage provider serves from a Teredo address, so the whole tunnel prefix is refused.
	{netip.MustParsePrefix("2001::/32"), "a Teredo tunnel (RFC 4380) address"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "a unique local address (cloud metadata)"},
	{netip.MustParsePrefix("fc00::/7"), "a unique local (private) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local (private) address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// embedding is an IPv6 range whose addresses carry an IPv4 address, which a translator or a
// tunnel on the way connects to: such an address is judged as the IPv4 address it carries.
type embedding struct {
	prefix netip.Prefix
	at     int // byte offset of the IPv4 address in the IPv6 address
	form   string
}

var embeddings = []embedding{
	{netip.MustParsePrefix("64:ff9b::/96"), 12, "a NAT64 (RFC 6052) address"},
	{netip.MustParsePrefix("2002::/16"), 2, "a 6to4 (RFC 3056) address"},
	// IPv4-compatible addresses (RFC 4291, deprecated); :: and ::1, in the same range, are
	// IPv6's own unspecified and loopback addresses and are named as such before this applies.
	{netip.MustParsePrefix("::/96"), 12, "an IPv4-compatible address"},
	{netip.MustParsePrefix("::ffff:0:0:0/96"), 12, "an IPv4-translated (RFC 2765) address"},
}

// addrClass returns the phrase naming ip's non-public class, or "" for a public address.
// IPv4-mapped addresses (::ffff:a.b.c.d) are IPv4 addresses; the other forms that embed one
// (NAT64, 6to4, IPv4-compatible, IPv4-translated) are judged by the IPv4 address they carry.
func addrClass(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	if class := rangeClass(ip); class != "" {
		return class
	}
	for _, e := range embeddings {
		if !e.prefix.Contains(ip) {
			continue
		}
		b := ip.As16()
		v4 := netip.AddrFrom4([4]byte(b[e.at : e.at+4]))
		if class := rangeClass(v4); class != "" {
			return fmt.Sprintf("%s (%s, carried in %s)", class, v4, e.form)
		}
		return ""
	}
	return ""
}

// rangeClass names the first blocked range holding ip, or returns "" when none does.
func rangeClass(ip netip.Addr) string {
	for _, r := range blockedRanges {
		if r.prefix.Contains(ip) {
			return r.class
		}
	}
	return ""
}
