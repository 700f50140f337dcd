package gormstore

import (
	"context"
	"log/slog"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// Retries of a write whose database connection failed. A database that restarts or fails over
// drops every pooled connection at once, and each stale connection a retry happens to take
// fails too, so a few quick attempts, each after twice the pause before it, reach a fresh one.
const (
	// writeAttempts bounds the attempts of a write that certainly did not take effect.
	writeAttempts   = 5
	firstRetryPause = 25 * time.Millisecond
	maxRetryPause   = 500 * time.Millisecond
	// resolveTimeout bounds how long a write whose connection broke during COMMIT keeps
	// retrying to learn whether it took effect: long enough for a database restart or failover.
	resolveTimeout = 10 * time.Second
)

// uncertainMessage is what a caller sees when every attempt failed and the last one broke
// during COMMIT.
const uncertainMessage = "the database connection broke while the bucket was being stored, so it may have been stored; " +
	"retry with the same name (a bucket that was stored refuses its name, so it is never stored twice) or list the buckets"

// retryConnectionLoss runs attempt until it returns nil or an error other than a lost
// connection (isConnectionLost), and returns the last error. attempt also reports whether the
// write may have taken effect although it failed, which is the case when the connection broke
// during COMMIT: the server may have committed without the client hearing of it. The next
// attempt must find that out first. While that is unknown the attempts go on for up to
// resolveTimeout after it became unknown; otherwise writeAttempts attempts are made. Both end
// early when ctx is done. Giving up while the effect is unknown is a KindUnavailable error that
// says so.
func (s *Store) retryConnectionLoss(ctx context.Context, op string, attempt func() (maybeApplied bool, err error)) error {
	var unknownSince time.Time
	pause := firstRetryPause
	for n := 1; ; n++ {
		maybeApplied, err := attempt()
		if err == nil || !isConnectionLost(err) {
			return err
		}
		switch {
		case !maybeApplied:
			unknownSince = time.Time{}
		case unknownSince.IsZero():
			unknownSince = time.Now()
		}
		giveUp := func() error {
			if maybeApplied {
				return domain.Wrap(domain.KindUnavailable, err, uncertainMessage)
			}
			return err
		}
		if (maybeApplied && time.Since(unknownSince) >= resolveTimeout) || (!maybeApplied && n >= writeAttempts) {
			return giveUp()
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "database connection lost; retrying",
			slog.String("op", op), slog.Int("attempt", n), slog.Bool("maybe_applied", maybeApplied),
			slog.String("error", err.Error()))
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return giveUp()
		case <-timer.C:
		}
		pause = min(2*pause, maxRetryPause)
	}
}
