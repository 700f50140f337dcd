package ports

//go:generate go tool mockgen -destination=../testsupport/mocks/health.go -package=mocks . StatusSource,Leases

import (
	"context"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// StatusSource finds the buckets whose status is due for a re-check, across every organization:
// the background health job is the one reader that is not scoped to a caller.
type StatusSource interface {
	// DueForCheck returns up to limit live buckets whose status was last established before
	// olderThan, or never, the longest unchecked first.
	DueForCheck(ctx context.Context, olderThan time.Time, limit int) ([]domain.Bucket, error)
}

// Leases let one of several server processes run a periodic job at a time. A lease is a row in
// the shared database, so it holds across processes and machines, and it expires, so a process
// that dies cannot keep a job from running for longer than the lease's time to live.
type Leases interface {
	// TryAcquire takes the named lease for holder until now+ttl when it is free, expired, or
	// already held by holder, and reports whether holder holds it now.
	TryAcquire(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
}
