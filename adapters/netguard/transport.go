package netguard

import (
	"crypto/tls"
	"net/http"
	"time"
)

// Pool, timeout and size settings of the provider transport. Validation requests carry their
// own deadlines; these bound what a misbehaving provider can hold on to.
const (
	tlsHandshakeTimeout   = 10 * time.Second
	responseHeaderTimeout = 30 * time.Second
	expectContinueTimeout = time.Second
	idleConnTimeout       = 90 * time.Second
	maxIdleConns          = 256
	maxIdleConnsPerHost   = 16
	// MaxResponseHeaderBytes bounds an answer's status line and header block, 1xx answers
	// included: S3, GCS and Azure send 1 to 3 KB. It bounds the header count too, as every
	// header costs bytes (HTTP/2 charges each one 32 bytes on top of its name and value).
	MaxResponseHeaderBytes = 64 << 10
	// maxStreamReceiveBuffer bounds what an HTTP/2 provider may send on one request before
	// bucketd reads it; net/http would allow 4 MiB, all of it buffered beyond the body cap
	// when the reader stops at the cap. 256 KiB still moves a 1 MiB answer in a few round trips.
	maxStreamReceiveBuffer = 256 << 10
)

// NewTransport returns the transport all provider traffic shares, dialling through d. It never
// consults HTTP_PROXY and friends: a proxy would make the connection on bucketd's behalf and
// bypass the guard. It never asks for compressed answers, so what NewClient's body cap counts
// is what the caller reads (see bodyCap). Build one per process and share it; it pools
// connections.
func NewTransport(d *Dialer) *http.Transport {
	if d == nil {
		panic("netguard: NewTransport needs a Dialer")
	}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ResponseHeaderTimeout:  responseHeaderTimeout,
		ExpectContinueTimeout:  expectContinueTimeout,
		IdleConnTimeout:        idleConnTimeout,
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
		DisableCompression:     true,
		HTTP2:                  &http.HTTP2Config{MaxReceiveBufferPerStream: maxStreamReceiveBuffer},
	}
}

// NewClient returns an http.Client over t that never follows redirects: a provider's redirect
// is an answer to report (S3 answers 301 for a bucket in another region), not an instruction
// to connect somewhere else. It reads at most DefaultMaxBody bytes of an answer's body (see
// WithMaxBody and BodyLimitError); the cap sits in the client's Transport, so a client built on
// that Transport keeps it. It has no overall timeout; every request carries a deadline.
func NewClient(t http.RoundTripper, opts ...ClientOption) *http.Client {
	if t == nil {
		panic("netguard: NewClient needs a RoundTripper")
	}
	capped := &bodyCap{next: t, limit: DefaultMaxBody}
	for _, o := range opts {
		o(capped)
	}
	return &http.Client{
		Transport: capped,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
