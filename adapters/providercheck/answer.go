package providercheck

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
)

// maxPrintable bounds the provider text (an error code, a message, a content type) quoted in a
// caller-facing message: the endpoint is the tenant's choice, and so is everything it answers.
const maxPrintable = 200

// Printable keeps text a provider chose fit for a message: one line of printable characters,
// at most maxPrintable of them.
func Printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
	if r := []rune(s); len(r) > maxPrintable {
		s = string(r[:maxPrintable]) + "…"
	}
	return strings.TrimSpace(s)
}

// maxCauseText bounds the text of an SDK's error kept as a failed check's cause, which the log
// shows: SDKs quote the provider's answer in their errors, up to the whole body the shared
// client read.
const maxCauseText = 2048

// Bounded returns err with its text cut at maxCauseText bytes, nil when err is nil; errors.Is
// and errors.As see through it to err.
func Bounded(err error) error {
	if err == nil {
		return nil
	}
	return boundedError{err}
}

type boundedError struct{ err error }

func (e boundedError) Error() string {
	s := e.err.Error()
	if len(s) <= maxCauseText {
		return s
	}
	return strings.ToValidUTF8(s[:maxCauseText], "") + "… (cut)"
}

func (e boundedError) Unwrap() error { return e.err }

// AnswerKind classifies a failure that came after the provider's HTTP answer had arrived, while
// its body was read or decoded: a deadline or cancellation is a timeout, anything else is the
// provider's doing (bucketd asked what the API defines, and what came back is not the API's
// answer), never an internal error.
func AnswerKind(err error) domain.Kind {
	if kind, ok := TransportKind(err); ok && kind == domain.KindProviderTimeout {
		return kind
	}
	return domain.KindProviderError
}

// OddAnswer is an HTTP answer whose body a validator could not use: reading it failed, or it is
// not what the provider's API sends (HTML from a web server, JSON or XML of another shape, an
// empty or truncated document). Its kind is AnswerKind's.
type OddAnswer struct {
	Status int
	// ContentType is the answer's Content-Type header, as the provider sent it.
	ContentType string
	// Want names what the body should have been, e.g. "the XML S3 sends" or "a listing of
	// bucket reports".
	Want string
	// API names the kind of endpoint that sends it, for the question the message ends with,
	// e.g. "an S3 API".
	API string
	// Err is why the body could not be used, as the SDK reported it; nil when it decoded but
	// is not Want.
	Err error
}

// Describe writes the caller-facing message for check when where gave the odd answer. A body
// over the shared client's cap reads as it does when the answer declared its size up front.
func (o OddAnswer) Describe(check, where string) string {
	kind, _ := TransportKind(o.Err)
	var tooLarge *netguard.BodyLimitError
	switch {
	case errors.As(o.Err, &tooLarge):
		return DescribeTransport(check, where, domain.KindProviderError, o.Err, 0)
	case errors.Is(o.Err, io.EOF):
		return fmt.Sprintf("%s: %s answered %d with an empty body, not %s; is the endpoint %s?", check, where, o.Status, o.Want, o.API)
	case errors.Is(o.Err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("%s: %s answered %d but its body ends too early, before %s was complete; retry later, or check the endpoint",
			check, where, o.Status, o.Want)
	case kind == domain.KindEndpointUnreachable:
		return fmt.Sprintf("%s: %s answered %d but the connection broke while its body was read; retry later, or check the endpoint",
			check, where, o.Status)
	}
	return fmt.Sprintf("%s: %s answered %d with a body that is not %s (%s); is the endpoint %s?",
		check, where, o.Status, o.Want, contentType(o.ContentType), o.API)
}

// contentType names a Content-Type for a message.
func contentType(raw string) string {
	if ct := Printable(raw); ct != "" {
		return ct
	}
	return "no content type"
}
