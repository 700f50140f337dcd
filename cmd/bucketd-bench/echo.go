package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
)

// The bench runs the Echo baseline as a child process of its own binary, chosen by the
// environment rather than the arguments so that a test binary can play the child too.
const (
	childRoleEnv = "BUCKETD_BENCH_CHILD"
	echoRole     = "echo"
	echoBodyEnv  = "BUCKETD_BENCH_ECHO_BODY"
)

// runChild plays the child role the environment names, if any, and reports whether it did.
func runChild() (bool, error) {
	if os.Getenv(childRoleEnv) != echoRole {
		return false, nil
	}
	return true, serveEcho(os.Getenv(echoBodyEnv), os.Stdout)
}

// serveEcho serves GET /bucket with a bare Echo handler answering the constant JSON body in
// bodyPath, on a loopback port it prints on stdout, until SIGTERM.
func serveEcho(bodyPath string, stdout io.Writer) error {
	body, err := os.ReadFile(bodyPath)
	if err != nil {
		return err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/bucket", func(c echo.Context) error { return c.JSONBlob(http.StatusOK, body) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if _, err := fmt.Fprintln(stdout, ln.Addr()); err != nil {
		return err
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// echoServer is the running Echo baseline.
type echoServer struct {
	*child
	url string
}

// startEcho starts the Echo baseline answering body and waits for its address.
func startEcho(work string, body []byte) (*echoServer, error) {
	bodyPath := filepath.Join(work, "echo-body.json")
	if err := os.WriteFile(bodyPath, body, 0o600); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = childEnv(childRoleEnv+"="+echoRole, echoBodyEnv+"="+bodyPath)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c, err := startChild("the Echo baseline", cmd)
	if err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			_ = c.stop()
			return nil, errors.New("the Echo baseline printed no address")
		}
		return &echoServer{child: c, url: "http://" + a}, nil
	case <-time.After(startTimeout):
		_ = c.stop()
		return nil, fmt.Errorf("the Echo baseline printed no address within %s", startTimeout)
	}
}
