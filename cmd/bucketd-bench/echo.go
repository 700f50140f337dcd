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
	// echoBodiesEnv names the directory holding the bodies the Echo baseline answers.
	echoBodiesEnv = "BUCKETD_BENCH_ECHO_BODIES"
)

// The files of the bodies' directory: GET /bucket's answer and GET /bucket/{id}'s.
const (
	listBodyFile = "list.json"
	oneBodyFile  = "one.json"
)

// runChild plays the child role the environment names, if any, and reports whether it did.
func runChild() (bool, error) {
	if os.Getenv(childRoleEnv) != echoRole {
		return false, nil
	}
	return true, serveEcho(os.Getenv(echoBodiesEnv), os.Stdout)
}

// serveEcho serves GET /bucket and GET /bucket/:id with bare Echo handlers answering the
// constant JSON bodies in dir, on a loopback port it prints on stdout, until SIGTERM.
func serveEcho(dir string, stdout io.Writer) error {
	list, err := os.ReadFile(filepath.Join(dir, listBodyFile))
	if err != nil {
		return err
	}
	one, err := os.ReadFile(filepath.Join(dir, oneBodyFile))
	if err != nil {
		return err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/bucket", func(c echo.Context) error { return c.JSONBlob(http.StatusOK, list) })
	e.GET("/bucket/:id", func(c echo.Context) error { return c.JSONBlob(http.StatusOK, one) })
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

// startEcho starts the Echo baseline answering list for GET /bucket and one for GET
// /bucket/{id}, and waits for its address.
func startEcho(work string, list, one []byte) (*echoServer, error) {
	dir := filepath.Join(work, "echo")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	for name, body := range map[string][]byte{listBodyFile: list, oneBodyFile: one} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			return nil, err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = childEnv(childRoleEnv+"="+echoRole, echoBodiesEnv+"="+dir)
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
