// Package helpertest tests test helpers: it runs one against a testing.TB that records its
// failures instead of failing the test, so a test can prove a helper fails when it should (a
// missing emulator, a leaked secret) and passes otherwise. It is a test helper itself: import
// it only from _test.go files.
package helpertest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB whose failures are recorded; everything else goes to the real test.
// Fatal and Fatalf end the helper's goroutine, as testing.T does.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recorder) record(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, msg)
}

// sprint formats args as testing.T's Error and Fatal do: spaces between all of them.
func sprint(args ...any) string { return strings.TrimSuffix(fmt.Sprintln(args...), "\n") }

func (r *recorder) Error(args ...any)                 { r.record(sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatal(args ...any)                 { r.record(sprint(args...)); runtime.Goexit() }

func (r *recorder) Fatalf(format string, args ...any) {
	r.record(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// Failures runs helper with a recording testing.TB in a goroutine of its own, waits for it to
// return or stop at a Fatal, and returns what it failed with, in order; none when it passed.
// The other methods of the TB (Helper, Cleanup, TempDir, Setenv) are t's.
func Failures(t testing.TB, helper func(testing.TB)) []string {
	t.Helper()
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		helper(rec)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.failures...)
}
