// Package versitygw starts a real Versity S3 Gateway on 127.0.0.1 for tests. It is a test
// helper: import it only from _test.go files. The gateway binary is located through
// BUCKETD_VERSITYGW or the bucketd tool cache (`make test` installs it there); a missing binary
// fails the test with the command that installs it, because a skipped provider test proves
// nothing.
package versitygw

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
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

	bin    string
	client *http.Client
}

// Start runs a gateway for the duration of t and stops it in t.Cleanup. The gateway's own
// output is kept in a file that Start prints when the gateway fails to come up.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dataDir, iamDir, logPath := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "versitygw.log")
	s := &Server{
		RootKey:    RootKey,
		RootSecret: RootSecret,
		bin:        bin,
		client:     &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second},
	}
	t.Cleanup(s.client.CloseIdleConnections)
	// Another process can take the probed port before the gateway binds it; try a few ports.
	const attempts = 3
	var err error
	for range attempts {
		if err = s.start(t, dataDir, iamDir, logPath); err == nil {
			return s
		}
	}
	logText, _ := os.ReadFile(logPath)
	t.Fatalf("versitygw: start: %v\n--- gateway output ---\n%s", err, logText)
	return nil
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

// start launches the gateway on a fresh port and waits until it answers HTTP.
func (s *Server) start(t testing.TB, dataDir, iamDir, logPath string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open gateway log: %w", err)
	}
	defer logFile.Close()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(s.bin,
		"--access", RootKey, "--secret", RootSecret, "--region", Region,
		"--iam-dir", iamDir, "--port", addr, "--quiet",
		"posix", dataDir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	s.Endpoint = "http://" + addr
	if err := s.waitReady(exited, &waitErr); err != nil {
		stop()
		return err
	}
	t.Cleanup(stop)
	return nil
}

// waitReady polls the endpoint until the gateway answers any HTTP status, it exits, or
// startTimeout passes.
// waitErr is the process's exit error, valid once exited is closed.
func (s *Server) waitReady(exited <-chan struct{}, waitErr *error) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("gateway exited during start-up (%v)", *waitErr)
		case <-time.After(25 * time.Millisecond):
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/", nil)
		if err != nil {
			cancel()
			return fmt.Errorf("build readiness probe: %w", err)
		}
		resp, err := s.client.Do(req)
		if err == nil {
			resp.Body.Close()
			cancel()
			return nil
		}
		cancel()
	}
	return fmt.Errorf("gateway did not answer on %s within %s", s.Endpoint, startTimeout)
}

// freePort asks the kernel for an unused TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
