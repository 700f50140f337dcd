package netguard

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/bucketd/bucketd/domain"
)

// AllowList names the hosts and address ranges that may be reached although the guard would
// refuse them otherwise: plain http endpoints, and loopback, private or link-local addresses.
// The zero value allows nothing beyond the defaults.
type AllowList struct {
	prefixes []netip.Prefix
	hosts    map[string]struct{}
}

// ParseAllowList reads BUCKETD_ENDPOINT_ALLOWLIST: comma-separated entries, each an IP address
// ("10.0.0.5"), a CIDR prefix ("127.0.0.0/8", "fd00::/8") or a host name ("minio.internal",
// matched exactly and case-insensitively). Blank entries are ignored, so an empty spec yields an
// empty list.
func ParseAllowList(spec string) (AllowList, error) {
	var a AllowList
	for _, raw := range strings.Split(spec, ",") {
		entry := strings.TrimSpace(raw)
		if entry == "" {
			continue
		}
		if err := a.add(entry); err != nil {
			return AllowList{}, err
		}
	}
	return a, nil
}

func (a *AllowList) add(entry string) error {
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return domain.Wrap(domain.KindInvalidInput, err, fmt.Sprintf(
				"BUCKETD_ENDPOINT_ALLOWLIST entry %q is not a valid CIDR prefix; write it like 127.0.0.0/8 or fd00::/8", entry))
		}
		a.prefixes = append(a.prefixes, p.Masked())
		return nil
	}
	if ip, err := netip.ParseAddr(entry); err == nil {
		ip = ip.Unmap().WithZone("")
		a.prefixes = append(a.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
		return nil
	}
	host := normalizeHost(entry)
	if !isHostName(host) {
		return domain.Errorf(domain.KindInvalidInput,
			"BUCKETD_ENDPOINT_ALLOWLIST entry %q is neither an IP address, a CIDR prefix nor a host name; "+
				"list bare hosts without scheme or port, e.g. minio.internal,127.0.0.0/8", entry)
	}
	if a.hosts == nil {
		a.hosts = make(map[string]struct{})
	}
	a.hosts[host] = struct{}{}
	return nil
}

// AllowsHost reports whether the host name itself is on the list. It matches names only, never
// addresses, so "localhost" on the list does not allow 127.0.0.1 written as a literal.
func (a AllowList) AllowsHost(host string) bool {
	_, ok := a.hosts[normalizeHost(host)]
	return ok
}

// AllowsAddr reports whether ip lies inside an allowed prefix. IPv4-mapped IPv6 addresses are
// matched as the IPv4 address they carry.
func (a AllowList) AllowsAddr(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// allows reports whether host (a name or an IP literal) is allow-listed by name or address.
func (a AllowList) allows(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return a.AllowsAddr(ip)
	}
	return a.AllowsHost(host)
}

// normalizeHost lowercases a host name and drops the trailing dot of a fully qualified name,
// so "MinIO.internal." and "minio.internal" are the same entry.
func normalizeHost(host string) string {
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// isHostName reports whether s is a syntactically valid DNS host name (letters, digits,
// hyphens and underscores in dot-separated labels of 1..63 characters).
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
