package netguard

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

// fuzzAllowList names a loopback range, an IPv6 range and a host, as operators write it.
const fuzzAllowList = "127.0.0.0/8,fd00::/8,minio.internal"

// FuzzCheckEndpoint feeds arbitrary text to CheckEndpoint. It never panics; what it accepts is
// a bare origin (https, or http to an allow-listed host; a host and at most a valid port; no
// user info, path, query or fragment) that it accepts again unchanged; what it refuses is a
// caller-facing error.
func FuzzCheckEndpoint(f *testing.F) {
	for _, seed := range []string{
		"https://s3.example.com", "http://127.0.0.1:9000", "http://minio.internal", "https://user:pass@s3.example.com",
		"https://s3.example.com/?x=1", "https://s3.example.com#f", "http://[fd00::1]:80", "ftp://s3.example.com",
	} {
		f.Add(seed)
	}
	allow, err := ParseAllowList(fuzzAllowList)
	if err != nil {
		f.Fatalf("ParseAllowList: %v", err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := CheckEndpoint(raw, allow)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || (de.Kind != domain.KindInvalidInput && de.Kind != domain.KindEndpointNotAllowed) {
				t.Fatalf("CheckEndpoint(%q) = %v, want an invalid-input or endpoint-not-allowed domain error", raw, err)
			}
			return
		}
		switch {
		case u.Scheme != "https" && !(u.Scheme == "http" && allow.allows(u.Hostname())):
			t.Fatalf("CheckEndpoint(%q) accepted scheme %q for host %q", raw, u.Scheme, u.Hostname())
		case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Path != "" || u.Opaque != "":
			t.Fatalf("CheckEndpoint(%q) = %#v, want scheme and host only", raw, u)
		case u.Hostname() == "" || u.Host != strings.ToLower(u.Host):
			t.Fatalf("CheckEndpoint(%q) accepted host %q, want a lowercase host", raw, u.Host)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				t.Fatalf("CheckEndpoint(%q) accepted port %q", raw, p)
			}
		}
		again, err := CheckEndpoint(u.String(), allow)
		if err != nil || again.String() != u.String() {
			t.Fatalf("CheckEndpoint(%q) = %q, which it does not accept unchanged (%v, %v)", raw, u, again, err)
		}
	})
}

// FuzzRedact feeds arbitrary text to Redact. What it renders is "", "(not a URL)" or a URL of
// a scheme and a host only, so no user info, path, query or fragment reaches a log.
func FuzzRedact(f *testing.F) {
	for _, seed := range []string{
		"https://user:pass@s3.example.com/p?q=1#f", "user:pass@host", "//user:pass@host", "https://h/%zz", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := Redact(raw)
		if got == "" || got == "(not a URL)" {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.Opaque != "" ||
			u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(got, "@?#") {
			t.Fatalf("Redact(%q) = %q, want a scheme and a host only", raw, got)
		}
	})
}
