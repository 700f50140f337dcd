package hostile

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Case is one misbehaviour of the peer.
type Case string

// The cases. Each answers every request, whatever its path or method, in the format the
// request's API speaks where the case has a body (see flavourOf).
const (
	// EndlessBody answers 200 with the start of a listing that never ends, as fast as the
	// client reads.
	EndlessBody Case = "endless body"
	// SlowEndlessBody trickles an endless listing, 16 bytes every 100 ms: no size cap trips,
	// only a deadline ends it.
	SlowEndlessBody Case = "slow endless body"
	// StallAfterHeaders sends 200 and its headers, promising a body, then nothing (an answer
	// to HEAD, complete without a body, ends there).
	StallAfterHeaders Case = "stall after headers"
	// HugeContentLength declares a body of 1 TiB and streams it, for a client that sizes a
	// buffer by Content-Length.
	HugeContentLength Case = "huge declared content length"
	// GzipBomb sends a small gzip body (Content-Encoding: gzip, whether asked for or not) that
	// inflates a thousandfold, to Ceiling.
	GzipBomb Case = "gzip bomb"
	// HugeHeaderBlock sends 2 MiB of response headers.
	HugeHeaderBlock Case = "huge header block"
	// ManyHeaders sends 20,000 small response headers, 600 KiB in all, with an HTML page.
	ManyHeaders Case = "many headers"
	// SlowHeaders sends a status line and then one header byte every 100 ms.
	SlowHeaders Case = "slow headers"
	// InformationalFlood sends 103 Early Hints answers without end, never a final one.
	InformationalFlood Case = "1xx flood"
	// EndlessTrailer ends a chunked listing and then sends trailer lines without end.
	EndlessTrailer Case = "endless chunked trailer"
	// NotHTTP answers with bytes that never form a status line, without end.
	NotHTTP Case = "not HTTP"
	// ClosedBeforeAnswer closes the connection without answering.
	ClosedBeforeAnswer Case = "closed before the answer"
	// ClosedMidBody answers 200 with a Content-Length of 4096, sends 100 bytes and closes.
	ClosedMidBody Case = "closed mid-body"
	// HTML200, HTML403 and HTML500 answer with a web server's HTML page, as a captive portal,
	// a WAF or a misconfigured proxy does.
	HTML200 Case = "HTML page with 200"
	HTML403 Case = "HTML page with 403"
	HTML500 Case = "HTML page with 500"
	// WrongContentType answers 200 in the other API's format: JSON to an XML API (S3, Azure),
	// XML to a JSON one (GCS, the token endpoint).
	WrongContentType Case = "the other API's format"
	// PlainText answers 200 text/plain "OK".
	PlainText Case = "plain text OK"
	// EmptyBody answers 200 with no body and no content type.
	EmptyBody Case = "empty body with 200"
	// JSONArray, JSONEmptyObject, JSONWrongTypes and JSONNull answer 200 application/json of
	// the wrong shape; JSONTruncated with an object cut short (the transfer itself complete);
	// DeepJSON nests arrays 100,000 deep.
	JSONArray       Case = "JSON array"
	JSONEmptyObject Case = "JSON {}"
	JSONWrongTypes  Case = "JSON with wrong field types"
	JSONNull        Case = "JSON null"
	JSONTruncated   Case = "truncated JSON"
	DeepJSON        Case = "deeply nested JSON"
	// XMLWrongShape answers 200 with well-formed XML no API expects; XMLEmptyDocument with a
	// declaration and no element; XMLTruncated with a document cut short (the transfer itself
	// complete); DeepXML nests elements 100,000 deep; XMLEntityBomb declares the billion laughs.
	XMLWrongShape    Case = "XML of the wrong shape"
	XMLEmptyDocument Case = "empty XML document"
	XMLTruncated     Case = "truncated XML"
	DeepXML          Case = "deeply nested XML"
	XMLEntityBomb    Case = "XML entity bomb"
	// HugeErrorText answers 403 with the API's error document whose code and message are
	// hundreds of KiB of text with line breaks, terminal escapes (where the format allows)
	// and bidirectional overrides, for a client that quotes them.
	HugeErrorText Case = "huge error text"
	// Redirect301Self, Redirect302Self and Redirect307Self redirect every request to itself
	// (marked, so Stats.Followed counts a client that follows); RedirectToMetadata sends it to
	// the cloud metadata address and RedirectToPrivate into a private network.
	Redirect301Self    Case = "301 to itself"
	Redirect302Self    Case = "302 to itself"
	Redirect307Self    Case = "307 to itself"
	RedirectToMetadata Case = "302 to the metadata address"
	RedirectToPrivate  Case = "307 to a private address"
)

// Cases returns every case, sorted by name.
func Cases() []Case { return slices.Sorted(maps.Keys(cases)) }

// redirectMarker is the query parameter the peer's redirects to itself add.
const redirectMarker = "hostile-redirected"

// Pace of the trickling cases, and how long they trickle at most.
const (
	slowChunk = 16
	slowPace  = 100 * time.Millisecond
	slowLimit = 2 * time.Minute
)

// cases maps each case to its answer.
var cases = map[Case]func(p *Peer, w http.ResponseWriter, r *http.Request){
	EndlessBody: func(p *Peer, w http.ResponseWriter, r *http.Request) {
		f := flavourOf(r)
		w.Header().Set("Content-Type", f.contentType)
		p.stream(w, r, f.head, f.unit, 0)
	},
	SlowEndlessBody: func(p *Peer, w http.ResponseWriter, r *http.Request) {
		f := flavourOf(r)
		w.Header().Set("Content-Type", f.contentType)
		p.stream(w, r, f.head, f.unit, slowPace)
	},
	StallAfterHeaders: func(p *Peer, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", flavourOf(r).contentType)
		w.Header().Set("Content-Length", "4096")
		w.WriteHeader(http.StatusOK)
		_ = http.NewResponseController(w).Flush()
		if r.Method == http.MethodHead {
			return // the answer is complete: its client may keep the connection for another request
		}
		select {
		case <-r.Context().Done(): // the client closed the connection
		case <-p.done:
		case <-time.After(slowLimit):
		}
		panic(http.ErrAbortHandler) // the promised body never comes
	},
	HugeContentLength: func(p *Peer, w http.ResponseWriter, r *http.Request) {
		f := flavourOf(r)
		w.Header().Set("Content-Type", f.contentType)
		w.Header().Set("Content-Length", strconv.FormatInt(1<<40, 10))
		p.stream(w, r, f.head, f.unit, 0)
	},
	GzipBomb: func(_ *Peer, w http.ResponseWriter, r *http.Request) {
		f := flavourOf(r)
		body := gzipBomb(f)
		w.Header().Set("Content-Type", f.contentType)
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	},
	HugeHeaderBlock: func(_ *Peer, w http.ResponseWriter, r *http.Request) {
		value := strings.Repeat("h", 1000)
		for i := range 2048 {
			w.Header().Set(fmt.Sprintf("X-Hostile-%d", i), value)
		}
		answer(w, http.StatusOK, flavourOf(r).contentType, flavourOf(r).head)
	},
	ManyHeaders: func(_ *Peer, w http.ResponseWriter, r *http.Request) {
		for i := range 20000 {
			w.Header().Set(fmt.Sprintf("X-H%d", i), "a")
		}
		answer(w, http.StatusOK, "text/html", htmlPage)
	},
	SlowHeaders: func(p *Peer, w http.ResponseWriter, _ *http.Request) {
		p.raw(w, "HTTP/1.1 200 OK\r\nX-Slow: ", "a", slowPace)
	},
	InformationalFlood: func(p *Peer, w http.ResponseWriter, _ *http.Request) {
		p.raw(w, "", "HTTP/1.1 103 Early Hints\r\nLink: </hostile.css>; rel=preload\r\n\r\n", 0)
	},
	EndlessTrailer: func(p *Peer, w http.ResponseWriter, r *http.Request) {
		f := flavourOf(r)
		chunk := f.head + f.unit
		head := "HTTP/1.1 200 OK\r\nContent-Type: " + f.contentType + "\r\nTransfer-Encoding: chunked\r\nTrailer: X-Hostile\r\n\r\n" +
			strconv.FormatInt(int64(len(chunk)), 16) + "\r\n" + chunk + "\r\n0\r\n"
		p.raw(w, head, "X-Hostile: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 0)
	},
	NotHTTP: func(p *Peer, w http.ResponseWriter, _ *http.Request) {
		p.raw(w, "", "\x00\xffNOT-HTTP-", 0)
	},
	ClosedBeforeAnswer: func(_ *Peer, w http.ResponseWriter, _ *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.Close()
		}
	},
	ClosedMidBody: func(_ *Peer, w http.ResponseWriter, r *http.Request) {
		f := flavourOf(r)
		w.Header().Set("Content-Type", f.contentType)
		w.Header().Set("Content-Length", "4096")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte((f.head + strings.Repeat(f.unit, 4))[:100]))
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	},
	HTML200: fixed(http.StatusOK, "text/html", htmlPage),
	HTML403: fixed(http.StatusForbidden, "text/html", htmlPage),
	HTML500: fixed(http.StatusInternalServerError, "text/html", htmlPage),
	WrongContentType: func(_ *Peer, w http.ResponseWriter, r *http.Request) {
		f := flavourOf(r).other()
		answer(w, http.StatusOK, f.contentType, f.head+f.unit+strings.TrimSuffix(f.unit, ",")+closing[f.contentType])
	},
	PlainText: fixed(http.StatusOK, "text/plain", "OK"),
	EmptyBody: func(_ *Peer, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	},
	JSONArray:       jsonAnswer(`[1,"two",{"three":3},[4]]`),
	JSONEmptyObject: jsonAnswer(`{}`),
	JSONWrongTypes: jsonAnswer(`{"kind":7,"name":["hostile"],"location":{"x":1},"permissions":"storage.objects.list",` +
		`"access_token":42,"keys":"none","items":{"name":1},"error":[]}`),
	JSONNull:      jsonAnswer(`null`),
	JSONTruncated: jsonAnswer(gcsJSON.head + gcsJSON.unit[:12]),
	DeepJSON:      jsonAnswer(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)),
	XMLWrongShape: xmlAnswer(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Unexpected xmlns="urn:hostile"><Thing kind="7">1</Thing><Thing/></Unexpected>`),
	XMLEmptyDocument: xmlAnswer(`<?xml version="1.0" encoding="UTF-8"?>` + "\n"),
	XMLTruncated:     xmlAnswer(s3XML.head + s3XML.unit[:25]),
	DeepXML: xmlAnswer(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		strings.Repeat("<a>", 100000) + strings.Repeat("</a>", 100000)),
	XMLEntityBomb: xmlAnswer(entityBomb()),
	HugeErrorText: func(_ *Peer, w http.ResponseWriter, r *http.Request) {
		f := flavourOf(r)
		code, message := hugeText(f, 64<<10), hugeText(f, 256<<10)
		if f.errorHeader != "" {
			w.Header().Set(f.errorHeader, strings.Repeat("AuthenticationFailed\u202e", 400))
		}
		answer(w, http.StatusForbidden, f.contentType, f.errorDoc(code, message))
	},
	Redirect301Self:    redirectSelf(http.StatusMovedPermanently),
	Redirect302Self:    redirectSelf(http.StatusFound),
	Redirect307Self:    redirectSelf(http.StatusTemporaryRedirect),
	RedirectToMetadata: redirectTo("http://169.254.169.254/latest/meta-data/iam/security-credentials/", http.StatusFound),
	RedirectToPrivate:  redirectTo("http://10.0.0.1/internal", http.StatusTemporaryRedirect),
}

// closing ends WrongContentType's listing in each format.
var closing = map[string]string{gcsJSON.contentType: "}}", s3XML.contentType: "</ListBucketResult>"}

const htmlPage = `<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head>` +
	`<body><h1>Welcome to nginx!</h1><p>If you see this page, the nginx web server is working.</p></body></html>`

// answer writes a whole answer with a Content-Length.
func answer(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// fixed answers every request alike.
func fixed(status int, contentType, body string) func(*Peer, http.ResponseWriter, *http.Request) {
	return func(_ *Peer, w http.ResponseWriter, _ *http.Request) { answer(w, status, contentType, body) }
}

func jsonAnswer(body string) func(*Peer, http.ResponseWriter, *http.Request) {
	return fixed(http.StatusOK, "application/json; charset=UTF-8", body)
}

func xmlAnswer(body string) func(*Peer, http.ResponseWriter, *http.Request) {
	return fixed(http.StatusOK, "application/xml", body)
}

// redirectSelf sends the request back where it came from, marked.
func redirectSelf(status int) func(*Peer, http.ResponseWriter, *http.Request) {
	return func(_ *Peer, w http.ResponseWriter, r *http.Request) {
		u := *r.URL
		q := u.Query()
		q.Set(redirectMarker, "1")
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), status)
	}
}

func redirectTo(location string, status int) func(*Peer, http.ResponseWriter, *http.Request) {
	return func(_ *Peer, w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, location, status) }
}

// hugeText is about n bytes of text meant to hurt whoever quotes it: line breaks that forge log
// lines, a bidirectional override, and in JSON (where it can be escaped) terminal escapes and a
// NUL. XML 1.0 cannot carry those, so the XML text keeps to what a parser accepts.
func hugeText(f flavour, n int) string {
	unit := "AccessDenied\r\nlevel=ERROR msg=\"forged log line\" \u202eexe.txt "
	if !strings.HasPrefix(f.contentType, "application/xml") {
		unit += "\x1b[2J\x1b[31m\x00 "
	}
	return strings.Repeat(unit, n/len(unit)+1)
}

// entityBomb is the billion laughs: ten levels of ten references each, 10^9 "lol"s expanded.
func entityBomb() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n" + `<!DOCTYPE lolz [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	b.WriteString(`]><ListBucketResult><Name>&lol9;</Name></ListBucketResult>`)
	return b.String()
}

// bombs holds each flavour's gzip bomb, built once: a member holding the listing's start, then
// members of 1 MiB of spaces each (white space wherever the format allows it, so the inflated
// body stays plausible), Ceiling in all. Identical members inflate identically, so one is
// compressed and repeated.
var (
	bombsMu sync.Mutex
	bombs   = map[string][]byte{}
)

func gzipBomb(f flavour) []byte {
	bombsMu.Lock()
	defer bombsMu.Unlock()
	if b, ok := bombs[f.head]; ok {
		return b
	}
	const spaces = 1 << 20
	head, filler := gzipMember([]byte(f.head)), gzipMember(bytes.Repeat([]byte(" "), spaces))
	bomb := append(head, bytes.Repeat(filler, Ceiling/spaces)...)
	bombs[f.head] = bomb
	return bomb
}

// gzipMember compresses content into one gzip member.
func gzipMember(content []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(content)                                 // a bytes.Buffer never fails
	_ = zw.Close()
	return out.Bytes()
}

// stream writes an endless answer: head, then unit over and over, until the client stops
// reading (the write fails), the test ends, or the answer reaches Ceiling, when it cuts the
// connection, so that a client that read everything sees a body cut short rather than one
// that ended. A pace other than zero trickles slowChunk bytes per pace, for at most slowLimit.
func (p *Peer) stream(w http.ResponseWriter, r *http.Request, head, unit string, pace time.Duration) {
	rc := http.NewResponseController(w)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return // net/http would discard the body, without end
	}
	if _, err := w.Write([]byte(head)); err != nil {
		return
	}
	_ = rc.Flush()
	sent := int64(len(head))
	if pace > 0 {
		endless := strings.Repeat(unit, slowChunk/len(unit)+2)
		deadline := time.Now().Add(slowLimit)
		for offset := 0; time.Now().Before(deadline); offset = (offset + slowChunk) % len(unit) {
			select {
			case <-p.done:
				return
			case <-time.After(pace):
			}
			if _, err := w.Write([]byte(endless[offset : offset+slowChunk])); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	block := []byte(strings.Repeat(unit, 32<<10/len(unit)))
	for sent < Ceiling {
		if p.stopped() {
			return
		}
		n, err := w.Write(block)
		sent += int64(n)
		if err != nil {
			return
		}
	}
	p.reachedCeiling()
	panic(http.ErrAbortHandler)
}

// raw takes over the connection and writes head, then unit over and over, until the client
// stops reading, the test ends or Ceiling bytes went out, trickling one unit per pace if pace
// is not zero (for at most slowLimit). It is for answers net/http would not send.
func (p *Peer) raw(w http.ResponseWriter, head, unit string, pace time.Duration) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	if _, err := c.Write([]byte(head)); err != nil {
		return
	}
	sent := int64(len(head))
	block := []byte(unit)
	if pace == 0 {
		block = []byte(strings.Repeat(unit, 32<<10/len(unit)+1))
	}
	deadline := time.Now().Add(slowLimit)
	for sent < Ceiling && time.Now().Before(deadline) {
		if pace > 0 {
			select {
			case <-p.done:
				return
			case <-time.After(pace):
			}
		} else if p.stopped() {
			return
		}
		n, err := c.Write(block)
		sent += int64(n)
		if err != nil {
			return
		}
	}
	if sent >= Ceiling {
		p.reachedCeiling()
	}
}
