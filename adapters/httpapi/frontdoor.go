package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/labstack/echo/v4"
)

// net/http's server refuses some requests before any handler runs and writes its own plain-text
// answer straight to the connection (net/http/server.go, conn.serve and
// response.sendExpectationFailed): a request line plus headers over MaxHeaderBytes, a malformed
// request line or header, HTTP/1.1 without Host, an HTTP version other than 1.x, a transfer
// coding other than chunked, and an Expect other than 100-continue. Those answers are plain
// text, and for a version or a coding not even a 4xx (505, 501). The front door sits between
// net/http and the connection and swaps exactly those answers, recognised by the bytes net/http
// writes, for the contract's error body; every other write passes through untouched.

// ListenFrontDoor listens like net.Listen and puts a front door (NewFrontDoor) on the listener.
func ListenFrontDoor(network, address string, maxHeaderBytes int) (net.Listener, error) {
	l, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	return NewFrontDoor(l, maxHeaderBytes), nil
}

// NewFrontDoor wraps l so that the answers net/http's server writes itself for a request it
// cannot parse leave as bucketd's JSON error body instead of plain text. maxHeaderBytes is the
// http.Server's MaxHeaderBytes (0 for net/http's default), named in the 431 message.
//
// It reads the plain HTTP/1 that net/http writes, so it belongs directly under http.Server,
// which is how bucketd serves: plain HTTP, with TLS, where wanted, ended by a proxy in front.
// Under a TLS listener it would see only ciphertext and rewrite nothing; over one, net/http
// would no longer see a *tls.Conn and could not negotiate HTTP/2 or fill Request.TLS.
func NewFrontDoor(l net.Listener, maxHeaderBytes int) net.Listener {
	if maxHeaderBytes <= 0 {
		maxHeaderBytes = http.DefaultMaxHeaderBytes
	}
	return &frontDoor{Listener: l, headersTooLarge: problem{headersTooLargeClass,
		"the request line and headers are larger than the limit of " + byteSize(maxHeaderBytes)}}
}

// The classes of refusals only the front door makes.
var (
	headersTooLargeClass   = errorClass{http.StatusRequestHeaderFieldsTooLarge, "HEADERS_TOO_LARGE"}
	expectationFailedClass = errorClass{http.StatusExpectationFailed, "EXPECTATION_FAILED"}
)

// The messages of the front door's answers. A malformed request's message carries net/http's
// reason text when it gives one (statusError): a fixed fault such as "missing required Host
// header", never request data.
const (
	malformedMessage          = "malformed HTTP request line or header"
	malformedReasonPrefix     = "malformed HTTP request: "
	unsupportedVersionMessage = "unsupported HTTP version: send HTTP/1.1"
	unsupportedCodingMessage  = "unsupported Transfer-Encoding: only chunked is supported"
	expectationFailedMessage  = "only Expect: 100-continue is supported"
)

type frontDoor struct {
	net.Listener
	headersTooLarge problem
}

func (d *frontDoor) Accept() (net.Conn, error) {
	c, err := d.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &frontDoorConn{Conn: c, door: d}, nil
}

// frontDoorConn rewrites net/http's own refusals on Write. net/http writes each of them in one
// Write (directly to the connection, or for the 417 as the one flush of its 4 KiB buffer), so a
// Write either is a whole refusal or holds none. A response body could be taken for one only if
// a handler flushed exactly those bytes on their own; bucketd's handlers write JSON, YAML, HTML
// and metrics text.
type frontDoorConn struct {
	net.Conn
	door *frontDoor
}

// Write passes p through unless it is one of net/http's refusals, which it replaces. It reports
// p as written when the replacement was, as callers check n against len(p).
func (c *frontDoorConn) Write(p []byte) (int, error) {
	answer, ok := c.door.replacement(p)
	if !ok {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(answer); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseWrite keeps the half-close net/http does after a 431 (conn.closeWriteAndWait): without
// it the server would close while the client still sends its headers, and the reset could
// destroy the answer before the client reads it.
func (c *frontDoorConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// What net/http writes around its own refusals: the status line's prefix, the headers after it
// (conn.serve's errorHeaders), and the fixed part of sendExpectationFailed's header block.
const (
	statusLinePrefix    = "HTTP/1."
	plainErrorHeaders   = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	expectationHead     = "417 Expectation Failed\r\nConnection: close\r\nDate: "
	emptyBodyHeadersEnd = "\r\nContent-Length: 0\r\n\r\n"
	headHeadersEnd      = "\r\n\r\n" // answering HEAD, net/http leaves out Content-Length: 0
)

// The status texts of conn.serve's plain answers, which also make up their bodies.
var (
	plainTooLarge       = statusText(http.StatusRequestHeaderFieldsTooLarge)
	plainBadRequest     = statusText(http.StatusBadRequest)
	plainNotImplemented = statusText(http.StatusNotImplemented)
	plainBadVersion     = statusText(http.StatusHTTPVersionNotSupported)
)

// replacement returns the JSON answer for p when p is one of net/http's refusals. Anything else
// costs a length check and a few byte compares: every refusal starts "HTTP/1.x 4" or "HTTP/1.x 5",
// which a body chunk almost never does and a success's status line never does.
func (d *frontDoor) replacement(p []byte) ([]byte, bool) {
	const protoLen = len(statusLinePrefix) + 1 // "HTTP/1.1"
	if len(p) < protoLen+5 || string(p[:len(statusLinePrefix)]) != statusLinePrefix ||
		p[protoLen] != ' ' || (p[protoLen+1] != '4' && p[protoLen+1] != '5') {
		return nil, false
	}
	proto, rest := p[:protoLen], p[protoLen+1:]
	if head, ok := isExpectationFailed(rest); ok {
		return render(string(proto), problem{expectationFailedClass, expectationFailedMessage}, head), true
	}
	if string(proto) != "HTTP/1.1" {
		return nil, false // conn.serve always writes HTTP/1.1
	}
	end := bytes.Index(rest, []byte("\r\n"))
	if end < 0 || !bytes.HasPrefix(rest[end:], []byte(plainErrorHeaders)) {
		return nil, false
	}
	if pr, ok := d.parserRefusal(string(rest[:end]), string(rest[end+len(plainErrorHeaders):])); ok {
		return render(string(proto), pr, false), true
	}
	return nil, false
}

// parserRefusal classifies the status text and body of a plain answer of conn.serve. Every one
// repeats its status text as its body, except the one for an unsupported transfer coding.
func (d *frontDoor) parserRefusal(status, body string) (problem, bool) {
	bad := transportClasses[http.StatusBadRequest]
	if status == plainNotImplemented && body == "Unsupported transfer encoding" {
		return problem{bad, unsupportedCodingMessage}, true
	}
	if status != body {
		return problem{}, false
	}
	switch body {
	case plainTooLarge:
		return d.headersTooLarge, true
	case plainBadRequest:
		return problem{bad, malformedMessage}, true
	}
	if reason, ok := strings.CutPrefix(body, plainBadRequest+": "); ok && reason != "" {
		return problem{bad, malformedReasonPrefix + reason}, true
	}
	if strings.HasPrefix(body, plainBadVersion+": ") {
		return problem{bad, unsupportedVersionMessage}, true
	}
	return problem{}, false
}

// isExpectationFailed reports whether rest, the answer after "HTTP/1.x ", is exactly the header
// block of sendExpectationFailed, and whether it answers a HEAD request.
func isExpectationFailed(rest []byte) (head, ok bool) {
	date, ok := bytes.CutPrefix(rest, []byte(expectationHead))
	if !ok || len(date) < len(http.TimeFormat) {
		return false, false
	}
	if _, err := time.Parse(http.TimeFormat, string(date[:len(http.TimeFormat)])); err != nil {
		return false, false
	}
	switch string(date[len(http.TimeFormat):]) {
	case emptyBodyHeadersEnd:
		return false, true
	case headHeadersEnd:
		return true, true
	}
	return false, false
}

// render writes p as a whole answer with the headers writeError's answers carry: the contract's
// error body as Echo encodes it, a fresh request id, and Connection: close, as net/http closes
// the connection after each of these refusals. A HEAD answer gets the headers only.
func render(proto string, p problem, head bool) []byte {
	var body bytes.Buffer
	// Encoding a struct of two strings and a bool cannot fail.
	_ = json.NewEncoder(&body).Encode(api.Error{Success: false, Message: p.message, Code: p.code})
	var out bytes.Buffer
	fmt.Fprintf(&out, "%s %s\r\n", proto, statusText(p.status))
	_ = http.Header{
		echo.HeaderContentType:   {echo.MIMEApplicationJSON},
		echo.HeaderContentLength: {strconv.Itoa(body.Len())},
		echo.HeaderConnection:    {"close"},
		"Date":                   {time.Now().UTC().Format(http.TimeFormat)},
		echo.HeaderXRequestID:    {newRequestID()},
	}.Write(&out) // writing to a bytes.Buffer cannot fail
	out.WriteString("\r\n")
	if !head {
		out.Write(body.Bytes())
	}
	return out.Bytes()
}

// statusText is a status line's code and reason phrase, as net/http writes it: "400 Bad Request".
func statusText(code int) string { return strconv.Itoa(code) + " " + http.StatusText(code) }

// byteSize names a size in KiB when it is whole KiB, else in bytes.
func byteSize(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d bytes", n)
}
