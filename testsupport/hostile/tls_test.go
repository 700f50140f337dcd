package hostile

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/testca"
)

// A peer started with StartTLS misbehaves over HTTPS, and counts what it wrote as a plain one
// does.
func TestStartTLSServesHTTPS(t *testing.T) {
	ca, err := testca.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := StartTLS(t, ca.ServerConfig())
	if !strings.HasPrefix(p.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %q is not https on 127.0.0.1", p.URL)
	}
	p.Set(HTML200)
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Roots, MinVersion: tls.VersionTLS12}}
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport}).Get(p.URL + "/any")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<html") {
		t.Errorf("answer %d %.80q, want the HTML page", resp.StatusCode, body)
	}
	if !p.WaitIdle(5 * time.Second) {
		t.Fatal("the peer is still writing")
	}
	if s := p.Stats(); s.Requests != 1 || s.Written < int64(len(body)) {
		t.Errorf("stats %+v after one answer of %d bytes", s, len(body))
	}
}
