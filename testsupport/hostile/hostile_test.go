package hostile

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// idleWithin bounds how long an answer may take to end once its client went away.
const idleWithin = 5 * time.Second

// client talks to the peer as bucketd's client does in what matters here: it never follows
// a redirect. Its header limit is above the peer's largest header block, so the tests see it.
func client(t *testing.T) *http.Client {
	transport := &http.Transport{Proxy: nil, MaxResponseHeaderBytes: 4 << 20}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get sends a GET as an S3 client would (no Accept header, no Azure header) unless edit
// changes it.
func get(t *testing.T, c *http.Client, p *Peer, edit func(*http.Request)) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.URL+"/bucket?list-type=2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	return c.Do(req)
}

// mustGet is get that fails t when no answer arrives.
func mustGet(t *testing.T, c *http.Client, p *Peer) *http.Response {
	t.Helper()
	res, err := get(t, c, p, nil)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// readAll reads the whole body, failing t unless it ends cleanly.
func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return string(b)
}

// wantIdle fails t unless the peer stops writing soon.
func wantIdle(t *testing.T, p *Peer) {
	t.Helper()
	if !p.WaitIdle(idleWithin) {
		t.Fatalf("the peer still writes %s after its client went away", idleWithin)
	}
}

// rawAnswer sends a GET over a plain connection and returns what arrives within wait, at most
// limit bytes.
func rawAnswer(t *testing.T, p *Peer, wait time.Duration, limit int) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /bucket HTTP/1.1\r\nHost: hostile\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	got, _ := io.ReadAll(io.LimitReader(c, int64(limit)))
	return string(got)
}

// caseChecks proves each case answers as its documentation says, through a plain client.
var caseChecks = map[Case]func(t *testing.T, p *Peer, c *http.Client){
	EndlessBody: func(t *testing.T, p *Peer, c *http.Client) {
		res := mustGet(t, c, p)
		head := make([]byte, len(s3XML.head))
		if _, err := io.ReadFull(res.Body, head); err != nil || string(head) != s3XML.head {
			t.Fatalf("the body starts %q (%v), want %q", head, err, s3XML.head)
		}
		// A client that stops early stops the answer; one that reads on meets the ceiling.
		if n, _ := io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20)); n != 1<<20 {
			t.Fatalf("read %d bytes of the endless body, want 1 MiB", n)
		}
		res.Body.Close()
		wantIdle(t, p)
		// Loopback socket buffers, which grow to several MiB on a busy machine, hold what was
		// written and not yet read; far below the ceiling is what shows the answer stopped.
		if s := p.Stats(); s.Largest < 1<<20 || s.Largest > 8<<20 || s.AtCeiling != 0 {
			t.Errorf("stats after reading 1 MiB: %+v, want 1 to 8 MiB written, far below the %d-byte ceiling", s, Ceiling)
		}
		res = mustGet(t, c, p)
		n, err := io.Copy(io.Discard, res.Body)
		if err == nil || n < Ceiling {
			t.Errorf("reading on got %d bytes and error %v, want the ceiling and a cut connection", n, err)
		}
		wantIdle(t, p)
		if s := p.Stats(); s.AtCeiling != 1 || s.Largest < Ceiling {
			t.Errorf("stats after the ceiling: %+v", s)
		}
	},
	SlowEndlessBody: func(t *testing.T, p *Peer, c *http.Client) {
		res := mustGet(t, c, p)
		start := time.Now()
		buf := make([]byte, len(s3XML.head)+3*slowChunk)
		if _, err := io.ReadFull(res.Body, buf); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 2*slowPace {
			t.Errorf("three chunks came in %s, want them %s apart", took, slowPace)
		}
		res.Body.Close()
		wantIdle(t, p)
	},
	StallAfterHeaders: func(t *testing.T, p *Peer, c *http.Client) {
		res := mustGet(t, c, p)
		if res.StatusCode != http.StatusOK || res.ContentLength != 4096 {
			t.Fatalf("answer %d with length %d, want 200 promising 4096 bytes", res.StatusCode, res.ContentLength)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		go func() { <-ctx.Done(); res.Body.Close() }()
		if n, _ := io.Copy(io.Discard, res.Body); n != 0 {
			t.Errorf("the stalled body sent %d bytes", n)
		}
		wantIdle(t, p)
	},
	HugeContentLength: func(t *testing.T, p *Peer, c *http.Client) {
		res := mustGet(t, c, p)
		if res.ContentLength != 1<<40 {
			t.Errorf("Content-Length %d, want 1 TiB", res.ContentLength)
		}
		res.Body.Close()
		wantIdle(t, p)
	},
	GzipBomb: func(t *testing.T, p *Peer, c *http.Client) {
		// net/http inflates a gzip answer for a client that did not ask for an encoding.
		res := mustGet(t, c, p)
		n, err := io.Copy(io.Discard, res.Body)
		if err != nil || n != int64(len(s3XML.head))+Ceiling {
			t.Errorf("inflated %d bytes (%v), want the head and Ceiling", n, err)
		}
		if s := p.Stats(); s.Written > Ceiling/500 {
			t.Errorf("the bomb took %d bytes on the wire, want a thousandth of what it inflates to", s.Written)
		}
	},
	HugeHeaderBlock: func(t *testing.T, p *Peer, c *http.Client) {
		if res := mustGet(t, c, p); len(res.Header) < 2048 {
			t.Errorf("%d headers, want 2048 of 1000 bytes", len(res.Header))
		}
		limited := &http.Client{Transport: &http.Transport{MaxResponseHeaderBytes: 1 << 20}}
		if _, err := get(t, limited, p, nil); err == nil || !strings.Contains(err.Error(), "exceeded") {
			t.Errorf("a client with a 1 MiB header limit got error %v, want it exceeded", err)
		}
	},
	ManyHeaders: func(t *testing.T, p *Peer, c *http.Client) {
		if res := mustGet(t, c, p); len(res.Header) < 20000 || readAll(t, res) != htmlPage {
			t.Errorf("%d headers, want 20,000 and the HTML page", len(res.Header))
		}
	},
	SlowHeaders: func(t *testing.T, p *Peer, _ *http.Client) {
		// In one second the pace allows at most 11 header bytes; a loaded machine sends fewer,
		// never more, so only the upper bound proves the pace.
		const head = "HTTP/1.1 200 OK\r\nX-Slow: "
		got := rawAnswer(t, p, time.Second, 1<<10)
		dribbled := strings.TrimPrefix(got, head)
		if !strings.HasPrefix(got, head) || len(dribbled) == 0 || len(dribbled) > 11 || strings.Trim(dribbled, "a") != "" {
			t.Errorf("in 1 s the peer sent %q, want a status line and 1 to 11 header bytes", got)
		}
		wantIdle(t, p)
	},
	InformationalFlood: func(t *testing.T, p *Peer, c *http.Client) {
		got := rawAnswer(t, p, time.Second, 64<<10)
		if strings.Count(got, "HTTP/1.1 103 Early Hints\r\n") < 1000 || strings.Contains(got, "HTTP/1.1 200") {
			t.Errorf("the flood starts %.200q, want thousands of 103 answers and no final one", got)
		}
		if _, err := get(t, c, p, nil); err == nil {
			t.Error("net/http took the flood for an answer")
		}
		wantIdle(t, p)
	},
	EndlessTrailer: func(t *testing.T, p *Peer, c *http.Client) {
		res := mustGet(t, c, p)
		if _, err := io.ReadAll(res.Body); err == nil || !strings.Contains(err.Error(), "trailer") {
			t.Errorf("reading the body: %v, want net/http to refuse the trailer", err)
		}
		res.Body.Close()
		wantIdle(t, p)
	},
	NotHTTP: func(t *testing.T, p *Peer, c *http.Client) {
		if got := rawAnswer(t, p, time.Second, 64); !strings.HasPrefix(got, "\x00\xffNOT-HTTP-") || strings.Contains(got, "\n") {
			t.Errorf("the peer sent %q, want bytes without a line break", got)
		}
		if _, err := get(t, c, p, nil); err == nil {
			t.Error("net/http took the bytes for an answer")
		}
		wantIdle(t, p)
	},
	ClosedBeforeAnswer: func(t *testing.T, p *Peer, c *http.Client) {
		if _, err := get(t, c, p, nil); err == nil || !errors.Is(err, io.EOF) {
			t.Errorf("GET error %v, want EOF", err)
		}
	},
	ClosedMidBody: func(t *testing.T, p *Peer, c *http.Client) {
		res := mustGet(t, c, p)
		b, err := io.ReadAll(res.Body)
		if len(b) != 100 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("read %d bytes and %v, want 100 and an unexpected EOF", len(b), err)
		}
	},
	HTML200: wantAnswer(http.StatusOK, "text/html", htmlPage),
	HTML403: wantAnswer(http.StatusForbidden, "text/html", htmlPage),
	HTML500: wantAnswer(http.StatusInternalServerError, "text/html", htmlPage),
	WrongContentType: func(t *testing.T, p *Peer, c *http.Client) {
		// An S3 request gets JSON, a GCS one XML; both well-formed.
		res := mustGet(t, c, p)
		if !json.Valid([]byte(readAll(t, res))) || res.Header.Get("Content-Type") != gcsJSON.contentType {
			t.Errorf("an S3 request got %s, want valid JSON", res.Header.Get("Content-Type"))
		}
		res, err := get(t, c, p, func(r *http.Request) { r.Header.Set("Accept", "application/json") })
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal([]byte(readAll(t, res)), new(struct{})); err != nil || res.Header.Get("Content-Type") != "application/xml" {
			t.Errorf("a GCS request got %s (%v), want valid XML", res.Header.Get("Content-Type"), err)
		}
	},
	PlainText:       wantAnswer(http.StatusOK, "text/plain", "OK"),
	EmptyBody:       wantAnswer(http.StatusOK, "", ""),
	JSONArray:       wantAnswer(http.StatusOK, "application/json; charset=UTF-8", `[1,"two",{"three":3},[4]]`),
	JSONEmptyObject: wantAnswer(http.StatusOK, "application/json; charset=UTF-8", `{}`),
	JSONWrongTypes: func(t *testing.T, p *Peer, c *http.Client) {
		var fields map[string]any
		if err := json.Unmarshal([]byte(readAll(t, mustGet(t, c, p))), &fields); err != nil || fields["access_token"] != 42.0 {
			t.Errorf("answer %v (%v), want an object with a numeric access_token", fields, err)
		}
	},
	JSONNull: wantAnswer(http.StatusOK, "application/json; charset=UTF-8", `null`),
	JSONTruncated: func(t *testing.T, p *Peer, c *http.Client) {
		if body := readAll(t, mustGet(t, c, p)); json.Valid([]byte(body)) || !strings.HasPrefix(body, `{"kind":"storage#bucket"`) {
			t.Errorf("answer %q, want the start of a bucket cut short", body)
		}
	},
	DeepJSON: func(t *testing.T, p *Peer, c *http.Client) {
		if body := readAll(t, mustGet(t, c, p)); !strings.HasPrefix(body, strings.Repeat("[", 100000)) {
			t.Errorf("answer starts %.20q, want 100,000 brackets", body)
		}
	},
	XMLWrongShape: func(t *testing.T, p *Peer, c *http.Client) {
		var doc struct{ XMLName xml.Name }
		if err := xml.Unmarshal([]byte(readAll(t, mustGet(t, c, p))), &doc); err != nil || doc.XMLName.Local != "Unexpected" {
			t.Errorf("root %v (%v), want a well-formed Unexpected", doc.XMLName, err)
		}
	},
	XMLEmptyDocument: func(t *testing.T, p *Peer, c *http.Client) {
		if err := xml.Unmarshal([]byte(readAll(t, mustGet(t, c, p))), new(struct{})); !errors.Is(err, io.EOF) {
			t.Errorf("decoding: %v, want EOF before any element", err)
		}
	},
	XMLTruncated: func(t *testing.T, p *Peer, c *http.Client) {
		if err := xml.Unmarshal([]byte(readAll(t, mustGet(t, c, p))), new(struct{})); err == nil {
			t.Error("the truncated document decodes")
		}
	},
	DeepXML: func(t *testing.T, p *Peer, c *http.Client) {
		if body := readAll(t, mustGet(t, c, p)); strings.Count(body, "<a>") != 100000 {
			t.Error("want 100,000 nested elements")
		}
	},
	XMLEntityBomb: func(t *testing.T, p *Peer, c *http.Client) {
		if body := readAll(t, mustGet(t, c, p)); !strings.Contains(body, "<!ENTITY lol9") || len(body) > 2000 {
			t.Errorf("answer of %d bytes, want the billion laughs in under 2000", len(body))
		}
	},
	HugeErrorText: func(t *testing.T, p *Peer, c *http.Client) {
		res := mustGet(t, c, p)
		var doc struct{ Code, Message string }
		if err := xml.Unmarshal([]byte(readAll(t, res)), &doc); err != nil || res.StatusCode != http.StatusForbidden ||
			len(doc.Code) < 60_000 || len(doc.Message) < 250_000 || !strings.Contains(doc.Message, "\n") {
			t.Errorf("status %d, error document code of %d bytes and message of %d (%v), want 403 with huge ones",
				res.StatusCode, len(doc.Code), len(doc.Message), err)
		}
		res, err := get(t, c, p, func(r *http.Request) { r.Header.Set("Accept", "application/json") })
		if err != nil {
			t.Fatal(err)
		}
		var gcs struct {
			Error struct{ Message string } `json:"error"`
		}
		if err := json.Unmarshal([]byte(readAll(t, res)), &gcs); err != nil || !strings.Contains(gcs.Error.Message, "\x1b[2J") {
			t.Errorf("the GCS error document (%v) has no terminal escape", err)
		}
		res, err = get(t, c, p, func(r *http.Request) { r.Header.Set("x-ms-version", "2025-01-05") })
		if err != nil {
			t.Fatal(err)
		}
		if code := res.Header.Get("x-ms-error-code"); len(code) < 8000 {
			t.Errorf("Azure's error code header has %d bytes, want 8000", len(code))
		}
	},
	Redirect301Self:    wantSelfRedirect(http.StatusMovedPermanently),
	Redirect302Self:    wantSelfRedirect(http.StatusFound),
	Redirect307Self:    wantSelfRedirect(http.StatusTemporaryRedirect),
	RedirectToMetadata: wantRedirect(http.StatusFound, "http://169.254.169.254/"),
	RedirectToPrivate:  wantRedirect(http.StatusTemporaryRedirect, "http://10.0.0.1/"),
}

func wantAnswer(status int, contentType, body string) func(*testing.T, *Peer, *http.Client) {
	return func(t *testing.T, p *Peer, c *http.Client) {
		res := mustGet(t, c, p)
		if got := readAll(t, res); res.StatusCode != status || res.Header.Get("Content-Type") != contentType || got != body {
			t.Errorf("answer %d %q %.100q, want %d %q %.100q", res.StatusCode, res.Header.Get("Content-Type"), got, status, contentType, body)
		}
	}
}

// wantSelfRedirect checks the redirect goes back to the peer, marked, and that a client
// following it is counted.
func wantSelfRedirect(status int) func(*testing.T, *Peer, *http.Client) {
	return func(t *testing.T, p *Peer, c *http.Client) {
		res := mustGet(t, c, p)
		loc, err := res.Location()
		if res.StatusCode != status || err != nil || loc.Path != "/bucket" || !loc.Query().Has(redirectMarker) {
			t.Fatalf("answer %d to %v (%v), want %d to /bucket, marked", res.StatusCode, loc, err, status)
		}
		if p.Stats().Followed != 0 {
			t.Fatal("a client that did not follow was counted")
		}
		following := &http.Client{}
		if _, err := following.Get(p.URL + "/bucket"); err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
			t.Errorf("a following client got %v, want a loop", err)
		}
		if s := p.Stats(); s.Followed != s.Requests-2 {
			t.Errorf("stats %+v: want every request but the first two counted as followed", s)
		}
	}
}

func wantRedirect(status int, to string) func(*testing.T, *Peer, *http.Client) {
	return func(t *testing.T, p *Peer, c *http.Client) {
		res := mustGet(t, c, p)
		if loc := res.Header.Get("Location"); res.StatusCode != status || !strings.HasPrefix(loc, to) {
			t.Errorf("answer %d to %q, want %d to %s", res.StatusCode, loc, status, to)
		}
	}
}

func TestEveryCaseAnswersAsDocumented(t *testing.T) {
	p := Start(t)
	c := client(t)
	for _, hc := range Cases() {
		t.Run(string(hc), func(t *testing.T) {
			check, ok := caseChecks[hc]
			if !ok {
				t.Fatal("no check for this case")
			}
			p.Set(hc)
			check(t, p, c)
			if p.Stats().Requests == 0 {
				t.Error("the peer counted no request")
			}
		})
	}
	if len(Cases()) != len(caseChecks) {
		t.Errorf("%d cases and %d checks", len(Cases()), len(caseChecks))
	}
}

// TestAnswersSpeakTheRequestsFormat: an endless listing starts as the API asked would start
// one, so a client gets as far as it would with a real provider.
func TestAnswersSpeakTheRequestsFormat(t *testing.T) {
	p := Start(t)
	p.Set(EndlessBody)
	c := client(t)
	for name, c2 := range map[string]struct {
		edit func(*http.Request)
		want flavour
	}{
		"S3":             {nil, s3XML},
		"Azure":          {func(r *http.Request) { r.Header.Set("x-ms-version", "2025-01-05") }, azureXML},
		"GCS JSON API":   {func(r *http.Request) { r.URL.Path = "/storage/v1/b/bucket" }, gcsJSON},
		"GCS key list":   {func(r *http.Request) { r.Header.Set("Accept", "application/json") }, gcsJSON},
		"token endpoint": {func(r *http.Request) { toTokenRequest(r) }, oauthJSON},
	} {
		res, err := get(t, c, p, c2.edit)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		head := make([]byte, len(c2.want.head))
		_, err = io.ReadFull(res.Body, head)
		res.Body.Close()
		if err != nil || string(head) != c2.want.head || res.Header.Get("Content-Type") != c2.want.contentType {
			t.Errorf("%s: answer %s %q (%v), want %s %q", name, res.Header.Get("Content-Type"), head, err, c2.want.contentType, c2.want.head)
		}
	}
}

// toTokenRequest makes r an OAuth token exchange.
func toTokenRequest(r *http.Request) {
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}}.Encode()
	r.Method = http.MethodPost
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Body, r.ContentLength = io.NopCloser(strings.NewReader(form)), int64(len(form))
}

// TestForwardBehavesThenSetMisbehaves: a forwarding peer passes requests through with their
// Host header; switching to a case takes effect on the next request.
func TestForwardBehavesThenSetMisbehaves(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "upstream saw host "+r.Host+" and path "+r.URL.Path)
	}))
	t.Cleanup(upstream.Close)
	p := Start(t)
	c := client(t)
	p.Forward(upstream.URL)
	res := mustGet(t, c, p)
	if got, want := readAll(t, res), "upstream saw host "+strings.TrimPrefix(p.URL, "http://")+" and path /bucket"; got != want {
		t.Errorf("forwarded answer %q, want %q", got, want)
	}
	p.Set(HTML500)
	if res := mustGet(t, c, p); res.StatusCode != http.StatusInternalServerError {
		t.Errorf("after Set the peer answered %d, want the case's 500", res.StatusCode)
	}
	if s := p.Stats(); s.Requests != 1 {
		t.Errorf("stats %+v, want one request since Set", s)
	}
}

// TestCleanupEndsStuckAnswers: a client that neither reads nor closes leaves the peer's
// answer blocked in a write; the test's end must still stop the peer.
func TestCleanupEndsStuckAnswers(t *testing.T) {
	var p *Peer
	var c net.Conn // closed only after the peer's cleanup, which must not wait for it
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t.Run("stuck", func(t *testing.T) {
			p = Start(t)
			p.Set(EndlessBody)
			var err error
			if c, err = net.Dial("tcp", strings.TrimPrefix(p.URL, "http://")); err != nil {
				t.Fatal(err)
			}
			_ = c.(*net.TCPConn).SetReadBuffer(4 << 10) // a window the unread answer keeps shut
			_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: hostile\r\n\r\n")
			if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			// Wait until the socket buffers are full and the answer is blocked in a write.
			for last := int64(-1); last != p.Stats().Written; time.Sleep(100 * time.Millisecond) {
				last = p.Stats().Written
			}
		})
	}()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the peer's cleanup hangs on an answer its client does not read")
	}
	if c != nil {
		c.Close()
	}
	if !p.WaitIdle(idleWithin) {
		t.Error("an answer is still being written after the cleanup")
	}
}
