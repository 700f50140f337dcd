package helpertest

import (
	"slices"
	"testing"
)

func TestFailuresRecordsWhatAHelperFailedWith(t *testing.T) {
	for name, c := range map[string]struct {
		helper func(testing.TB)
		want   []string
	}{
		"passing helper": {func(tb testing.TB) { tb.Helper() }, nil},
		"errors, then a fatal that stops it": {func(tb testing.TB) {
			tb.Errorf("first %d", 1)
			tb.Error("second")
			tb.Fatalf("fatal %s", "stop")
			tb.Error("never reached")
		}, []string{"first 1", "second", "fatal stop"}},
		"Fatal": {func(tb testing.TB) { tb.Fatal("gone", 42); tb.Error("never reached") }, []string{"gone 42"}},
	} {
		if got := Failures(t, c.helper); !slices.Equal(got, c.want) {
			t.Errorf("%s: Failures = %q, want %q", name, got, c.want)
		}
	}
}
