//go:build unix

package providerchecktest

import (
	"syscall"
	"testing"
	"time"
)

// CPUTime is the user and system time the process has used so far, for benchmarks that report
// the CPU an operation costs (cpu-ns/op), whatever else the machine runs.
func CPUTime(tb testing.TB) time.Duration {
	tb.Helper()
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
