package netguard

import (
	"crypto/tls"
	"net/http"
	"time"
)

// Pool and timeout settings of the provider transport. Validation requests carry their own
// deadlines; these bound what a misbehaving provider can hold on to.
const (
	tlsHandshakeTimeout   = 10 * time.Second
	responseHeaderTimeout = 30 * time.Second
	expectContinueTimeout = time.Second
	idleConnTimeout       = 90 * time.Second
	maxIdleConns          = 256
	maxIdleConnsPerHost   = 16
	maxResponseHeaderSize = 1 << 20
)

// NewTransport returns the transport all provider traffic shares, dialling through d. It never
// consults HTTP_PROXY and friends: a proxy would make the connection on bucketd's behalf and
// bypass the guard. Build one per process and share it; it pools connections.
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
		MaxResponseHeaderBytes: maxResponseHeaderSize,
	}
}

// NewClient returns an http.Client over t that never follows redirects: a provider's redirect
// is an answer to report (S3 answers 301 for a bucket in another region), not an instruction
// to connect somewhere else. It has no overall timeout; every request carries a deadline.
func NewClient(t http.RoundTripper) *http.Client {
	if t == nil {
		panic("netguard: NewClient needs a RoundTripper")
	}
	return &http.Client{
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
