// Package testca makes a throwaway certificate authority and a server certificate for the
// loopback addresses, so tests can run their peers over HTTPS (Azurite's OAuth, the Entra
// token peer) and have the code under test verify them as it verifies real providers. It is a
// test helper: import it only from _test.go files.
//
// Tests make the code under test trust the authority through SSL_CERT_FILE, Go's standard way to
// name the trusted roots (see TrustInProcess), so production code carries no option to trust
// anything but the system's roots.
package testca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// lifetime is how long the authority and the server certificate are valid: far longer than any
// test run, short enough that a leaked one is soon worthless.
const lifetime = 24 * time.Hour

// CA is an authority and the server certificate it signed for 127.0.0.1, ::1 and localhost,
// each also written as PEM files.
type CA struct {
	// Roots holds the authority's certificate alone.
	Roots *x509.CertPool
	// Certificate is the server certificate with its key, for a tls.Config.
	Certificate tls.Certificate
	// CAFile is the authority's certificate; CertFile and KeyFile the server's certificate and
	// key (PKCS #8), for peers that read files.
	CAFile, CertFile, KeyFile string
}

// New makes an authority and a server certificate and writes their PEM files in dir.
func New(dir string) (*CA, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testca: authority key: %w", err)
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "bucketd test authority"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(lifetime),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testca: authority certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("testca: parse the authority certificate: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testca: server key: %w", err)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(lifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testca: server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("testca: encode the server key: %w", err)
	}
	ca := &CA{
		Roots:       x509.NewCertPool(),
		Certificate: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key},
		CAFile:      filepath.Join(dir, "ca.pem"),
		CertFile:    filepath.Join(dir, "server.pem"),
		KeyFile:     filepath.Join(dir, "server-key.pem"),
	}
	ca.Roots.AddCert(caCert)
	for path, block := range map[string]*pem.Block{
		ca.CAFile:   {Type: "CERTIFICATE", Bytes: caDER},
		ca.CertFile: {Type: "CERTIFICATE", Bytes: leafDER},
		ca.KeyFile:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			return nil, fmt.Errorf("testca: write %s: %w", path, err)
		}
	}
	return ca, nil
}

// ServerConfig is a TLS configuration serving the server certificate.
func (ca *CA) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.Certificate}, MinVersion: tls.VersionTLS12}
}

// TrustInProcess makes every TLS client of this process that uses the system's roots trust the
// authority, and only it, through SSL_CERT_FILE. Go reads the system's roots once, on their
// first use, so call it from TestMain before any test runs. Give a child process (the real
// bucketd binary) the same variable: SSLCertFileEnv.
func (ca *CA) TrustInProcess() error {
	return os.Setenv("SSL_CERT_FILE", ca.CAFile)
}

// SSLCertFileEnv is the environment entry that makes a Go child process trust the authority.
func (ca *CA) SSLCertFileEnv() string { return "SSL_CERT_FILE=" + ca.CAFile }
