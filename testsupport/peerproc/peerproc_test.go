package peerproc

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/testca"
)

// The test binary doubles as the peer: roleEnv tells a child copy which part to play.
const (
	roleEnv = "PEERPROC_TEST_ROLE"
	addrEnv = "PEERPROC_TEST_ADDR"
	certEnv = "PEERPROC_TEST_CERT"
	keyEnv  = "PEERPROC_TEST_KEY"
)

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "server":
		serve(os.Getenv(addrEnv))
	case "tls-server":
		handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
		fmt.Println(http.ListenAndServeTLS(os.Getenv(addrEnv), os.Getenv(certEnv), os.Getenv(keyEnv), handler))
		os.Exit(1)
	case "sleeper", "silent":
		time.Sleep(time.Hour)
	case "crash":
		fmt.Println("cannot start: no configuration")
		os.Exit(3)
	default:
		os.Exit(m.Run())
	}
}

// serve starts a child that stays in the process group, prints its pid, and answers HTTP on
// addr, as an emulator launched through a wrapper script would.
func serve(addr string) {
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), roleEnv+"=sleeper")
	if err := child.Start(); err != nil {
		fmt.Println("start the child:", err)
		os.Exit(1)
	}
	fmt.Printf("child %d\n", child.Process.Pid)
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	fmt.Println(http.ListenAndServe(addr, handler))
	os.Exit(1)
}

// spec runs the test binary in role, its output in a temporary log.
func spec(t *testing.T, role string, timeout time.Duration) Spec {
	return Spec{
		Name: "the " + role,
		Command: func(host, port string) *exec.Cmd {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), roleEnv+"="+role, addrEnv+"="+net.JoinHostPort(host, port))
			return cmd
		},
		ReadyPath:    "/ready?probe=1",
		StartTimeout: timeout,
		LogPath:      filepath.Join(t.TempDir(), role+".log"),
	}
}

// Stop must leave neither the peer, nor a process it started, nor its port behind.
func TestStartServesAndStopKillsTheGroup(t *testing.T) {
	s := spec(t, "server", 10*time.Second)
	p, err := Start(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q is not on 127.0.0.1", p.URL)
	}
	resp, err := http.Get(p.URL + "/")
	if err != nil {
		t.Fatalf("GET %s: %v", p.URL, err)
	}
	resp.Body.Close()
	child := childPid(t, s.LogPath)
	pid := p.Pid()
	p.Stop()
	p.Stop() // a second Stop must neither block nor signal anything
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("signal 0 to the peer (pid %d) after Stop = %v, want ESRCH", pid, err)
	}
	if !gone(child, 5*time.Second) {
		t.Errorf("the peer's child (pid %d) outlived Stop", child)
	}
	if conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://")); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Stop", p.URL)
	}
}

func TestStartReportsAPeerThatExits(t *testing.T) {
	_, err := Start(spec(t, "crash", 10*time.Second))
	if err == nil {
		t.Fatal("Start of a peer that exits succeeded")
	}
	for _, want := range []string{"the crash exited during start-up (exit status 3)", "--- the crash's output ---", "cannot start: no configuration"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestStartGivesUpOnAPeerThatNeverAnswers(t *testing.T) {
	start := time.Now()
	_, err := Start(spec(t, "silent", 200*time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "the silent did not answer on http://127.0.0.1:") || !strings.Contains(err.Error(), "within 200ms") {
		t.Fatalf("Start error = %v, want the start timeout", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Start took %s with a 200ms start timeout and %d attempts", took, attempts)
	}
}

// childPid reads the pid the server peer printed for its child.
func childPid(t *testing.T, logPath string) int {
	t.Helper()
	out, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "child "); ok {
			pid, err := strconv.Atoi(rest)
			if err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			return pid
		}
	}
	t.Fatalf("the peer logged no child pid: %q", out)
	return 0
}

// gone waits up to timeout for pid to die. A killed orphan may linger as a zombie until init
// reaps it; a zombie runs nothing, so it counts as gone.
func gone(pid int, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if _, after, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(after, "Z") {
				return true
			}
		}
	}
	return false
}

// A peer that speaks HTTPS is ready once it answers over TLS with a certificate the roots
// verify, and its URL says https.
func TestStartWaitsForAnHTTPSPeer(t *testing.T) {
	ca, err := testca.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := spec(t, "tls-server", 10*time.Second)
	command := s.Command
	s.Command = func(host, port string) *exec.Cmd {
		cmd := command(host, port)
		cmd.Env = append(cmd.Env, certEnv+"="+ca.CertFile, keyEnv+"="+ca.KeyFile)
		return cmd
	}
	s.RootCAs = ca.Roots
	p, err := Start(s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if !strings.HasPrefix(p.URL, "https://127.0.0.1:") {
		t.Errorf("URL %q is not https on 127.0.0.1", p.URL)
	}
}
