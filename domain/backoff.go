package domain

import "time"

// Backoff is how long sign-in attempts under one key (an email, a client address) wait after
// failing: the first Free failures cost nothing, then each further failure doubles the wait,
// from Base up to Max. Failures are counted while they keep coming: a key whose last failure
// is older than Forget starts again from nothing, so that an honest typo made yesterday never
// delays today's sign-in, while a guesser waiting out every Max is still held to one guess per
// Max.
type Backoff struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// Wait is how long after its last failure a key with the given number of consecutive failures
// must wait before its next attempt is heard.
func (b Backoff) Wait(failures int) time.Duration {
	over := failures - b.Free
	if over <= 0 {
		return 0
	}
	wait := b.Base
	for i := 1; i < over && wait < b.Max; i++ {
		wait *= 2
	}
	return min(wait, b.Max)
}

// BlockedUntil is when a key whose failures are counted in f may next be tried; the zero time
// when it may be tried at once, also when its failures are forgotten by now.
func (b Backoff) BlockedUntil(f FailureCount, now time.Time) time.Time {
	if f.Failures == 0 || !now.Before(f.LastFailure.Add(b.Forget)) {
		return time.Time{}
	}
	wait := b.Wait(f.Failures)
	if wait == 0 {
		return time.Time{}
	}
	return f.LastFailure.Add(wait)
}

// FailureCount is how many sign-ins under one key failed in a row, and when the last one did.
type FailureCount struct {
	Failures    int
	LastFailure time.Time
}
