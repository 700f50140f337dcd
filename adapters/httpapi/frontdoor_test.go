package httpapi_test

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/gen/api"
)

// frontDoorHeaderLimit is the MaxHeaderBytes of the test servers: small, so a request over it
// fits in the socket buffers and the client finishes writing before it reads the answer.
const frontDoorHeaderLimit = 1 << 10

// countingHandler counts the requests that reach it, so a test can tell a refusal made before
// any handler from one made by the API.
type countingHandler struct {
	next  http.Handler
	calls atomic.Int64
}

func (h *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls.Add(1)
	h.next.ServeHTTP(w, r)
}

// serveFrontDoor serves handler with a real http.Server on 127.0.0.1 behind the front door and
// returns the address. wrap, when given, wraps the front door's listener.
func serveFrontDoor(t *testing.T, handler http.Handler, wrap ...func(net.Listener) net.Listener) string {
	t.Helper()
	ln, err := httpapi.ListenFrontDoor("tcp", "127.0.0.1:0", frontDoorHeaderLimit)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	for _, w := range wrap {
		ln = w(ln)
	}
	srv := &http.Server{Handler: handler, MaxHeaderBytes: frontDoorHeaderLimit, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// dialRaw connects to addr and writes raw byte for byte.
func dialRaw(t *testing.T, addr, raw string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatalf("write the request: %v", err)
	}
	return conn
}

func TestFrontDoorAnswersNetHTTPRefusalsWithTheErrorBody(t *testing.T) {
	handler := &countingHandler{next: newHarness(t).handler}
	addr := serveFrontDoor(t, handler)
	pad := strings.Repeat("p", 8*frontDoorHeaderLimit)
	cases := []struct {
		name, raw string
		head      bool // the request is HEAD: the answer has no body
		proto     string
		status    int
		code      string
		message   string
	}{
		{name: "headers over MaxHeaderBytes", raw: "GET /bucket HTTP/1.1\r\nHost: h\r\nX-Pad: " + pad + "\r\n\r\n",
			status: 431, code: "HEADERS_TOO_LARGE", message: "the request line and headers are larger than the limit of 1 KiB"},
		{name: "request line over MaxHeaderBytes", raw: "GET /bucket?cursor=" + pad + " HTTP/1.1\r\nHost: h\r\n\r\n",
			status: 431, code: "HEADERS_TOO_LARGE", message: "the request line and headers are larger than the limit of 1 KiB"},
		{name: "NUL in a header value", raw: "GET /bucket HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n",
			status: 400, code: "INVALID_REQUEST", message: "malformed HTTP request line or header"},
		{name: "space in the path", raw: "GET /bucket/a b HTTP/1.1\r\nHost: h\r\n\r\n",
			status: 400, code: "INVALID_REQUEST", message: "malformed HTTP request line or header"},
		{name: "two Content-Length values", raw: "POST /bucket HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
			status: 400, code: "INVALID_REQUEST", message: "malformed HTTP request line or header"},
		{name: "no request line", raw: "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",
			status: 400, code: "INVALID_REQUEST", message: "malformed HTTP request line or header"},
		{name: "no Host header", raw: "GET /bucket HTTP/1.1\r\n\r\n",
			status: 400, code: "INVALID_REQUEST", message: "malformed HTTP request: missing required Host header"},
		{name: "malformed Host header", raw: "GET /bucket HTTP/1.1\r\nHost: a b\r\n\r\n",
			status: 400, code: "INVALID_REQUEST", message: "malformed HTTP request: malformed Host header"},
		{name: "invalid header name", raw: "GET /bucket HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",
			status: 400, code: "INVALID_REQUEST", message: "malformed HTTP request: invalid header name"},
		{name: "HTTP/2.0 request line", raw: "GET /bucket HTTP/2.0\r\nHost: h\r\n\r\n",
			status: 400, code: "INVALID_REQUEST", message: "unsupported HTTP version: send HTTP/1.1"},
		{name: "unknown transfer coding", raw: "POST /bucket HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n{}",
			status: 400, code: "INVALID_REQUEST", message: "unsupported Transfer-Encoding: only chunked is supported"},
		{name: "unknown expectation", raw: "POST /bucket HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}",
			status: 417, code: "EXPECTATION_FAILED", message: "only Expect: 100-continue is supported"},
		{name: "unknown expectation over HTTP/1.0", raw: "POST /bucket HTTP/1.0\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}",
			proto: "HTTP/1.0", status: 417, code: "EXPECTATION_FAILED", message: "only Expect: 100-continue is supported"},
		{name: "unknown expectation on GET", raw: "GET /bucket HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n",
			status: 417, code: "EXPECTATION_FAILED", message: "only Expect: 100-continue is supported"},
		{name: "unknown expectation on HEAD", raw: "HEAD /bucket HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n", head: true,
			status: 417, code: "EXPECTATION_FAILED", message: "only Expect: 100-continue is supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conn := dialRaw(t, addr, c.raw)
			wire, err := io.ReadAll(conn)
			if err != nil && len(wire) == 0 {
				t.Fatalf("read the answer: %v", err)
			}
			method := http.MethodGet
			if c.head {
				method = http.MethodHead
			}
			br := bufio.NewReader(bytes.NewReader(wire))
			res, err := http.ReadResponse(br, &http.Request{Method: method})
			if err != nil {
				t.Fatalf("parse the answer: %v\n%q", err, wire)
			}
			body, _ := io.ReadAll(res.Body)
			if rest, _ := io.ReadAll(br); len(rest) > 0 {
				t.Errorf("%d bytes follow the answer: %q", len(rest), rest)
			}
			if want := cmp.Or(c.proto, "HTTP/1.1"); res.Proto != want || res.StatusCode != c.status {
				t.Fatalf("status line = %s %s, want %s %d\n%q", res.Proto, res.Status, want, c.status, wire)
			}
			want := wantFrontDoorBody(t, c.code, c.message)
			wantFrontDoorHeaders(t, wire, len(want))
			if c.head {
				want = nil
			}
			if !bytes.Equal(body, want) {
				t.Errorf("body = %q, want %q", body, want)
			}
		})
	}
	t.Cleanup(func() {
		if n := handler.calls.Load(); n != 0 {
			t.Errorf("the handler served %d of the requests net/http refuses itself, want 0", n)
		}
	})
}

// wantFrontDoorBody checks that the error body the front door answers is exactly the contract's
// Error object, and returns it encoded as the API encodes its own error bodies.
func wantFrontDoorBody(t *testing.T, code, message string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(api.Error{Success: false, Code: code, Message: message}); err != nil {
		t.Fatalf("encode the expected body: %v", err)
	}
	var fields map[string]any
	if err := json.Unmarshal(buf.Bytes(), &fields); err != nil {
		t.Fatalf("decode the expected body: %v", err)
	}
	if keys := slices.Sorted(maps.Keys(fields)); !slices.Equal(keys, []string{"code", "message", "success"}) {
		t.Fatalf("api.Error encodes members %v, want exactly code, message, success", keys)
	}
	return buf.Bytes()
}

// wantFrontDoorHeaders checks the headers of wire, a whole answer of the front door: those
// every answer of the API carries, and Connection: close. They are read off the wire, as
// http.ReadResponse turns Connection: close into a field.
func wantFrontDoorHeaders(t *testing.T, wire []byte, bodyLen int) {
	t.Helper()
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(wire)))
	_, _ = tp.ReadLine() // the status line
	mime, err := tp.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("read the headers: %v", err)
	}
	h := http.Header(mime)
	for name, want := range map[string]string{
		"Content-Type": "application/json", "Content-Length": strconv.Itoa(bodyLen), "Connection": "close",
	} {
		if got := h.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if id, err := hex.DecodeString(h.Get("X-Request-Id")); err != nil || len(id) != 8 {
		t.Errorf("X-Request-Id = %q, want a fresh 16-hex-digit id", h.Get("X-Request-Id"))
	}
	if _, err := http.ParseTime(h.Get("Date")); err != nil {
		t.Errorf("Date = %q: %v", h.Get("Date"), err)
	}
	if len(h) != 5 {
		t.Errorf("headers = %v, want exactly Content-Type, Content-Length, Connection, Date and X-Request-Id", h)
	}
}

// recordingListener records every byte net/http writes to the front door's connections.
type recordingListener struct {
	net.Listener
	mu      sync.Mutex
	written bytes.Buffer
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return recordingConn{Conn: c, l: l}, nil
}

func (l *recordingListener) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.written.Bytes())
}

type recordingConn struct {
	net.Conn
	l *recordingListener
}

func (c recordingConn) Write(p []byte) (int, error) {
	c.l.mu.Lock()
	c.l.written.Write(p)
	c.l.mu.Unlock()
	return c.Conn.Write(p)
}

// lookalike is net/http's plain 431 answer followed by more text: a body that starts like a
// refusal but is not one.
const lookalike = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n" +
	"Connection: close\r\n\r\n431 Request Header Fields Too Large, said the body"

// largeBody is the answer to GET /large of passThroughMux.
var largeBody = bytes.Repeat([]byte(`{"a":"0123456789abcdef"},`), 48<<10) // 1.2 MB

// The stream of passThroughMux: every other piece is a slice of largeBody of streamPieceSize.
const (
	streamPieces    = 64
	streamPieceSize = 8 << 10
)

// passThroughMux serves the API plus answers the API has none of: a large body, a streamed one
// flushed piece by piece, and bodies that resemble net/http's refusals.
func passThroughMux(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", newHarness(t).handler)
	mux.HandleFunc("/large", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(largeBody)))
		_, _ = w.Write(largeBody)
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, _ *http.Request) {
		for i := range streamPieces {
			piece := "HTTP/1.1 400 Bad Request piece " + strconv.Itoa(i) + "\n"
			if i%2 == 1 {
				piece = string(largeBody[:streamPieceSize])
			}
			_, _ = io.WriteString(w, piece)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/lookalike", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(lookalike)))
		w.(http.Flusher).Flush() // the header block leaves alone, the body in a write of its own
		_, _ = io.WriteString(w, lookalike)
	})
	mux.HandleFunc("/teapot417", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusExpectationFailed)
		_, _ = io.WriteString(w, "a 417 of the handler's own")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	})
	return mux
}

func TestFrontDoorPassesEveryOtherAnswerThroughUnchanged(t *testing.T) {
	rec := &recordingListener{}
	addr := serveFrontDoor(t, passThroughMux(t), func(l net.Listener) net.Listener { rec.Listener = l; return rec })
	requests := []struct{ method, path, header, body string }{
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/bucket", header: "Authorization: Bearer " + testToken + "\r\n"},
		{method: "GET", path: "/bucket"}, // 401 from the API
		{method: "POST", path: "/bucket", header: "Authorization: Bearer " + testToken + "\r\nContent-Type: application/json\r\n",
			body: `{"name":`}, // 400 from the API
		{method: "GET", path: "/nope"}, // 404 from the API
		{method: "GET", path: "/large"},
		{method: "HEAD", path: "/large"},
		{method: "GET", path: "/stream"},
		{method: "GET", path: "/lookalike"},
		{method: "POST", path: "/echo", header: "Expect: 100-continue\r\n", body: lookalike}, // 100 Continue, then 200
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/teapot417"}, // closes the connection
	}
	conn := dialRaw(t, addr, "")
	var wire bytes.Buffer
	br := bufio.NewReader(io.TeeReader(conn, &wire))
	statuses := make([]int, 0, len(requests))
	for _, r := range requests {
		raw := r.method + " " + r.path + " HTTP/1.1\r\nHost: h\r\n" + r.header
		if r.body != "" {
			raw += "Content-Length: " + strconv.Itoa(len(r.body)) + "\r\n"
		}
		if _, err := io.WriteString(conn, raw+"\r\n"+r.body); err != nil {
			t.Fatalf("write %s %s: %v", r.method, r.path, err)
		}
		res, err := readFinalResponse(br, r.method)
		if err != nil {
			t.Fatalf("read the answer to %s %s: %v", r.method, r.path, err)
		}
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			t.Fatalf("read the body of %s %s: %v", r.method, r.path, err)
		}
		statuses = append(statuses, res.StatusCode)
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		t.Fatalf("read to the end: %v", err)
	}
	if want := []int{200, 200, 401, 400, 404, 200, 200, 200, 200, 200, 200, 417}; !slices.Equal(statuses, want) {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
	if written := rec.bytes(); !bytes.Equal(wire.Bytes(), written) {
		t.Errorf("the client read %d bytes, net/http wrote %d: the front door changed a normal answer", wire.Len(), len(written))
	}
	if least := len(largeBody) + streamPieces/2*streamPieceSize; wire.Len() < least {
		t.Errorf("the client read %d bytes, want over %d: the large answers did not all arrive", wire.Len(), least)
	}
}

// readFinalResponse reads an answer to a request of method, passing over 100 Continue.
func readFinalResponse(br *bufio.Reader, method string) (*http.Response, error) {
	for {
		res, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil || res.StatusCode != http.StatusContinue {
			return res, err
		}
	}
}

// pipeListener hands out one end of a net.Pipe, so a test can write to the front door's
// connection itself and read what reaches the other end.
type pipeListener struct {
	net.Listener // nil: only Accept is used
	conn         net.Conn
}

func (l pipeListener) Accept() (net.Conn, error) { return l.conn, nil }

// doorConn returns a front door connection and the peer that reads what it writes.
func doorConn(t testing.TB) (door, peer net.Conn) {
	t.Helper()
	server, client := net.Pipe()
	t.Cleanup(func() { _ = server.Close(); _ = client.Close() })
	door, err := httpapi.NewFrontDoor(pipeListener{conn: server}, frontDoorHeaderLimit).Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	return door, client
}

// nearMisses resemble net/http's refusals in every way the front door checks but one.
var nearMisses = map[string]string{
	"too short":                    "HTTP/1.1 4",
	"431 over HTTP/1.0":            "HTTP/1.0 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large",
	"431 with another body":        lookalike,
	"400 of the API":               "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n400 Bad Request",
	"400 with other headers":       "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=UTF-8\r\nConnection: close\r\n\r\n400 Bad Request",
	"400 reason differs from body": "HTTP/1.1 400 Bad Request: invalid header name\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: invalid header value",
	"400 with an empty reason":     "HTTP/1.1 400 Bad Request: \r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: ",
	"404 in the plain form":        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n404 Not Found",
	"501 with another body":        "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nUnsupported method",
	"505 without a reason":         "HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n505 HTTP Version Not Supported",
	"417 with a content type":      "HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nDate: Thu, 26 Nov 2026 22:10:24 GMT\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n",
	"417 with a body":              "HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nDate: Thu, 26 Nov 2026 22:10:24 GMT\r\nContent-Length: 2\r\n\r\nno",
	"417 with a bad date":          "HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nDate: Thu, 26 Nov 2026 22:10:24 XYZ\r\nContent-Length: 0\r\n\r\n",
	"417 with more after it":       "HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nDate: Thu, 26 Nov 2026 22:10:24 GMT\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
	"an answer over HTTP/2":        "HTTP/2.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request",
}

func TestFrontDoorLeavesNearMissesAlone(t *testing.T) {
	for name, p := range nearMisses {
		t.Run(name, func(t *testing.T) {
			door, peer := doorConn(t)
			if got := writeThrough(t, door, peer, p); got != p {
				t.Errorf("the front door wrote %q, want %q unchanged", got, p)
			}
		})
	}
}

func TestFrontDoorReportsAReplacedWriteAsWritten(t *testing.T) {
	door, peer := doorConn(t)
	refusal := "HTTP/1.1 400 Bad Request: missing required Host header\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Connection: close\r\n\r\n400 Bad Request: missing required Host header"
	done := make(chan error, 1)
	go func() {
		n, err := door.Write([]byte(refusal))
		if err == nil && n != len(refusal) {
			err = errors.New("Write reported " + strconv.Itoa(n) + " bytes, want " + strconv.Itoa(len(refusal)))
		}
		done <- err
		_ = door.Close()
	}()
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(peer), nil)
	if err != nil {
		t.Fatalf("read the replaced answer: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	if want := wantFrontDoorBody(t, "INVALID_REQUEST", "malformed HTTP request: missing required Host header"); res.StatusCode != 400 || !bytes.Equal(body, want) {
		t.Errorf("answer = %s %q, want 400 %q", res.Status, body, want)
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
}

// writeThrough writes p to door and returns as many bytes as p has that reach peer: p itself
// when the front door passed it through.
func writeThrough(t *testing.T, door, peer net.Conn, p string) string {
	t.Helper()
	go func() { _, _ = door.Write([]byte(p)) }()
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(p))
	k, err := io.ReadFull(peer, got)
	if err != nil {
		t.Errorf("read %d bytes: %v", len(p), err)
	}
	return string(got[:k])
}

// discardConn is a connection whose writes vanish: the benchmark measures the front door only.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkFrontDoorWrite compares a write through the front door with the same write straight
// to the connection, for the writes normal answers are made of.
func BenchmarkFrontDoorWrite(b *testing.B) {
	door, err := httpapi.NewFrontDoor(pipeListener{conn: discardConn{}}, frontDoorHeaderLimit).Accept()
	if err != nil {
		b.Fatalf("accept: %v", err)
	}
	writes := map[string][]byte{
		"200 header block": []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: 5f0c2a9d1e7b3c46\r\n" +
			"Date: Thu, 26 Nov 2026 22:10:24 GMT\r\nContent-Length: 412\r\n\r\n{\"success\":true,\"buckets\":[]}\n"),
		"400 header block of the API": []byte("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n" +
			"X-Request-Id: 5f0c2a9d1e7b3c46\r\nDate: Thu, 26 Nov 2026 22:10:24 GMT\r\nContent-Length: 87\r\n\r\n"),
		"32 KiB body": bytes.Repeat([]byte(`{"a":1},`), 4<<10),
	}
	for name, p := range writes {
		for _, via := range []struct {
			name string
			conn net.Conn
		}{{"direct", discardConn{}}, {"front door", door}} {
			b.Run(name+"/"+via.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(p)))
				for b.Loop() {
					if _, err := via.conn.Write(p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
