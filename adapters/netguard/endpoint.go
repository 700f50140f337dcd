package netguard

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bucketd/bucketd/domain"
)

// CheckEndpoint accepts a caller-supplied endpoint only when it is a bare origin bucketd can
// safely connect to: scheme https (plain http only for hosts the allow list names, by host name
// or by an allowed prefix holding the literal IP), a host, no user info, no query, no fragment,
// and no path beyond "/". It returns the normalized origin (scheme and host only). Where the
// host resolves to is judged later, at connect time, by Dialer. The messages never echo the
// raw URL, which could carry a password in its user info.
func CheckEndpoint(raw string, allow AllowList) (*url.URL, error) {
	// url.Parse lets bytes that are not UTF-8 through in a host, where lowercasing it would turn
	// them into U+FFFD and so return an origin that is not the one given, nor one it accepts.
	if !utf8.ValidString(raw) {
		return nil, domain.Errorf(domain.KindInvalidInput,
			"endpoint is not valid UTF-8 text; write it as https://host or https://host:port")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, domain.Errorf(domain.KindInvalidInput,
			"endpoint is not a valid URL; write it as https://host or https://host:port")
	}
	if err := checkShape(raw, u); err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allow.allows(u.Hostname()) {
			return nil, refuse("endpoint must use https; plain http is allowed only for hosts in BUCKETD_ENDPOINT_ALLOWLIST")
		}
	default:
		return nil, refuse("endpoint scheme must be https (plain http only for hosts in BUCKETD_ENDPOINT_ALLOWLIST)")
	}
	return &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)}, nil
}

// checkShape enforces the parts of the rule that do not depend on the scheme.
func checkShape(raw string, u *url.URL) error {
	switch {
	case u.Opaque != "" || u.Hostname() == "":
		return refuse("endpoint must name a host, e.g. https://s3.example.com")
	case u.User != nil:
		return refuse("endpoint must not contain user info (user:password@); pass credentials as key and secret")
	case u.RawQuery != "" || u.ForceQuery:
		return refuse("endpoint must not contain a query (?...); give only scheme, host and port")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return refuse("endpoint must not contain a fragment (#...); give only scheme, host and port")
	case u.Path != "" && u.Path != "/":
		return refuse("endpoint must not contain a path; give only scheme, host and port (path-style addressing is automatic)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return refuse("endpoint port must be a number from 1 to 65535")
		}
	}
	return nil
}

func refuse(message string) *domain.Error {
	return domain.Errorf(domain.KindEndpointNotAllowed, "%s", message)
}

// Redact renders an endpoint or URL for a log line as its scheme, host and port only. User
// info may hold a password, a query a signature or token, and a path, in the URLs bucketd
// builds, a client email (the GCS key lists), so all of them go, with the fragment. Text that
// is not an absolute URL with a host becomes "(not a URL)" rather than risk printing what it
// holds; "" stays "" (no endpoint given). Endpoints CheckEndpoint accepted, and so every stored
// one, are bare origins already; this is for a caller's endpoint before or after it was refused.
func Redact(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "(not a URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}
