package gormstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// scriptedAttempts is an attempt function that returns the scripted results in turn and
// repeats the last one for ever, counting its calls.
type scriptedAttempts struct {
	results []scripted
	calls   int
}

type scripted struct {
	maybeApplied bool
	err          error
}

func (s *scriptedAttempts) attempt() (bool, error) {
	r := s.results[min(s.calls, len(s.results)-1)]
	s.calls++
	return r.maybeApplied, r.err
}

func TestRetryConnectionLoss(t *testing.T) {
	lost := fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF)
	notLost := errors.New("syntax error")
	for _, tc := range []struct {
		name      string
		results   []scripted
		wantCalls int
		wantErr   error // nil: success
	}{
		{"success at once", []scripted{{false, nil}}, 1, nil},
		{"recovers on a new connection", []scripted{{false, lost}, {false, lost}, {false, nil}}, 3, nil},
		{"other errors are not retried", []scripted{{false, notLost}}, 1, notLost},
		{"gives up after writeAttempts certain failures", []scripted{{false, lost}}, writeAttempts, lost},
		{"a resolved doubt counts as a certain failure", []scripted{{true, lost}, {false, lost}}, writeAttempts, lost},
		{"an unknown outcome is resolved after writeAttempts", []scripted{{true, lost}, {true, lost}, {true, lost}, {true, lost}, {true, lost}, {true, lost}, {false, nil}}, 7, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Store{log: slog.New(slog.DiscardHandler)}
			script := &scriptedAttempts{results: tc.results}
			err := s.retryConnectionLoss(t.Context(), "test", script.attempt)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("retryConnectionLoss = %v, want %v", err, tc.wantErr)
			}
			if script.calls != tc.wantCalls {
				t.Errorf("%d attempts, want %d", script.calls, tc.wantCalls)
			}
		})
	}
}

// TestRetryConnectionLossGivesUpUncertain checks the answer when the database stays out of
// reach after a COMMIT broke: the caller's deadline ends the attempts, and the error says the
// write may have taken effect.
func TestRetryConnectionLossGivesUpUncertain(t *testing.T) {
	lost := fmt.Errorf("commit: %w", io.ErrUnexpectedEOF)
	s := &Store{log: slog.New(slog.DiscardHandler)}
	script := &scriptedAttempts{results: []scripted{{true, lost}}}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.retryConnectionLoss(ctx, "test", script.attempt)
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindUnavailable || de.Message != uncertainMessage || !errors.Is(err, lost) {
		t.Errorf("retryConnectionLoss = %v; want kind %s with the uncertain message, wrapping the cause", err, domain.KindUnavailable)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s: the caller's deadline of 300ms must end the attempts", took)
	}
	if script.calls < 2 {
		t.Errorf("%d attempts; an unknown outcome must be retried until the deadline", script.calls)
	}
}
