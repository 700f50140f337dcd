package domain_test

import (
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
)

func TestBackoffWaitDoublesFromBaseToMax(t *testing.T) {
	b := domain.Backoff{Free: 3, Base: time.Second, Max: 10 * time.Second, Forget: time.Hour}
	want := map[int]time.Duration{0: 0, 1: 0, 3: 0, 4: time.Second, 5: 2 * time.Second, 6: 4 * time.Second,
		7: 8 * time.Second, 8: 10 * time.Second, 9: 10 * time.Second, 1 << 30: 10 * time.Second}
	for failures, w := range want {
		if got := b.Wait(failures); got != w {
			t.Errorf("Wait(%d) = %s, want %s", failures, got, w)
		}
	}
}

func TestBackoffBlockedUntil(t *testing.T) {
	b := domain.Backoff{Free: 1, Base: time.Second, Max: time.Minute, Forget: time.Hour}
	last := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		f    domain.FailureCount
		now  time.Time
		want time.Time
	}{
		{"no failures", domain.FailureCount{}, last, time.Time{}},
		{"free failures", domain.FailureCount{Failures: 1, LastFailure: last}, last, time.Time{}},
		{"blocked", domain.FailureCount{Failures: 3, LastFailure: last}, last, last.Add(2 * time.Second)},
		{"blocked, waited out", domain.FailureCount{Failures: 3, LastFailure: last}, last.Add(time.Minute), last.Add(2 * time.Second)},
		{"forgotten", domain.FailureCount{Failures: 50, LastFailure: last}, last.Add(time.Hour), time.Time{}},
	} {
		if got := b.BlockedUntil(tc.f, tc.now); !got.Equal(tc.want) {
			t.Errorf("%s: BlockedUntil = %s, want %s", tc.name, got, tc.want)
		}
	}
}
