package domain

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Kind classifies a failure by what the caller can do about it. The HTTP adapter maps each
// kind to a status and a stable code in exactly one table.
type Kind int

// The kinds of failure bucketd distinguishes.
const (
	// KindInternal is anything unexpected; its details go to the log, never to the caller.
	KindInternal Kind = iota
	KindInvalidInput
	KindWorkspaceNotFound
	KindUnauthenticated
	KindForbidden
	KindNotFound
	KindNameTaken
	KindQuotaExceeded
	KindInvalidCredentials
	KindAccessDenied
	KindBucketNotFound
	KindRegionMismatch
	KindEndpointNotAllowed
	KindEndpointUnreachable
	KindProviderError
	KindProviderTimeout
	KindUnavailable
	// KindIdempotencyInProgress: a request with the same Idempotency-Key is still running.
	KindIdempotencyInProgress
	// KindIdempotencyKeyReused: the Idempotency-Key was first used for a different request.
	KindIdempotencyKeyReused
	// KindConflict: the resource changed between reading and writing it; read again and retry.
	KindConflict
	// KindRateLimited: the caller sent more requests than its rate allows; retry after a pause.
	KindRateLimited
	// KindNotImplemented: the route is one of Flashback's that lies outside bucketd's job.
	KindNotImplemented
	// KindCredentialInUse: a stored credential that live buckets use cannot be deleted.
	KindCredentialInUse
	// KindRotationRefused: a new secret for a stored credential failed against a bucket that
	// uses it, so nothing changed.
	KindRotationRefused
)

var kindNames = [...]string{ //nolint:gosec // G101: the names of error kinds, not credentials
	KindInternal:              "internal",
	KindInvalidInput:          "invalid input",
	KindWorkspaceNotFound:     "workspace not found",
	KindUnauthenticated:       "unauthenticated",
	KindForbidden:             "forbidden",
	KindNotFound:              "not found",
	KindNameTaken:             "name taken",
	KindQuotaExceeded:         "quota exceeded",
	KindInvalidCredentials:    "invalid credentials",
	KindAccessDenied:          "access denied",
	KindBucketNotFound:        "bucket not found",
	KindRegionMismatch:        "region mismatch",
	KindEndpointNotAllowed:    "endpoint not allowed",
	KindEndpointUnreachable:   "endpoint unreachable",
	KindProviderError:         "provider error",
	KindProviderTimeout:       "provider timeout",
	KindUnavailable:           "unavailable",
	KindIdempotencyInProgress: "idempotency in progress",
	KindIdempotencyKeyReused:  "idempotency key reused",
	KindConflict:              "conflict",
	KindRateLimited:           "rate limited",
	KindNotImplemented:        "not implemented",
	KindCredentialInUse:       "credential in use",
	KindRotationRefused:       "rotation refused",
}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// Error is a classified failure. Message is written for the caller: it says what is wrong and
// how to fix it, and never carries a secret. Cause keeps the underlying error for the log.
type Error struct {
	Kind    Kind
	Message string
	Cause   error
	// RetryAfter, when positive, is how long the caller should wait before trying again; the
	// HTTP adapter sends it as Retry-After.
	RetryAfter time.Duration
}

// Errorf builds a classified error with a caller-facing message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap classifies cause under kind with a caller-facing message.
func Wrap(kind Kind, cause error, message string) *Error {
	return &Error{Kind: kind, Message: message, Cause: cause}
}

func (e *Error) Error() string {
	if e.Cause == nil {
		return e.Message
	}
	return e.Message + ": " + e.Cause.Error()
}

func (e *Error) Unwrap() error { return e.Cause }

// KindOf returns the kind of the first classified error in err's chain, or KindInternal.
func KindOf(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return KindInternal
}

// IsKind reports whether err carries the given kind.
func IsKind(err error, kind Kind) bool {
	var de *Error
	return errors.As(err, &de) && de.Kind == kind
}

// PanicSummary says what a recovered panic was, fit for a log line: a runtime error's own text
// (a nil dereference, an index out of range), else only the value's type. Any other value was
// chosen by whatever panicked and could hold request data, credentials included.
func PanicSummary(v any) string {
	if re, ok := v.(runtime.Error); ok {
		return re.Error()
	}
	return fmt.Sprintf("%T", v)
}
