package providercheck_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// TestTransportKindOfBrokenHTTP has a real server answer in ways net/http's client refuses to
// read, and wants each one to be the provider's error, worded with the header limit, never a
// connection failure: the endpoint was reached and chose its answer.
func TestTransportKindOfBrokenHTTP(t *testing.T) {
	for name, answer := range map[string]string{
		"headers over the limit": "HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("a", netguard.MaxResponseHeaderBytes) + "\r\n\r\n",
		"endless 1xx answers":    strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", 3000),
		"not HTTP":               "SSH-2.0-OpenSSH_9.6\r\n\r\n",
		"bad status code":        "HTTP/1.1 2x0 OK\r\n\r\n",
		"bad header line":        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			url := rawServer(t, answer)
			client := &http.Client{Transport: &http.Transport{MaxResponseHeaderBytes: netguard.MaxResponseHeaderBytes}}
			resp, err := client.Get(url)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("net/http read the answer (status %d); want it refused", resp.StatusCode)
			}
			kind, ok := providercheck.TransportKind(err)
			if !ok || kind != domain.KindProviderError {
				t.Fatalf("TransportKind(%v) = %v, %v; want a provider error", err, kind, ok)
			}
			want := "list: P answered with something bucketd does not read as HTTP: no HTTP at all, " +
				"endless informational (1xx) answers, or headers over 64 KiB, the most bucketd reads of them"
			if got := providercheck.DescribeTransport("list", "P", kind, err, time.Second); got != want {
				t.Errorf("DescribeTransport = %q\nwant %q", got, want)
			}
		})
	}
}

// rawServer answers every connection with answer, whatever was asked, and returns its URL. It
// keeps the connection open afterwards, so the client judges the answer, not its end.
func rawServer(t *testing.T, answer string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = http.ReadRequest(bufio.NewReader(c))
				_, _ = c.Write([]byte(answer))
				_, _ = c.Read(make([]byte, 1)) // until the client gives up
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}
