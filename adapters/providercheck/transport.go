package providercheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
)

// TransportKind classifies a failure that produced no HTTP answer, or no whole one: the SSRF
// guard's refusal keeps its own kind, an answer over the body cap or one that is not HTTP
// bucketd reads (isBrokenHTTP) is a provider error, a
// deadline or cancellation is a provider timeout, and a failed dial, name lookup or TLS
// handshake means the endpoint is unreachable. ok is false when err is none of these, for
// example an SDK failing to build its request.
func TransportKind(err error) (kind domain.Kind, ok bool) {
	var de *domain.Error
	var tooLarge *netguard.BodyLimitError
	var ne net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var urlErr *url.Error
	switch {
	case err == nil:
		return 0, false
	case errors.As(err, &de):
		return de.Kind, true
	case errors.As(err, &tooLarge), isBrokenHTTP(err):
		return domain.KindProviderError, true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.As(err, &ne) && ne.Timeout():
		return domain.KindProviderTimeout, true
	case errors.As(err, &opErr), errors.As(err, &dnsErr), isTLSFailure(err),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, http.ErrSchemeMismatch), errors.As(err, &urlErr):
		return domain.KindEndpointUnreachable, true
	}
	return 0, false
}

// brokenHTTP is what net/http's client says of an answer it will not read as HTTP: a status
// line and header block over netguard.MaxResponseHeaderBytes, endless informational (1xx)
// answers, or bytes that are not HTTP at all. The endpoint was reached and answered, so this is
// the provider's fault, not a connection failure. net/http returns these as untyped errors, so
// their text is all there is to match; TestTransportKindOfBrokenHTTP provokes each one from a
// real server, so a Go release that rewords one fails it.
var brokenHTTP = []string{
	"server response headers exceeded",
	"too many 1xx informational responses",
	"malformed HTTP response",
	"malformed HTTP status code",
	"malformed MIME header",
}

func isBrokenHTTP(err error) bool {
	if err == nil {
		return false
	}
	text := err.Error()
	return slices.ContainsFunc(brokenHTTP, func(s string) bool { return strings.Contains(text, s) })
}

func isTLSFailure(err error) bool {
	var recordErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var alertErr tls.AlertError
	return errors.As(err, &recordErr) || errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &alertErr)
}

// unreachableReason says why no connection came about and what to check.
func unreachableReason(err error) string {
	var dnsErr *net.DNSError
	var recordErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var alertErr tls.AlertError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("host %s could not be resolved; check the endpoint's host name", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused; check the endpoint's host and port"
	case errors.Is(err, http.ErrSchemeMismatch), errors.As(err, &recordErr):
		return "the server does not speak TLS; is the endpoint plain http?"
	case errors.As(err, &certErr), errors.As(err, &hostErr):
		return "its TLS certificate is not valid for the endpoint; use a trusted certificate matching the host name (or is the endpoint plain http?)"
	case errors.As(err, &alertErr):
		return fmt.Sprintf("the TLS handshake failed (%v); is the endpoint plain http?", alertErr)
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection was reset; check the endpoint's host, port and scheme"
	}
	return "the connection failed; check the endpoint's host, port and scheme"
}
