package main_test

import (
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/testsupport/contracttest"
)

// TestPprofServesTheProfilerOnItsOwnLoopbackListener starts the binary with --pprof-addr :0 and
// secrets on its command line: the profiler listens on loopback, on a port that is not the
// API's, and its command line page names the flags but none of the secret values, in either
// flag form. The API port does not serve the profiler, nor the profiler port the API.
func TestPprofServesTheProfilerOnItsOwnLoopbackListener(t *testing.T) {
	dir := t.TempDir()
	masterKey, fingerprintKey := randomBase64(32), randomBase64(32)
	databaseURL := "sqlite://" + filepath.Join(dir, "pprof-secret-path.db")
	s := startServer(t, contracttest.New(t), dir, "--addr", "127.0.0.1:0", "--pprof-addr", ":0",
		"--database-url", databaseURL, "--master-keys", masterKeyID+":"+masterKey, "--fingerprint-key="+fingerprintKey)

	addr := pprofAddr(s.Stderr.String())
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf(`"pprof listening" addr = %q, want 127.0.0.1:PORT for --pprof-addr :0`, addr)
	}
	if "http://"+addr == s.URL {
		t.Fatalf("the profiler listens on the API's address %s", addr)
	}

	status, body := httpGet(t, "http://"+addr+"/debug/pprof/cmdline")
	if status != http.StatusOK {
		t.Fatalf("GET /debug/pprof/cmdline answered %d, want 200", status)
	}
	args := strings.Split(body, "\x00")
	for _, want := range [][]string{
		{"serve"}, {"--pprof-addr", ":0"}, {"--master-keys", "[REDACTED]"}, {"--fingerprint-key=[REDACTED]"},
		{"--database-url", "[REDACTED]"},
	} {
		if !containsRun(args, want) {
			t.Errorf("the command line holds no %q", want) // it is not printed: it may hold the secrets
		}
	}
	for label, secret := range map[string]string{"the master key": masterKey, "the fingerprint key": fingerprintKey, "the database URL": databaseURL} {
		if strings.Contains(body, secret) {
			t.Errorf("/debug/pprof/cmdline shows %s", label)
		}
	}
	if status, _ := httpGet(t, "http://"+addr+"/debug/pprof/heap?debug=1"); status != http.StatusOK {
		t.Errorf("GET /debug/pprof/heap answered %d, want 200", status)
	}
	if status, _ := httpGet(t, s.URL+"/debug/pprof/cmdline"); status != http.StatusNotFound {
		t.Errorf("the API port answered /debug/pprof/cmdline with %d, want 404", status)
	}
	if status, _ := httpGet(t, "http://"+addr+"/healthz"); status != http.StatusNotFound {
		t.Errorf("the profiler port answered /healthz with %d, want 404", status)
	}
}

// TestPprofIsOffByDefault checks that a server started without --pprof-addr starts no profiler.
func TestPprofIsOffByDefault(t *testing.T) {
	s := startServer(t, contracttest.New(t), t.TempDir(), "--dev", "--addr", "127.0.0.1:0")
	if addr := pprofAddr(s.Stderr.String()); addr != "" {
		t.Errorf("without --pprof-addr the server logged a profiler listening on %s", addr)
	}
}

// TestPprofAddrMustBeHostPort checks that a malformed --pprof-addr stops serve with a message
// naming the flag and the expected form.
func TestPprofAddrMustBeHostPort(t *testing.T) {
	res := runBucketd(t, t.TempDir(), "serve", "--dev", "--addr", "127.0.0.1:0", "--pprof-addr", "6060")
	if res.err == nil {
		t.Fatal("serve --pprof-addr 6060 exited 0, want a usage error")
	}
	if !strings.Contains(res.stderr, "pprof-addr") || !strings.Contains(res.stderr, "host:port") {
		t.Errorf("serve --pprof-addr 6060 printed %q, want a message naming pprof-addr and host:port", res.stderr)
	}
}

// pprofAddr finds the addr attribute of the "pprof listening" line in a JSON log, or "".
func pprofAddr(log string) string { return loggedAddr(log, "pprof listening") }

// httpGet fetches url with a plain client and returns the status and the body.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	res, err := (&http.Client{Timeout: requestTimeout}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return res.StatusCode, string(body)
}

// containsRun reports whether run appears in args as consecutive elements.
func containsRun(args, run []string) bool {
	for i := range args {
		if len(args)-i >= len(run) && slices.Equal(args[i:i+len(run)], run) {
			return true
		}
	}
	return false
}
