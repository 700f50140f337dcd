// Package peerproc runs a test peer's server (an emulator, a gateway) as a child process on a
// free port of 127.0.0.1: it starts the binary with its output in a log file, waits until the
// peer answers HTTP, and stops it by killing its whole process group. The peer packages
// (azurite, versitygw) build on it, so each one only says how its binary is called. It is a test
// helper: import it only from test helpers and _test.go files.
package peerproc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// host is the loopback address every peer listens on: tests only talk to 127.0.0.1.
const host = "127.0.0.1"

// attempts is how many ports Start tries: another process can take the probed port before
// the peer binds it.
const attempts = 3

// pollInterval is how often Start asks a starting peer whether it is ready.
const pollInterval = 25 * time.Millisecond

// Spec says how to run one peer and how to tell that it is ready.
type Spec struct {
	// Name names the peer in errors: "the emulator", "the gateway".
	Name string
	// Command returns the command that runs the peer listening on host and port. Start sets
	// its output and process attributes.
	Command func(host, port string) *exec.Cmd
	// ReadyPath is the path (with any query) Start requests until the peer answers it with
	// any HTTP status.
	ReadyPath string
	// StartTimeout bounds how long the peer may take to answer its first request.
	StartTimeout time.Duration
	// LogPath is the file the peer's stdout and stderr are appended to, every attempt's alike.
	LogPath string
	// RootCAs, when set, says the peer speaks HTTPS with a certificate these roots verify:
	// its URL is https and the readiness probe checks the certificate. Nil means plain http.
	RootCAs *x509.CertPool
}

// Process is a running peer.
type Process struct {
	// URL is the peer's base URL, http://127.0.0.1:PORT (https with Spec.RootCAs).
	URL string

	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error // the process's exit status, valid once exited is closed
	stopOnce sync.Once
}

// Start runs the peer on a free port and returns once it answers HTTP; the caller must Stop
// it. When the peer does not come up, the error quotes its log.
func Start(spec Spec) (*Process, error) {
	var err error
	for range attempts {
		var p *Process
		if p, err = start(spec); err == nil {
			return p, nil
		}
	}
	logText, _ := os.ReadFile(spec.LogPath)
	return nil, fmt.Errorf("start: %w\n--- %s's output ---\n%s", err, spec.Name, logText)
}

// start runs the peer once, on a fresh port, and waits until it is ready.
func start(spec Spec) (*Process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(spec.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the log of %s: %w", spec.Name, err)
	}
	defer logFile.Close()
	portText := strconv.Itoa(port)
	cmd := spec.Command(host, portText)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	scheme := "http://"
	if spec.RootCAs != nil {
		scheme = "https://"
	}
	p := &Process{URL: scheme + net.JoinHostPort(host, portText), cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(spec); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// waitReady polls the peer until it answers any HTTP status, it exits, or spec.StartTimeout
// passes.
func (p *Process) waitReady(spec Spec) error {
	transport := &http.Transport{Proxy: nil}
	if spec.RootCAs != nil {
		transport.TLSClientConfig = &tls.Config{RootCAs: spec.RootCAs, MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{Transport: transport, Timeout: time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(spec.StartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited during start-up (%v)", spec.Name, p.waitErr)
		case <-time.After(pollInterval):
		}
		if ready, err := p.answers(client, spec.ReadyPath); ready || err != nil {
			return err
		}
	}
	return fmt.Errorf("%s did not answer on %s within %s", spec.Name, p.URL, spec.StartTimeout)
}

// answers reports whether the peer answered a GET of path with any HTTP status; err is set
// only when the request could not even be built.
func (p *Process) answers(client *http.Client, path string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+path, nil)
	if err != nil {
		return false, fmt.Errorf("build the readiness probe: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, nil
	}
	resp.Body.Close()
	return true, nil
}

// Pid is the peer's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop kills the peer's whole process group, so nothing it spawned outlives it, and waits for
// it to exit. Stopping a stopped peer does nothing.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	})
}

// freePort asks the kernel for an unused TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
