package netguard

import (
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

func TestCheckEndpointAccepts(t *testing.T) {
	allow := mustAllowList(t, "127.0.0.0/8,minio.internal,fd00::/8")
	cases := []struct{ raw, want string }{
		{"https://s3.eu-west-1.amazonaws.com", "https://s3.eu-west-1.amazonaws.com"},
		{"https://gateway.storjshare.io/", "https://gateway.storjshare.io"},
		{"HTTPS://S3.Example.COM:8443", "https://s3.example.com:8443"},
		{"  https://s3.example.com  ", "https://s3.example.com"},
		{"https://10.1.2.3", "https://10.1.2.3"}, // https to a private literal: the dialer judges the address
		{"http://127.0.0.1:7070", "http://127.0.0.1:7070"},
		{"http://minio.internal:9000/", "http://minio.internal:9000"},
		{"http://MinIO.Internal", "http://minio.internal"},
		{"http://[fd00::5]:9000", "http://[fd00::5]:9000"},
	}
	for _, c := range cases {
		t.Run(c.raw, func(t *testing.T) {
			u, err := CheckEndpoint(c.raw, allow)
			if err != nil {
				t.Fatalf("CheckEndpoint(%q) error = %v", c.raw, err)
			}
			if u.String() != c.want {
				t.Errorf("CheckEndpoint(%q) = %q, want %q", c.raw, u, c.want)
			}
		})
	}
}

func TestCheckEndpointRefuses(t *testing.T) {
	allow := mustAllowList(t, "127.0.0.0/8,minio.internal")
	cases := []struct {
		name, raw string
		kind      domain.Kind
		says      string
	}{
		{"plain http public", "http://s3.example.com", domain.KindEndpointNotAllowed, "must use https"},
		{"plain http private literal", "http://10.0.0.1:9000", domain.KindEndpointNotAllowed, "must use https"},
		{"plain http metadata", "http://169.254.169.254", domain.KindEndpointNotAllowed, "BUCKETD_ENDPOINT_ALLOWLIST"},
		{"plain http other name", "http://minio.internal.evil.example", domain.KindEndpointNotAllowed, "must use https"},
		{"ftp", "ftp://s3.example.com", domain.KindEndpointNotAllowed, "scheme must be https"},
		{"file", "file:///etc/passwd", domain.KindEndpointNotAllowed, "must name a host"},
		{"no scheme", "s3.example.com", domain.KindEndpointNotAllowed, "must name a host"},
		{"host and port without scheme", "localhost:9000", domain.KindEndpointNotAllowed, "must name a host"},
		{"empty host", "https://", domain.KindEndpointNotAllowed, "must name a host"},
		{"empty", "", domain.KindEndpointNotAllowed, "must name a host"},
		{"user info", "https://admin:hunter2@s3.example.com", domain.KindEndpointNotAllowed, "user info"},
		{"query", "https://s3.example.com/?x=1", domain.KindEndpointNotAllowed, "query"},
		{"empty query", "https://s3.example.com?", domain.KindEndpointNotAllowed, "query"},
		{"fragment", "https://s3.example.com#frag", domain.KindEndpointNotAllowed, "fragment"},
		{"empty fragment", "https://s3.example.com/#", domain.KindEndpointNotAllowed, "fragment"},
		{"path", "https://s3.example.com/bucket", domain.KindEndpointNotAllowed, "path"},
		{"port zero", "https://s3.example.com:0", domain.KindEndpointNotAllowed, "port"},
		{"port too large", "https://s3.example.com:70000", domain.KindEndpointNotAllowed, "port"},
		{"bad port", "https://s3.example.com:x", domain.KindInvalidInput, "not a valid URL"},
		{"control character", "https://s3.example.com/\x7f", domain.KindInvalidInput, "not a valid URL"},
		{"not UTF-8 in an IPv6 zone", "http://[fd00::%25\x88]", domain.KindInvalidInput, "not valid UTF-8"},
		{"bad escape with password", "https://u:hunter2@s3.example.com/%zz", domain.KindInvalidInput, "not a valid URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := CheckEndpoint(c.raw, allow)
			if !domain.IsKind(err, c.kind) {
				t.Fatalf("CheckEndpoint(%q) error = %v, want kind %v", c.raw, err, c.kind)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("message %q does not say %q", err, c.says)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("message %q echoes the password", err)
			}
		})
	}
}

// CheckEndpoint leaves where an https endpoint's host leads to the dialer, literal addresses
// included, so an IPv6 literal that carries a non-public IPv4 address passes it and is then
// refused before any dial. Plain http needs the literal itself on the allow list: an allowed
// 127.0.0.0/8 does not allow the IPv6 forms that carry 127.0.0.1.
func TestLiteralEndpointsAreJudgedWhenDialled(t *testing.T) {
	allow := mustAllowList(t, "127.0.0.0/8")
	for _, host := range []string{
		"[::127.0.0.1]", "[2002:7f00:1::]", "[2001:0:4136:e378:8000:63bf:80ff:fffe]", "[64:ff9b::a9fe:a9fe]",
		"[::ffff:169.254.169.254]", "[64:ff9b:1::1]", "169.254.169.254", "[fd00:ec2::254]",
	} {
		t.Run(host, func(t *testing.T) {
			u, err := CheckEndpoint("https://"+host, allow)
			if err != nil {
				t.Fatalf("CheckEndpoint(https://%s) error = %v, want it left to the dialer", host, err)
			}
			rec := &dialRecorder{}
			client := NewClient(NewTransport(NewDialer(allow, WithResolver(testResolver()), WithDialFunc(rec.dial))))
			if _, err := get(t, client, u.String()+"/"); !domain.IsKind(err, domain.KindEndpointNotAllowed) {
				t.Fatalf("GET %s error = %v, want kind %v", u, err, domain.KindEndpointNotAllowed)
			}
			if got := rec.attempts(); len(got) != 0 {
				t.Errorf("dialled %v, want no attempt", got)
			}
		})
	}
	for _, raw := range []string{"http://[::127.0.0.1]", "http://[2002:7f00:1::]", "http://[64:ff9b::7f00:1]"} {
		if _, err := CheckEndpoint(raw, allow); !domain.IsKind(err, domain.KindEndpointNotAllowed) || !strings.Contains(err.Error(), "must use https") {
			t.Errorf("CheckEndpoint(%s) error = %v, want plain http refused", raw, err)
		}
	}
}

func TestRedact(t *testing.T) {
	for raw, want := range map[string]string{
		"":                       "",
		"https://s3.example.com": "https://s3.example.com",
		"https://admin:hunter2@s3.example.com:8443":                                                  "https://s3.example.com:8443",
		"https://hunter2@s3.example.com/":                                                            "https://s3.example.com",
		"https://s3.example.com/?X-Amz-Signature=hunter2&token=hunter2":                              "https://s3.example.com",
		"https://s3.example.com/#hunter2":                                                            "https://s3.example.com",
		"https://www.googleapis.com/service_accounts/v1/jwk/hunter2@project.iam.gserviceaccount.com": "https://www.googleapis.com",
		"http://[fd00::1%25eth0]:9000/":                                                              "http://[fd00::1%25eth0]:9000",
		"  https://s3.example.com  ":                                                                 "https://s3.example.com",
		"admin:hunter2@s3.example.com":                                                               "(not a URL)", // parses as scheme "admin", opaque "hunter2@..."
		"s3.example.com/hunter2":                                                                     "(not a URL)",
		"https://admin:hunter2@s3.example.com/%zz":                                                   "(not a URL)",
		"https://u:hunter2@s3.example.com/\x7f":                                                      "(not a URL)",
		"//admin:hunter2@s3.example.com":                                                             "(not a URL)",
	} {
		if got := Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
	}
}
