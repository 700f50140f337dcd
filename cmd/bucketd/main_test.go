package main_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bucketdBin is the binary under test, built once by TestMain.
var bucketdBin string

// commandTimeout bounds a one-shot command (migrate, admin ...), so a hung process fails the
// test instead of stalling the whole run.
const commandTimeout = time.Minute

// TestMain builds the real bucketd binary once; every test runs it as a subprocess. It is built
// with the race detector exactly when the tests are, so it shares their build cache and a data
// race in the server under load makes it exit non-zero, which the tests notice.
func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "bucketd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "create directory for the bucketd binary:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }() // a temporary directory; the OS cleans up what is left
	bucketdBin = filepath.Join(dir, "bucketd")
	args := []string{"build", "-o", bucketdBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build bucketd:", err)
		return 1
	}
	return m.Run()
}

// bucketdEnv is the test process's environment without any BUCKETD_ or AWS_ variable, so a
// developer's own configuration (bucketd's, or the AWS identity bucketd would assume roles
// with) cannot change what a test's command line asks for. Unless GORACE is set, a
// race-enabled bucketd exits without the race runtime's default one-second pause, which would
// otherwise dominate the run time of the many short admin commands; a race found still makes
// it exit non-zero.
func bucketdEnv() []string {
	env := []string{"GORACE=atexit_sleep_ms=0"}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GORACE=") {
			env[0] = kv
		} else if !strings.HasPrefix(kv, "BUCKETD_") && !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

// runResult is what a finished one-shot command printed.
type runResult struct {
	stdout, stderr string
	err            error
}

// runBucketd runs a one-shot command to completion in dir ("" for the test's own directory).
func runBucketd(t testing.TB, dir string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bucketdBin, args...)
	cmd.Dir, cmd.Env = dir, bucketdEnv()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("bucketd %s did not finish within %s\nstderr: %s", args[0], commandTimeout, stderr.String())
	}
	return runResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRunBucketd runs a one-shot command and fails t unless it exits 0.
func mustRunBucketd(t testing.TB, dir string, args ...string) runResult {
	t.Helper()
	res := runBucketd(t, dir, args...)
	if res.err != nil {
		t.Fatalf("bucketd %s: %v\nstderr: %s", strings.Join(args[:min(2, len(args))], " "), res.err, res.stderr)
	}
	return res
}
