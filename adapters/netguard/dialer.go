package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// Resolver looks up the addresses of a host name. *net.Resolver satisfies it; tests inject
// fakes so no query leaves the machine.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc connects to an address that the guard has already checked, always an IP literal
// with a port. Tests inject one that records attempts instead of connecting.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Dialer connects only to addresses the guard allows. Use its DialContext as the
// http.Transport.DialContext of all provider traffic (NewTransport does).
type Dialer struct {
	allow    AllowList
	resolver Resolver
	dial     DialFunc
}

// Option customizes a Dialer.
type Option func(*Dialer)

// WithResolver replaces net.DefaultResolver.
func WithResolver(r Resolver) Option { return func(d *Dialer) { d.resolver = r } }

// WithDialFunc replaces the real TCP connect.
func WithDialFunc(f DialFunc) Option { return func(d *Dialer) { d.dial = f } }

// Connect defaults: a provider that does not complete a TCP handshake in 10 s is down for
// practical purposes, and keep-alives detect dead pooled connections.
const (
	connectTimeout = 10 * time.Second
	keepAlive      = 30 * time.Second
)

// NewDialer returns a Dialer that refuses non-public addresses unless allow names them.
func NewDialer(allow AllowList, opts ...Option) *Dialer {
	d := &Dialer{
		allow:    allow,
		resolver: net.DefaultResolver,
		dial:     (&net.Dialer{Timeout: connectTimeout, KeepAlive: keepAlive}).DialContext,
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// DialContext resolves the host of addr, drops every address the guard refuses, and connects
// to the remaining ones in order, by IP literal, so the address that was checked is the one
// that is reached. When no address survives, it returns a *domain.Error of kind
// KindEndpointNotAllowed naming the refused address and its class.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	lookupNet, err := ipNetwork(network)
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("netguard: dial %q: %w", addr, err)
	}
	addrs, err := d.resolve(ctx, lookupNet, host)
	if err != nil {
		return nil, err
	}
	allowed, refusal := d.filter(host, addrs)
	if len(allowed) == 0 {
		return nil, refusal
	}
	var errs []error
	for _, ip := range allowed {
		conn, err := d.dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// resolve returns host itself when it is an IP literal and asks the resolver otherwise. IPv4-mapped
// answers are unmapped, so they are judged and dialled as the IPv4 address they carry.
func (d *Dialer) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	addrs, err := d.resolver.LookupNetIP(ctx, network, host)
	if err != nil {
		return nil, fmt.Errorf("netguard: resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	// A fresh slice: the resolver may hand out its cached answer, which is not ours to change.
	unmapped := make([]netip.Addr, len(addrs))
	for i, ip := range addrs {
		unmapped[i] = ip.Unmap()
	}
	return unmapped, nil
}

// filter keeps the addresses the guard allows. A host named on the allow list may reach any
// of its addresses; otherwise an address must be public or inside an allowed prefix. The
// refusal describes the first address dropped.
func (d *Dialer) filter(host string, addrs []netip.Addr) ([]netip.Addr, error) {
	if d.allow.AllowsHost(host) {
		return addrs, nil
	}
	var allowed []netip.Addr
	var refusal error
	for _, ip := range addrs {
		class := addrClass(ip)
		if class == "" || d.allow.AllowsAddr(ip) {
			allowed = append(allowed, ip)
			continue
		}
		if refusal == nil {
			refusal = domain.Errorf(domain.KindEndpointNotAllowed,
				"endpoint resolves to %s, %s; only public addresses may be reached unless BUCKETD_ENDPOINT_ALLOWLIST names it",
				ip, class)
		}
	}
	return allowed, refusal
}

// ipNetwork maps a dial network to the resolver network that yields matching addresses. Only
// TCP is supported: provider traffic is HTTP.
func ipNetwork(network string) (string, error) {
	switch network {
	case "tcp":
		return "ip", nil
	case "tcp4":
		return "ip4", nil
	case "tcp6":
		return "ip6", nil
	}
	return "", fmt.Errorf("netguard: network %q is not supported; only tcp, tcp4 and tcp6 are", network)
}
