package providercheck_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

func TestDescribeTransport(t *testing.T) {
	const where = "https://s3.example.com"
	guard := domain.Errorf(domain.KindEndpointNotAllowed, "endpoint resolves to 10.0.0.1, a private address")
	dial := func(err error) error {
		return &url.Error{Op: "Get", URL: where, Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	for name, c := range map[string]struct {
		kind domain.Kind
		err  error
		want string
	}{
		"guard refusal in the dial": {domain.KindEndpointNotAllowed, &url.Error{Op: "Get", URL: where, Err: guard},
			"connect: endpoint resolves to 10.0.0.1, a private address"},
		"connection refused": {domain.KindEndpointUnreachable, dial(syscall.ECONNREFUSED),
			"connect: cannot reach https://s3.example.com: connection refused; check the endpoint's host and port"},
		"connection reset": {domain.KindEndpointUnreachable, dial(syscall.ECONNRESET),
			"connect: cannot reach https://s3.example.com: the connection was reset; check the endpoint's host, port and scheme"},
		"unknown host": {domain.KindEndpointUnreachable, &net.DNSError{Name: "s3.example.com", Err: "no such host", IsNotFound: true},
			"connect: cannot reach https://s3.example.com: host s3.example.com could not be resolved; check the endpoint's host name"},
		"tls to plain http": {domain.KindEndpointUnreachable, tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"},
			"connect: cannot reach https://s3.example.com: the server does not speak TLS; is the endpoint plain http?"},
		"scheme mismatch": {domain.KindEndpointUnreachable, fmt.Errorf("get: %w", http.ErrSchemeMismatch),
			"connect: cannot reach https://s3.example.com: the server does not speak TLS; is the endpoint plain http?"},
		"certificate for another host": {domain.KindEndpointUnreachable, x509.HostnameError{Certificate: &x509.Certificate{}, Host: "s3.example.com"},
			"connect: cannot reach https://s3.example.com: its TLS certificate is not valid for the endpoint; " +
				"use a trusted certificate matching the host name (or is the endpoint plain http?)"},
		"tls alert": {domain.KindEndpointUnreachable, tls.AlertError(40),
			"connect: cannot reach https://s3.example.com: the TLS handshake failed (tls: handshake failure); is the endpoint plain http?"},
		"other dial failure": {domain.KindEndpointUnreachable, dial(syscall.EHOSTUNREACH),
			"connect: cannot reach https://s3.example.com: the connection failed; check the endpoint's host, port and scheme"},
		"deadline": {domain.KindProviderTimeout, fmt.Errorf("get: %w", context.DeadlineExceeded),
			"connect: https://s3.example.com did not answer within 10s; check the endpoint, or retry later"},
		"canceled": {domain.KindProviderTimeout, fmt.Errorf("get: %w", context.Canceled),
			"connect: the validation was canceled before https://s3.example.com answered"},
		"answer over the body cap": {domain.KindProviderError, &url.Error{Op: "Get", URL: where, Err: &netguard.BodyLimitError{Limit: 1 << 20}},
			"connect: https://s3.example.com answered with more than 1 MiB; bucketd reads at most 1 MiB of a provider's answer (--provider-max-body)"},
		"request not built": {domain.KindInternal, errors.New("serialize: bad input"),
			"connect: the request could not be sent"},
		"refusal without its error": {domain.KindEndpointNotAllowed, errors.New("refused"),
			"connect: the request could not be sent"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := providercheck.DescribeTransport("connect", where, c.kind, c.err, 10*time.Second); got != c.want {
				t.Errorf("DescribeTransport = %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestDescribeServerError(t *testing.T) {
	for name, c := range map[string]struct {
		status int
		code   string
		want   string
	}{
		"with a code":    {503, "ServerBusy", "container: AWS S3 failed with 503 Service Unavailable (ServerBusy); retry later"},
		"without a code": {500, "", "container: AWS S3 failed with 500 Internal Server Error; retry later"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := providercheck.DescribeServerError("container", "AWS S3", c.status, c.code); got != c.want {
				t.Errorf("DescribeServerError = %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestInCheck(t *testing.T) {
	cause := errors.New("parse failure")
	refusal := domain.Wrap(domain.KindEndpointNotAllowed, cause, "endpoint must use https")
	err := providercheck.InCheck("connect", fmt.Errorf("check: %w", refusal))
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindEndpointNotAllowed || de.Message != "connect: endpoint must use https" {
		t.Fatalf("InCheck = %#v, want the refusal's kind with the check's name in front of its message", err)
	}
	if !errors.Is(err, cause) {
		t.Error("InCheck lost the refusal's cause")
	}
	plain := errors.New("not classified")
	if got := providercheck.InCheck("connect", plain); got != plain {
		t.Errorf("InCheck(unclassified) = %v, want it unchanged", got)
	}
}
