package netguard

import (
	"net/netip"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

func TestParseAllowListMatches(t *testing.T) {
	a := mustAllowList(t, " 127.0.0.0/8, 10.0.0.5 ,MinIO.Internal.,fd00::/8,,::ffff:192.0.2.1")
	addrs := []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"::ffff:127.0.0.1", true},
		{"10.0.0.5", true},
		{"10.0.0.6", false},
		{"fd12::1", true},
		{"fe80::1", false},
		{"192.0.2.1", true},
		{"169.254.169.254", false},
	}
	for _, c := range addrs {
		if got := a.AllowsAddr(netip.MustParseAddr(c.ip)); got != c.want {
			t.Errorf("AllowsAddr(%s) = %v, want %v", c.ip, got, c.want)
		}
	}
	hosts := []struct {
		host string
		want bool
	}{
		{"minio.internal", true},
		{"MINIO.INTERNAL", true},
		{"minio.internal.", true},
		{"other.internal", false},
		{"sub.minio.internal", false},
		{"127.0.0.1", false}, // prefixes allow addresses, never names
	}
	for _, c := range hosts {
		if got := a.AllowsHost(c.host); got != c.want {
			t.Errorf("AllowsHost(%s) = %v, want %v", c.host, got, c.want)
		}
	}
}

func TestParseAllowListEmpty(t *testing.T) {
	for _, spec := range []string{"", " ", ",, ,"} {
		a := mustAllowList(t, spec)
		if a.AllowsAddr(netip.MustParseAddr("127.0.0.1")) || a.AllowsHost("localhost") {
			t.Errorf("ParseAllowList(%q) allows something", spec)
		}
	}
}

func TestParseAllowListRejects(t *testing.T) {
	for _, spec := range []string{
		"http://minio.internal",
		"minio.internal:9000",
		"10.0.0.0/33",
		"10.0.0.0/x",
		"-bad.example",
		"bad..example",
		"under score ok",
		"127.0.0.0/8,*.example.com",
	} {
		_, err := ParseAllowList(spec)
		if !domain.IsKind(err, domain.KindInvalidInput) {
			t.Errorf("ParseAllowList(%q) error = %v, want kind %v", spec, err, domain.KindInvalidInput)
		}
	}
}
