// Package logcapture collects what a test's code under test logs or prints, so the test can
// read it back (to prove a secret never reached a log line, say). It is a test helper: import
// it only from _test.go files. It depends on the standard library alone, so the tests of any
// package, adapters and cmd alike, may use it without bending the dependency rule.
package logcapture

import (
	"bytes"
	"log/slog"
	"sync"
)

// Buffer is an io.Writer that many goroutines may write to while a test reads it: an HTTP
// handler's log, a validator's concurrent checks, a child process's output. The zero value is
// ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger returns a text logger writing into b at every level, debug included, since the debug
// lines are the ones most likely to carry what a test must not find there.
func (b *Buffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
