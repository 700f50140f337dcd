package logcapture

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Concurrent writers must neither race (under -race) nor lose or interleave a write.
func TestBufferKeepsConcurrentWrites(t *testing.T) {
	var b Buffer
	const writers, lines = 8, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(&b, "writer %d line %d\n", w, i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("buffer holds %d lines, want %d", len(got), writers*lines)
	}
	for _, line := range got {
		var w, i int
		if n, err := fmt.Sscanf(line, "writer %d line %d", &w, &i); n != 2 || err != nil {
			t.Errorf("line %q is not one whole write", line)
		}
	}
}

func TestLoggerWritesDebugLines(t *testing.T) {
	var b Buffer
	b.Logger().Debug("probe sent", "bucket", "reports")
	if got := b.String(); !strings.Contains(got, "level=DEBUG") || !strings.Contains(got, `msg="probe sent" bucket=reports`) {
		t.Errorf("log = %q, want the debug line with its attribute", got)
	}
}
