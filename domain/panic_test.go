package domain_test

import (
	"testing"

	"github.com/bucketd/bucketd/domain"
)

func TestPanicSummaryShowsOnlyRuntimeErrors(t *testing.T) {
	var runtimeErr any
	func() {
		defer func() { runtimeErr = recover() }()
		var m map[string]int
		m["x"] = 1 //nolint:staticcheck // SA5000: assignment to a nil map, the runtime error wanted
	}()
	if got := domain.PanicSummary(runtimeErr); got != "assignment to entry in nil map" {
		t.Errorf("PanicSummary(runtime error) = %q, want the runtime error's text", got)
	}
	if got := domain.PanicSummary("secret: hunter2"); got != "string" {
		t.Errorf("PanicSummary(a string) = %q, want only its type", got)
	}
}
