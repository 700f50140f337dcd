package netguard

import (
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxBody is how much of one answer's body a NewClient client reads unless WithMaxBody
// says otherwise. The answers bucketd needs (an S3 listing of one key, a GCS bucket's metadata,
// a token, a key list) are a few KB, so 256 KiB leaves a wide margin. It is no larger because
// the SDKs hold what they read, so the memory that many endless answers at once can take grows
// with it (docs/security.md has the measurements).
const DefaultMaxBody = 256 << 10

// BodyLimitError is what reading an answer's body returns once the provider has sent more than
// Limit bytes, or what the request returns at once when the answer declares a Content-Length
// over Limit. Match it with errors.As.
type BodyLimitError struct {
	Limit int64
}

func (e *BodyLimitError) Error() string {
	size := FormatSize(e.Limit)
	return "the provider's answer is larger than " + size + ", the most bucketd reads (--provider-max-body)"
}

// FormatSize writes a byte count as people read it: "1 MiB", "64 KiB", "1000 bytes". Only
// whole units are used, so the figure is exact.
func FormatSize(n int64) string {
	switch {
	case n != 0 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n != 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n != 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n == 1:
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// ClientOption customizes a client built by NewClient.
type ClientOption func(*bodyCap)

// WithMaxBody sets how many bytes of one answer's body the client reads; n must be positive.
func WithMaxBody(n int64) ClientOption {
	if n <= 0 {
		panic(fmt.Sprintf("netguard: WithMaxBody(%d): the limit must be positive", n))
	}
	return func(c *bodyCap) { c.limit = n }
}

// bodyCap is the RoundTripper NewClient puts in front of the transport, so that the limit
// holds for whoever sends through the client's Transport, also a client that wraps it (the
// GCS validator builds one that adds its bearer token).
//
// It counts the bytes as they come off the connection, which are the bytes the caller reads:
// nothing between the two inflates them. NewTransport does not ask for compression, so net/http
// decodes nothing; the S3 SDK asks for identity, Google's API client refuses to set an
// Accept-Encoding of its own, and the Azure SDK and bucketd's own requests set none. A gzip
// bomb therefore reaches the caller still compressed, as bytes its parser refuses.
type bodyCap struct {
	next  http.RoundTripper
	limit int64
}

func (c *bodyCap) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || resp.Body == http.NoBody || req.Method == http.MethodHead {
		return resp, err
	}
	if resp.ContentLength > c.limit {
		// Declared too large: fail before reading any of it. Closing the unread body closes
		// the connection rather than draining it for reuse.
		resp.Body.Close()
		return nil, &BodyLimitError{Limit: c.limit}
	}
	resp.Body = &cappedBody{body: resp.Body, left: c.limit, limit: c.limit}
	return resp, nil
}

// cappedBody reads at most limit bytes of body, then fails with a *BodyLimitError.
type cappedBody struct {
	body  io.ReadCloser
	left  int64 // bytes still allowed
	limit int64
	err   error // sticky, once the limit is passed
}

// Read asks the connection for at most one byte more than is still allowed, so passing the
// limit is noticed without reading further. It then closes body at once, which in net/http
// drops the connection (an HTTP/2 stream is reset) rather than leaving the rest of the
// answer for the pool to drain, whether or not the caller closes the body.
func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	if int64(n) <= b.left {
		b.left -= int64(n)
		return n, err
	}
	n = int(b.left)
	b.left = 0
	b.err = &BodyLimitError{Limit: b.limit}
	b.body.Close()
	return n, b.err
}

func (b *cappedBody) Close() error { return b.body.Close() }
