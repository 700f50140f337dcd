package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/logcapture"
)

// Bounds of a server's life: start-up includes migrating the database; shutdown waits for
// in-flight requests.
const (
	startTimeout    = 60 * time.Second
	shutdownTimeout = 30 * time.Second
	requestTimeout  = 60 * time.Second
)

// lockedBuffer collects a process's output while the process writes it.
type lockedBuffer struct{ logcapture.Buffer }

// server is a running `bucketd serve` process.
type server struct {
	// URL is the base URL of the API, http://127.0.0.1:PORT.
	URL string
	// Stdout and Stderr are everything the process has printed so far; Stderr holds its JSON log.
	Stdout, Stderr *lockedBuffer
	// Responses holds the body of every answer a Client of this server received, for the leak
	// checks.
	Responses lockedBuffer

	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
	stopOnce sync.Once
	stopErr  error
}

// startServer runs `bucketd serve args...` in dir ("" for the test's own directory), waits
// until it logs its address and answers /readyz with 200, and stops it in t.Cleanup, failing t
// unless it then shuts down gracefully with exit status 0.
func startServer(t testing.TB, checker *contracttest.Checker, dir string, args ...string) *server {
	t.Helper()
	return startServerWithEnv(t, checker, dir, nil, args...)
}

// startServerWithEnv is startServer with env (KEY=value) added to bucketd's environment.
func startServerWithEnv(t testing.TB, checker *contracttest.Checker, dir string, env []string, args ...string) *server {
	t.Helper()
	s := &server{Stdout: &lockedBuffer{}, Stderr: &lockedBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bucketdBin, append([]string{"serve"}, args...)...)
	s.cmd.Dir, s.cmd.Env = dir, append(bucketdEnv(), env...)
	s.cmd.Stdout, s.cmd.Stderr = s.Stdout, s.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start bucketd serve: %v", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("%v\nstderr:\n%s", err, s.Stderr.String())
		}
	})
	addr, err := s.waitListening()
	if err != nil {
		t.Fatalf("bucketd serve: %v\nstderr:\n%s", err, s.Stderr.String())
	}
	s.URL = "http://" + addr
	s.waitReady(t, checker)
	return s
}

// waitListening returns the address of the "bucketd listening" log line.
func (s *server) waitListening() (string, error) {
	deadline := time.After(startTimeout)
	for {
		if addr := listeningAddr(s.Stderr.String()); addr != "" {
			return addr, nil
		}
		select {
		case <-s.exited:
			if addr := listeningAddr(s.Stderr.String()); addr != "" {
				return addr, nil
			}
			return "", fmt.Errorf("exited during start-up (%v)", s.waitErr)
		case <-deadline:
			return "", fmt.Errorf("no \"bucketd listening\" log line within %s", startTimeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// listeningAddr finds the addr attribute of the "bucketd listening" line in a JSON log.
func listeningAddr(log string) string { return loggedAddr(log, "bucketd listening") }

// loggedAddr finds the addr attribute of the first line with message msg in a JSON log, or "".
func loggedAddr(log, msg string) string {
	for line := range strings.Lines(log) {
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
			return rec.Addr
		}
	}
	return ""
}

// waitReady polls /readyz until it answers 200.
func (s *server) waitReady(t testing.TB, checker *contracttest.Checker) {
	t.Helper()
	c := s.Client(t, checker, "")
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		res, err := c.ReadyzWithResponse(ctx)
		cancel()
		var last string
		switch {
		case err != nil:
			last = err.Error()
		case res.StatusCode() == http.StatusOK && res.JSON200 != nil && res.JSON200.Success:
			return
		default:
			last = fmt.Sprintf("%d %s", res.StatusCode(), res.Body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /readyz did not answer 200 within %s; last answer: %s", startTimeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits for the process to exit; it returns an error unless the process
// exits 0 within shutdownTimeout. Later calls return the first call's result.
func (s *server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *server) stop() error {
	select {
	case <-s.exited:
		return fmt.Errorf("bucketd serve exited before it was stopped: %v", s.waitErr)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("send SIGTERM to bucketd serve: %w", err)
	}
	select {
	case <-s.exited:
	case <-time.After(shutdownTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("bucketd serve did not exit within %s of SIGTERM", shutdownTimeout)
	}
	var exitErr *exec.ExitError
	if errors.As(s.waitErr, &exitErr) {
		return fmt.Errorf("bucketd serve exited with status %d after SIGTERM, want 0", exitErr.ExitCode())
	}
	return s.waitErr
}

// Client returns a generated API client for the server whose every response is checked against
// openapi.yaml and that sends token as the bearer token ("" sends none).
func (s *server) Client(t testing.TB, checker *contracttest.Checker, token string) *client.ClientWithResponses {
	t.Helper()
	transport := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}
	t.Cleanup(transport.CloseIdleConnections)
	opts := []client.ClientOption{client.WithHTTPClient(&http.Client{
		Transport: checker.RoundTripper(t, recordBodies(transport, &s.Responses)),
		Timeout:   requestTimeout,
	})}
	if token != "" {
		opts = append(opts, client.WithRequestEditorFn(bearer(token)))
	}
	c, err := client.NewClientWithResponses(s.URL, opts...)
	if err != nil {
		t.Fatalf("new API client: %v", err)
	}
	return c
}

// recordBodies copies every response body base carries into w and hands it on unchanged.
func recordBodies(base http.RoundTripper, w io.Writer) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		res, err := base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		_, _ = w.Write(append(body, '\n'))
		res.Body = io.NopCloser(bytes.NewReader(body))
		return res, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// bearer sets the Authorization header of every request.
func bearer(token string) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}
