package netguard

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// loopbackClient is the production client, allowed to reach this machine's test servers.
func loopbackClient(t *testing.T, opts ...ClientOption) *http.Client {
	t.Helper()
	tr := NewTransport(NewDialer(mustAllowList(t, "127.0.0.0/8")))
	t.Cleanup(tr.CloseIdleConnections)
	return NewClient(tr, opts...)
}

// h2Client is loopbackClient trusting srv's certificate, so it speaks HTTP/2 to srv.
func h2Client(t *testing.T, srv *httptest.Server) *http.Client {
	t.Helper()
	tr := NewTransport(NewDialer(mustAllowList(t, "127.0.0.0/8")))
	t.Cleanup(tr.CloseIdleConnections)
	tr.TLSClientConfig.RootCAs = x509.NewCertPool()
	tr.TLSClientConfig.RootCAs.AddCert(srv.Certificate())
	return NewClient(tr)
}

// readBody sends a GET through client and reads the whole answer, returning how many body
// bytes it got and the error that ended the request or the reading.
func readBody(t *testing.T, client *http.Client, url string) (int64, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return n, resp, err
}

// endless answers 200 with a chunked body that never ends.
func endless(w http.ResponseWriter, r *http.Request) {
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// wantLimit fails unless err carries a *BodyLimitError of limit.
func wantLimit(t *testing.T, err error, limit int64) {
	t.Helper()
	var le *BodyLimitError
	if !errors.As(err, &le) || le.Limit != limit {
		t.Fatalf("error = %v, want a *BodyLimitError of %d bytes", err, limit)
	}
}

func TestClientCapsEndlessBody(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(endless))
	defer plain.Close()
	h2 := httptest.NewUnstartedServer(http.HandlerFunc(endless))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()

	for name, c := range map[string]struct {
		client *http.Client
		url    string
		limit  int64
		proto  int
	}{
		"default cap, HTTP/1.1":  {loopbackClient(t), plain.URL, DefaultMaxBody, 1},
		"100000 bytes, HTTP/1.1": {loopbackClient(t, WithMaxBody(100000)), plain.URL, 100000, 1},
		"default cap, HTTP/2":    {h2Client(t, h2), h2.URL, DefaultMaxBody, 2},
	} {
		t.Run(name, func(t *testing.T) {
			n, resp, err := readBody(t, c.client, c.url)
			wantLimit(t, err, c.limit)
			if n != c.limit {
				t.Errorf("read %d bytes, want exactly the cap, %d", n, c.limit)
			}
			if resp.ProtoMajor != c.proto {
				t.Errorf("spoke %s, want HTTP/%d", resp.Proto, c.proto)
			}
		})
	}
}

func TestClientBodyAtTheCap(t *testing.T) {
	const limit = 1000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		if r.URL.Query().Has("declared") {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		// Two writes with a flush between make an undeclared body chunked.
		_, _ = w.Write(bytes.Repeat([]byte("a"), size/2))
		w.(http.Flusher).Flush()
		_, _ = w.Write(bytes.Repeat([]byte("b"), size-size/2))
	}))
	defer srv.Close()
	client := loopbackClient(t, WithMaxBody(limit))

	for _, c := range []struct {
		size     int64
		declared bool
	}{
		{limit, false}, {limit, true}, {limit + 1, false}, {limit + 1, true}, {0, false},
	} {
		query := "size=" + strconv.FormatInt(c.size, 10)
		if c.declared {
			query += "&declared"
		}
		t.Run(query, func(t *testing.T) {
			n, _, err := readBody(t, client, srv.URL+"/?"+query)
			if c.size > limit {
				wantLimit(t, err, limit)
				return
			}
			if err != nil || n != c.size {
				t.Fatalf("read %d bytes, error %v; want all %d", n, err, c.size)
			}
		})
	}
}

// A Content-Length over the cap fails the request at once, before a byte of the body arrives.
func TestClientRefusesDeclaredLengthAtOnce(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<30))
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select { // send no body: a client that waits for it waits for the test's end
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	client := loopbackClient(t)

	start := time.Now()
	_, _, err := readBody(t, client, srv.URL)
	wantLimit(t, err, DefaultMaxBody)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the refusal took %s, want it at once", took)
	}
}

// A HEAD answer declares the size of what a GET would return and has no body to read.
func TestClientLetsHeadDeclareAnySize(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<30))
	}))
	defer srv.Close()
	client := loopbackClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodHead, srv.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("HEAD error = %v, want the answer", err)
	}
	resp.Body.Close()
	if resp.ContentLength != 1<<30 {
		t.Errorf("Content-Length = %d, want the declared 1 GiB", resp.ContentLength)
	}
}

// Passing the cap drops the connection: the rest of the answer is neither read nor drained into
// the pool, and the next request dials afresh. An answer read to its end leaves the connection
// for the next request, which shows the count can tell the two apart.
func TestClientDropsConnectionPastTheCap(t *testing.T) {
	for name, c := range map[string]struct {
		first     string
		wantConns int64
	}{
		"after an answer within the cap": {"/small", 1},
		"after an answer past the cap":   {"/endless", 2},
	} {
		t.Run(name, func(t *testing.T) {
			var conns atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/endless" {
					endless(w, r)
					return
				}
				_, _ = io.WriteString(w, "small")
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			defer srv.Close()
			client := loopbackClient(t, WithMaxBody(64<<10))

			_, _, _ = readBody(t, client, srv.URL+c.first) // this one may fail: what matters is the next
			if _, _, err := readBody(t, client, srv.URL+"/small"); err != nil {
				t.Fatalf("second request: %v", err)
			}
			if got := conns.Load(); got != c.wantConns {
				t.Errorf("the server saw %d connections, want %d", got, c.wantConns)
			}
		})
	}
}

// The client never asks for compression, so net/http inflates nothing: a gzip bomb reaches the
// caller as the compressed bytes the provider sent, and those are what the cap counts. A stream
// of empty gzip members, which inflates to nothing at all, would otherwise keep a reader busy
// until its deadline without the cap ever seeing a byte.
func TestClientCountsCompressedAnswersAsSent(t *testing.T) {
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestSpeed)
	_, _ = zw.Write(make([]byte, 16<<20))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var emptyMember bytes.Buffer
	if err := gzip.NewWriter(&emptyMember).Close(); err != nil {
		t.Fatal(err)
	}

	var acceptEncoding atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acceptEncoding.Store(r.Header.Get("Accept-Encoding"))
		w.Header().Set("Content-Encoding", "gzip")
		if r.URL.Path == "/bomb" {
			_, _ = w.Write(bomb.Bytes())
			return
		}
		members := bytes.Repeat(emptyMember.Bytes(), 1000)
		for r.Context().Err() == nil {
			if _, err := w.Write(members); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	client := loopbackClient(t)

	n, resp, err := readBody(t, client, srv.URL+"/bomb")
	if err != nil || n != int64(bomb.Len()) {
		t.Fatalf("read %d bytes, error %v; want the %d compressed bytes of the bomb", n, err, bomb.Len())
	}
	if resp.Uncompressed || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("the answer was inflated on the way (Uncompressed %v, Content-Encoding %q)",
			resp.Uncompressed, resp.Header.Get("Content-Encoding"))
	}
	if got := acceptEncoding.Load(); got != "" {
		t.Errorf("the request asked for Accept-Encoding %q, want no compression", got)
	}

	start := time.Now()
	_, _, err = readBody(t, client, srv.URL+"/empty-members")
	wantLimit(t, err, DefaultMaxBody)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stopping the stream of empty gzip members took %s, want the cap to stop it at once", took)
	}
}

// The GCS validator builds its own http.Client on the shared client's Transport, adding its
// bearer token; the cap holds there too.
func TestClientCapHoldsForClientsOnItsTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(endless))
	defer srv.Close()
	shared := loopbackClient(t)
	authed := &http.Client{Transport: &oauth2.Transport{
		Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t", TokenType: "Bearer"}),
		Base:   shared.Transport,
	}}
	_, _, err := readBody(t, authed, srv.URL)
	wantLimit(t, err, DefaultMaxBody)
}

// An HTTP/2 provider may send only so much on a request bucketd does not read: the stream's
// receive window, which net/http would otherwise open to 4 MiB.
func TestTransportBoundsUnreadHTTP2Answer(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 16<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			sent.Add(int64(len(chunk)))
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	client := h2Client(t, srv)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("spoke %s, want HTTP/2", resp.Proto)
	}
	// Wait until the server is blocked by flow control: nothing more sent for 300 ms.
	for last := int64(-1); sent.Load() != last; time.Sleep(300 * time.Millisecond) {
		last = sent.Load()
	}
	if got := sent.Load(); got > 2*maxStreamReceiveBuffer {
		t.Errorf("the server sent %s unread, want at most about the %s stream window",
			FormatSize(got), FormatSize(maxStreamReceiveBuffer))
	}
}

func TestTransportBoundsResponseHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		w.Header().Set("X-Padding", strings.Repeat("a", size))
	}))
	defer srv.Close()
	client := loopbackClient(t)

	if _, _, err := readBody(t, client, srv.URL+"/?size=16384"); err != nil {
		t.Errorf("16 KiB of headers: %v, want them read", err)
	}
	_, _, err := readBody(t, client, srv.URL+"/?size=70000")
	if err == nil || !strings.Contains(err.Error(), "headers exceeded") {
		t.Errorf("70000 bytes of headers: error = %v, want them refused", err)
	}
}

func TestBodyLimitErrorNamesTheLimit(t *testing.T) {
	err := error(&BodyLimitError{Limit: DefaultMaxBody})
	want := "the provider's answer is larger than 256 KiB, the most bucketd reads (--provider-max-body)"
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant %q", err, want)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 bytes", 1: "1 byte", 1000: "1000 bytes", 1024: "1 KiB", 64 << 10: "64 KiB", 1536: "1536 bytes",
		1 << 20: "1 MiB", 3 << 20: "3 MiB", 1<<20 + 1: "1048577 bytes", 2 << 30: "2 GiB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWithMaxBodyRefusesNonPositiveLimits(t *testing.T) {
	for _, n := range []int64{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("WithMaxBody(%d) did not panic", n)
				}
			}()
			WithMaxBody(n)
		}()
	}
}
