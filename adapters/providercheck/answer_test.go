package providercheck_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"AccessDenied":                    "AccessDenied",
		"two\nlines\tand\x00nul":          "two lines and nul",
		"zero\u200bwidth\u202ebidi\u0085": "zero width bidi",
		"  padded  ":                      "padded",
		strings.Repeat("é", 250):          strings.Repeat("é", 200) + "…",
	} {
		if got := providercheck.Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAnswerKind(t *testing.T) {
	for name, c := range map[string]struct {
		err  error
		want domain.Kind
	}{
		"deadline while the body came": {fmt.Errorf("read body: %w", context.DeadlineExceeded), domain.KindProviderTimeout},
		"canceled":                     {context.Canceled, domain.KindProviderTimeout},
		"connection reset mid-body":    {&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, domain.KindProviderError},
		"body cut short":               {io.ErrUnexpectedEOF, domain.KindProviderError},
		"not JSON":                     {&json.SyntaxError{}, domain.KindProviderError},
		"decoded to something else":    {nil, domain.KindProviderError},
	} {
		if got := providercheck.AnswerKind(c.err); got != c.want {
			t.Errorf("%s: AnswerKind = %v, want %v", name, got, c.want)
		}
	}
}

func TestOddAnswerDescribe(t *testing.T) {
	odd := func(contentType string, err error) providercheck.OddAnswer {
		return providercheck.OddAnswer{Status: 200, ContentType: contentType, Want: "the XML S3 sends", API: "an S3 API", Err: err}
	}
	const where = "https://s3.example.com"
	for name, c := range map[string]struct {
		odd  providercheck.OddAnswer
		want string
	}{
		"HTML": {odd("text/html", errors.New("XML syntax error")),
			"list: https://s3.example.com answered 200 with a body that is not the XML S3 sends (text/html); is the endpoint an S3 API?"},
		"no content type": {odd("", nil),
			"list: https://s3.example.com answered 200 with a body that is not the XML S3 sends (no content type); is the endpoint an S3 API?"},
		"a content type no message can show": {odd("text/\x1b[31mhtml\r\n", nil),
			"list: https://s3.example.com answered 200 with a body that is not the XML S3 sends (text/ [31mhtml); is the endpoint an S3 API?"},
		"empty": {odd("application/json", fmt.Errorf("decode: %w", io.EOF)),
			"list: https://s3.example.com answered 200 with an empty body, not the XML S3 sends; is the endpoint an S3 API?"},
		"cut short": {odd("application/xml", fmt.Errorf("read: %w", io.ErrUnexpectedEOF)),
			"list: https://s3.example.com answered 200 but its body ends too early, before the XML S3 sends was complete; retry later, or check the endpoint"},
		"over the body cap": {odd("application/xml", fmt.Errorf("decode: %w", &netguard.BodyLimitError{Limit: 256 << 10})),
			"list: https://s3.example.com answered with more than 256 KiB; bucketd reads at most 256 KiB of a provider's answer (--provider-max-body)"},
		"connection broken": {odd("application/xml", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}),
			"list: https://s3.example.com answered 200 but the connection broke while its body was read; retry later, or check the endpoint"},
	} {
		if got := c.odd.Describe("list", where); got != c.want {
			t.Errorf("%s: Describe = %q\nwant %q", name, got, c.want)
		}
	}
}

func TestBounded(t *testing.T) {
	if providercheck.Bounded(nil) != nil {
		t.Error("Bounded(nil) is not nil")
	}
	short := errors.New("api error AccessDenied: Access Denied")
	if got := providercheck.Bounded(short).Error(); got != short.Error() {
		t.Errorf("Bounded changed a short error: %q", got)
	}
	cause := &netguard.BodyLimitError{Limit: 1}
	long := fmt.Errorf("RESPONSE 400: %s: %w", strings.Repeat("é", 4000), cause)
	got := providercheck.Bounded(long)
	if text := got.Error(); len(text) > 2100 || !utf8.ValidString(text) || !strings.HasSuffix(text, "… (cut)") {
		t.Errorf("Bounded(long) = %d bytes (valid UTF-8: %v), want at most about 2 KiB, cut on a character", len(text), utf8.ValidString(text))
	}
	var tooLarge *netguard.BodyLimitError
	if !errors.As(got, &tooLarge) || !errors.Is(got, cause) {
		t.Error("Bounded hides the error it bounds from errors.As and errors.Is")
	}
}
