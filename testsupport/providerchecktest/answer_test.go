package providerchecktest

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/helpertest"
)

func TestAnswerOf(t *testing.T) {
	a := AnswerOf(1, "content-type: text/html\nno colon here\n: no name\nX-Amz-Bucket-Region:  eu-west-1 ", []byte("<html>"))
	if a.Status != 201 || a.Header.Get("Content-Type") != "text/html" || a.Header.Get("X-Amz-Bucket-Region") != "eu-west-1" || len(a.Header) != 2 {
		t.Fatalf("AnswerOf = %+v", a)
	}
	if got := AnswerOf(65535, "", nil).Status; got < 200 || got > 999 {
		t.Errorf("status %d, want one from 200 to 999", got)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://provider.example/", nil)
	resp, err := a.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || string(body) != "<html>" || resp.Request != req {
		t.Errorf("RoundTrip = %d %q", resp.StatusCode, body)
	}
}

func TestWantTidyOutcomeFailsOnlyWhenItShould(t *testing.T) {
	tidy := domain.Errorf(domain.KindProviderError, "list: https://provider.example answered 200 with a body that is not the XML S3 sends")
	report := func(message, code string) domain.ValidationReport {
		return domain.ValidationReport{Checks: []domain.Check{{Name: "list", Status: domain.CheckFail, Message: message, ProviderCode: code}}}
	}
	ok := report(tidy.Message, "AccessDenied")
	for name, c := range map[string]struct {
		report domain.ValidationReport
		err    error
		fails  bool
	}{
		"a tidy failure":            {ok, tidy, false},
		"a pass":                    {domain.ValidationReport{}, nil, false},
		"an internal error":         {ok, domain.Errorf(domain.KindInternal, "list: the request could not be sent"), true},
		"an unclassified error":     {ok, errors.New("sdk: bad"), true},
		"a control character":       {ok, domain.Errorf(domain.KindProviderError, "list: code \x1b[31m"), true},
		"a bidi override in a code": {report(tidy.Message, "Access\u202eDenied"), tidy, true},
		"an unbounded message":      {report(strings.Repeat("a", MaxMessage+1), ""), tidy, true},
		"a region that is no text":  {domain.ValidationReport{Region: "eu\x00"}, nil, true},
	} {
		got := helpertest.Failures(t, func(tb testing.TB) { WantTidyOutcome(tb, c.report, c.err) })
		if (len(got) > 0) != c.fails {
			t.Errorf("%s: failures %q, want failing: %v", name, got, c.fails)
		}
	}
}

func TestWantBoundedTextFailsOnlyWhenItShould(t *testing.T) {
	long := strings.Repeat("x", MaxErrorText+1)
	for name, c := range map[string]struct {
		err   error
		log   string
		fails bool
	}{
		"bounded":         {errors.New("list: refused"), "level=DEBUG msg=one\nlevel=DEBUG msg=two\n", false},
		"no error":        {nil, "", false},
		"a long error":    {errors.New(long), "", true},
		"a long log line": {nil, "level=DEBUG msg=one\n" + long + "\n", true},
	} {
		got := helpertest.Failures(t, func(tb testing.TB) { WantBoundedText(tb, c.err, c.log) })
		if (len(got) > 0) != c.fails {
			t.Errorf("%s: failures %q, want failing: %v", name, got, c.fails)
		}
	}
}
