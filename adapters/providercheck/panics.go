package providercheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/bucketd/bucketd/domain"
)

// A validator runs provider SDKs on answers a tenant's endpoint chose, and some of that work
// runs on goroutines of its own, where no HTTP middleware recovers: a panic there would end the
// process. Every validator goroutine therefore runs through Go or Recover, and every Validate
// defers RecoverValidation, so a panic becomes that validation's error instead.

// PanicError is what a recovered panic becomes. It names the operation that panicked, never the
// panic's value, which could hold request data, credentials included; the value (when it is a
// runtime error) and the stack are in the one log line written when it was recovered.
type PanicError struct {
	// Op names what was running, e.g. "HeadBucket" or "the S3 validation".
	Op string
}

func (e *PanicError) Error() string { return e.Op + " panicked" }

// Recover runs fn and returns nil, or a *PanicError naming op when fn panics, after logging the
// panic at error level.
func Recover(ctx context.Context, log *slog.Logger, op string, fn func()) (err error) {
	defer recoverAs(ctx, log, op, &err)
	fn()
	return nil
}

// Go runs fn on a new goroutine of wg, as wg.Go does; should fn panic, the panic is logged
// and onPanic, when not nil, receives it as Recover returns it, on that goroutine, before wg
// learns the goroutine is done. onPanic is where the goroutine's result becomes an error.
func Go(ctx context.Context, wg *sync.WaitGroup, log *slog.Logger, op string, fn func(), onPanic func(error)) {
	wg.Go(func() {
		if err := Recover(ctx, log, op, fn); err != nil && onPanic != nil {
			onPanic(err)
		}
	})
}

// RecoverValidation, deferred by a Validate whose results are named, turns a panic on
// Validate's own goroutine into its error: a KindInternal failure naming the validation
// (validator says which, e.g. "the S3 validation"), logged once.
func RecoverValidation(ctx context.Context, log *slog.Logger, validator string, err *error) {
	v := recover()
	if v == nil {
		return
	}
	cause := logPanic(ctx, log, validator, v)
	*err = domain.Wrap(domain.KindInternal, cause, validator+" failed unexpectedly; the details are in bucketd's log")
}

// DescribePanic is the caller-facing message of check when err is a recovered panic; ok is false
// when it is not one.
func DescribePanic(check string, err error) (message string, ok bool) {
	var pe *PanicError
	if !errors.As(err, &pe) {
		return "", false
	}
	return fmt.Sprintf("%s: %s failed unexpectedly; the details are in bucketd's log", check, pe.Op), true
}

// recoverAs is deferred by Recover: recover only stops a panic when called by the deferred
// function itself.
func recoverAs(ctx context.Context, log *slog.Logger, op string, err *error) {
	if v := recover(); v != nil {
		*err = logPanic(ctx, log, op, v)
	}
}

// logPanic logs a recovered panic once, with the stack and, for runtime errors only, the value,
// as the HTTP adapter logs the panics of request handlers.
func logPanic(ctx context.Context, log *slog.Logger, op string, v any) *PanicError {
	log.LogAttrs(ctx, slog.LevelError, "panic in provider check", slog.String("op", op),
		slog.String("panic", domain.PanicSummary(v)), slog.String("stack", string(debug.Stack())))
	return &PanicError{Op: op}
}
