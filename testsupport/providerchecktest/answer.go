package providerchecktest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/bucketd/bucketd/domain"
)

// FixedAnswer is a RoundTripper that answers every request with the same status, header and
// body, and connects nowhere: with it a fuzzer feeds arbitrary provider answers to a validator's
// real SDK calls.
type FixedAnswer struct {
	Status int
	Header http.Header
	Body   []byte
}

// AnswerOf builds a FixedAnswer from a fuzzer's inputs: status becomes one from 200 to 999
// (the 1xx statuses are the transport's own business), header is read as "Name: value" lines
// (others are skipped), and body is sent as it is.
func AnswerOf(status uint16, header string, body []byte) FixedAnswer {
	h := http.Header{}
	for line := range strings.SplitSeq(header, "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && name != "" {
			h.Add(textproto.CanonicalMIMEHeaderKey(name), strings.TrimSpace(value))
		}
	}
	return FixedAnswer{Status: 200 + int(status)%800, Header: h, Body: body}
}

// RoundTrip answers req.
func (a FixedAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{
		Status: http.StatusText(a.Status), StatusCode: a.Status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: a.Header.Clone(), Body: io.NopCloser(bytes.NewReader(a.Body)), ContentLength: int64(len(a.Body)),
		Request: req,
	}, nil
}

// MaxMessage bounds a caller-facing message about a provider's answer: the fixed wording, the
// names the caller gave, and at most two quotes of provider text (a code and its message, or a
// content type), each cut at 200 characters of up to 4 bytes.
const MaxMessage = 2048

// WantTidyOutcome fails t unless a validation whose every request got an HTTP answer either
// passed or failed with a classified error that is not KindInternal (whatever the provider
// answered, it is the provider's doing), and unless that error's message, every check's message
// and provider code, and the reported region are printable text of at most MaxMessage bytes.
func WantTidyOutcome(t testing.TB, report domain.ValidationReport, err error) {
	t.Helper()
	texts := []string{report.Region}
	if err != nil {
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind == domain.KindInternal {
			t.Fatalf("an HTTP answer gave error %v (kind %v), want a provider's failure", err, domain.KindOf(err))
		}
		texts = append(texts, de.Message)
	}
	for _, c := range report.Checks {
		texts = append(texts, c.Message, c.ProviderCode)
	}
	for _, text := range texts {
		if len(text) > MaxMessage {
			t.Errorf("a message of %d bytes, more than %d: %.200q…", len(text), MaxMessage, text)
		}
		if !utf8.ValidString(text) || strings.IndexFunc(text, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			t.Errorf("a message holds what is not printable text: %q", text)
		}
	}
}

// MaxErrorText bounds the text of a validation's error, message and cause together, and of any
// line it logs: the SDKs quote the provider's answer in their errors, up to the whole body the
// shared client reads, and validators keep only the start of it.
const MaxErrorText = 8 << 10

// WantBoundedText fails t unless err's text and every line of log are at most MaxErrorText
// bytes.
func WantBoundedText(t testing.TB, err error, log string) {
	t.Helper()
	if err != nil && len(err.Error()) > MaxErrorText {
		t.Errorf("the error's text is %d bytes, more than %d: %.200q…", len(err.Error()), MaxErrorText, err.Error())
	}
	for line := range strings.Lines(log) {
		if len(line) > MaxErrorText {
			t.Errorf("a log line of %d bytes, more than %d: %.200q…", len(line), MaxErrorText, line)
		}
	}
}
