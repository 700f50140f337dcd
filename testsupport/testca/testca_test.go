package testca

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestServerCertificateVerifiesForLoopback(t *testing.T) {
	ca, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	srv.TLS = ca.ServerConfig()
	srv.StartTLS()
	defer srv.Close()

	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Roots, MinVersion: tls.VersionTLS12}}}
	resp, err := trusting.Get(srv.URL)
	if err != nil {
		t.Fatalf("a client trusting the authority: %v", err)
	}
	resp.Body.Close()

	other := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12}}}
	if resp, err := other.Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Error("a client that does not trust the authority accepted its certificate")
	}
}

func TestFilesArePEM(t *testing.T) {
	ca, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.LoadX509KeyPair(ca.CertFile, ca.KeyFile); err != nil {
		t.Errorf("the server certificate and key files do not load: %v", err)
	}
	caPEM, err := os.ReadFile(ca.CAFile)
	if err != nil || !x509.NewCertPool().AppendCertsFromPEM(caPEM) {
		t.Errorf("the authority file is not a PEM certificate: %v", err)
	}
	if got := ca.SSLCertFileEnv(); !strings.HasPrefix(got, "SSL_CERT_FILE=") || !strings.HasSuffix(got, ca.CAFile) {
		t.Errorf("SSLCertFileEnv = %q", got)
	}
}
