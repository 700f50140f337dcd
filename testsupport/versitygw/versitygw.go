// Package versitygw starts a real Versity S3 Gateway on 127.0.0.1 for tests. It is a test
// helper: import it only from _test.go files. The gateway binary is located through
// BUCKETD_VERSITYGW or the bucketd tool cache (`make test` installs it there); a missing binary
// fails the test with the command that installs it, because a skipped provider test proves
// nothing.
package versitygw

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/peerproc"
)

// Credentials of the gateway's root account, which owns every bucket the helpers create. They
// are long enough for domain.Secret.Hint to show a hint.
const (
	RootKey    = "BUCKETDROOTACCESSKEY"
	RootSecret = "bucketd-root-secret-access-key-for-tests-only"
	// Region is the region the gateway reports and signs for.
	Region = "us-east-1"
)

// InstallCommand installs the gateway where Binary looks for it.
const InstallCommand = "GOBIN=${XDG_CACHE_HOME:-$HOME/.cache}/bucketd/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// startTimeout bounds how long the gateway may take to answer its first request.
const startTimeout = 20 * time.Second

// Server is a running gateway with a posix backend in a temporary directory and an internal
// IAM store, so unknown keys, wrong secrets and non-owner users get the answers AWS gives.
type Server struct {
	// Endpoint is the gateway's S3 and admin URL, http://127.0.0.1:PORT.
	Endpoint string
	// RootKey and RootSecret are the root account's credentials (the package constants).
	RootKey, RootSecret string
	// Region is the region the gateway reports and signs for.
	Region string

	bin    string
	client *http.Client
}

// Start runs a gateway in Region for the duration of t and stops it in t.Cleanup. The
// gateway's own output is kept in a file that Start prints when the gateway fails to come up.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartInRegion(t, Region)
}

// StartInRegion is Start with the gateway in region.
func StartInRegion(t testing.TB, region string) *Server {
	t.Helper()
	bin := Binary(t)
	dataDir, iamDir := t.TempDir(), t.TempDir()
	proc, err := peerproc.Start(peerproc.Spec{
		Name: "the gateway",
		Command: func(host, port string) *exec.Cmd {
			return exec.Command(bin,
				"--access", RootKey, "--secret", RootSecret, "--region", region,
				"--iam-dir", iamDir, "--port", net.JoinHostPort(host, port), "--quiet",
				"posix", dataDir)
		},
		ReadyPath:    "/",
		StartTimeout: startTimeout,
		LogPath:      filepath.Join(t.TempDir(), "versitygw.log"),
	})
	if err != nil {
		t.Fatalf("versitygw: %v", err)
	}
	t.Cleanup(proc.Stop)
	s := &Server{
		Endpoint:   proc.URL,
		RootKey:    RootKey,
		RootSecret: RootSecret,
		Region:     region,
		bin:        bin,
		client:     &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second},
	}
	t.Cleanup(s.client.CloseIdleConnections)
	return s
}

// Binary returns the path of the versitygw executable, failing t when it is not installed.
func Binary(t testing.TB) string {
	t.Helper()
	path := os.Getenv("BUCKETD_VERSITYGW")
	if path == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				t.Fatalf("versitygw: locate the tool cache: %v; set BUCKETD_VERSITYGW to the versitygw binary", err)
			}
			cache = filepath.Join(home, ".cache")
		}
		path = filepath.Join(cache, "bucketd", "bin", "versitygw")
	}
	if info, err := os.Stat(path); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		t.Fatalf("versitygw: no executable at %s (BUCKETD_VERSITYGW or the tool cache); install it with:\n  %s",
			path, InstallCommand)
	}
	return path
}
