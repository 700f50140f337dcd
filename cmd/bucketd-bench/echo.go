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

// The bench runs the Echo baselines as a child process of its own binary, chosen by the
// environment rather than the arguments so that a test binary can play the child too.
const (
	childRoleEnv = "BUCKETD_BENCH_CHILD"
	echoRole     = "echo"
	// echoBodiesEnv names the directory holding the bodies the fixed-body handlers answer.
	echoBodiesEnv = "BUCKETD_BENCH_ECHO_BODIES"
	// echoDatabaseEnv and echoOrgEnv name the database and the organization whose buckets the
	// Echo+pgx handlers read.
	echoDatabaseEnv = "BUCKETD_BENCH_ECHO_DATABASE_URL"
	echoOrgEnv      = "BUCKETD_BENCH_ECHO_ORG"
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
	return true, serveEcho(os.Getenv(echoBodiesEnv), os.Getenv(echoDatabaseEnv), os.Getenv(echoOrgEnv), os.Stdout)
}

// serveEcho serves, on a loopback port it prints on stdout, until SIGTERM: GET /bucket and GET
// /bucket/:id with bare Echo handlers answering the constant JSON bodies in dir, and the same
// under /pgx with the Echo+pgx handlers reading orgID's buckets from dbURL (see routePgx).
func serveEcho(dir, dbURL, orgID string, stdout io.Writer) error {
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
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	pool, err := routePgx(ctx, e, dbURL, orgID)
	if err != nil {
		return err
	}
	defer pool.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
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

// echoServer is the running Echo baselines: the fixed-body handlers at url, the Echo+pgx ones at
// pgxURL.
type echoServer struct {
	*child
	url, pgxURL string
}

// startEcho starts the Echo baselines: fixed-body handlers answering list for GET /bucket and
// one for GET /bucket/{id}, and Echo+pgx handlers reading orgID's buckets from dbURL. It waits
// for their address.
func startEcho(work, dbURL, orgID string, list, one []byte) (*echoServer, error) {
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
	cmd.Env = childEnv(childRoleEnv+"="+echoRole, echoBodiesEnv+"="+dir, echoDatabaseEnv+"="+dbURL, echoOrgEnv+"="+orgID)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c, err := startChild("the Echo baselines", cmd)
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
			return nil, errors.New("the Echo baselines printed no address")
		}
		return &echoServer{child: c, url: "http://" + a, pgxURL: "http://" + a + pgxPrefix}, nil
	case <-time.After(startTimeout):
		_ = c.stop()
		return nil, fmt.Errorf("the Echo baselines printed no address within %s", startTimeout)
	}
}
