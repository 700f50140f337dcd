package httpapi

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the proxies whose forwarded headers (X-Forwarded-For, X-Real-IP) say which
// client a request comes from. A client sets those headers to whatever it likes, so they are
// believed only from a socket peer inside one of these prefixes; without any, the socket peer
// is the client, whatever the headers say. Unlike Echo's extractors, nothing is trusted by
// default: a loopback or private peer is no more a proxy than any other.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies reads a comma-separated list of IP addresses and CIDR prefixes, such as
// "10.0.0.0/8, 192.0.2.7". The empty list trusts no proxy.
func ParseTrustedProxies(list string) (TrustedProxies, error) {
	var out TrustedProxies
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		prefix, err := parseProxy(item)
		if err != nil {
			return nil, err
		}
		out = append(out, prefix)
	}
	return out, nil
}

// parseProxy reads one IP address or CIDR prefix.
func parseProxy(item string) (netip.Prefix, error) {
	var prefix netip.Prefix
	if strings.Contains(item, "/") {
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q is not a CIDR prefix such as 10.0.0.0/8", item)
		}
		prefix = p.Masked()
	} else {
		addr, err := netip.ParseAddr(item)
		if err != nil || addr.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q is not an IP address or a CIDR prefix such as 10.0.0.0/8", item)
		}
		addr = addr.Unmap()
		prefix = netip.PrefixFrom(addr, addr.BitLen())
	}
	// Client addresses are compared unmapped, so an IPv4-mapped IPv6 prefix would never match.
	if prefix.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q: write an IPv4 prefix in IPv4 form, such as 10.0.0.0/8", item)
	}
	return prefix, nil
}

func (t TrustedProxies) trusts(addr netip.Addr) bool {
	for _, p := range t {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// clientAddr is the address of the client that sent r, without a port: the socket peer, unless
// that is a trusted proxy. Then it is the nearest address of X-Forwarded-For, read from the
// right (each proxy appends the address it received the request from), that is not itself a
// trusted proxy; or X-Real-IP when there is no X-Forwarded-For; or the peer when neither names
// an address. A malformed hop ends the walk at the last address known to be true, so garbage
// from a client never becomes its address.
func (t TrustedProxies) clientAddr(r *http.Request) string {
	peer, ok := parseHop(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr // not from a TCP connection; set by the server, never by the client
	}
	if !t.trusts(peer) {
		return peer.String()
	}
	if chain := r.Header.Values(headerXForwardedFor); len(chain) > 0 {
		return t.walk(strings.Join(chain, ","), peer).String()
	}
	if real, ok := parseHop(r.Header.Get(headerXRealIP)); ok {
		return real.String()
	}
	return peer.String()
}

// Both spelled as net/http canonicalizes them, so Header.Values finds them without work.
const (
	headerXForwardedFor = "X-Forwarded-For"
	headerXRealIP       = "X-Real-Ip"
)

// walk reads the X-Forwarded-For chain from the right, starting from the trusted peer that sent
// it, and returns the first hop that is not a trusted proxy; if every hop is trusted, the
// furthest one; if a hop is malformed, the hop after it, the last one a trusted proxy vouched for.
func (t TrustedProxies) walk(chain string, peer netip.Addr) netip.Addr {
	nearest := peer
	for chain != "" {
		hop := chain
		if i := strings.LastIndexByte(chain, ','); i >= 0 {
			hop, chain = chain[i+1:], chain[:i]
		} else {
			chain = ""
		}
		addr, ok := parseHop(hop)
		if !ok {
			return nearest
		}
		nearest = addr
		if !t.trusts(addr) {
			return addr
		}
	}
	return nearest
}

// parseHop reads an address as a socket peer or a forwarded header gives it: 192.0.2.1,
// 192.0.2.1:443, 2001:db8::1, [2001:db8::1] or [2001:db8::1]:443, with spaces around it. An
// IPv4-mapped IPv6 address becomes IPv4, and a zone is dropped, so one client has one spelling.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if s, ok = strings.CutSuffix(inner, "]"); !ok {
			return netip.Addr{}, false
		}
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}
