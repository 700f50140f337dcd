package gcsvalidator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"google.golang.org/api/googleapi"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// answer is what one request found out, classified once.
type answer struct {
	err error // nil on success
	// kind classifies err; meaningless when err is nil.
	kind domain.Kind
	// code is the provider's error code: the OAuth error ("invalid_grant") or the JSON API's
	// reason ("forbidden", "notFound").
	code string
	// status is the HTTP status, 0 when no HTTP answer arrived.
	status int
	// detail is the token endpoint's error_description or the JSON API's error message,
	// cleaned for display.
	detail string
	// odd is set when the provider answered but its body could not be used: it could not be
	// read or decoded, or it is not what the API sends (attributes of another bucket, a token
	// answer without a token).
	odd *providercheck.OddAnswer
	// where names the endpoint that answered when it is not the one the failed check names
	// by default (the IAM Credentials API's answers decide authenticate); "" otherwise.
	where string
	// message is the caller-facing message, when the request worded its own failure (the
	// impersonation's refusals); "" lets describe word it.
	message string
}

// What the JSON API and the token endpoint send, for the messages about answers whose body is
// not that. They name kinds of answer, not credentials, whatever gosec's G101 guesses from
// "token".
//
//nolint:gosec // G101: see above
const (
	apiBody   = "the JSON the GCS API sends"
	apiName   = "a GCS JSON API"
	tokenBody = "the JSON an OAuth 2.0 token endpoint sends"
	tokenName = "an OAuth 2.0 token endpoint"
)

// oddAnswer is the answer to a request whose response (status, contentType) came but whose body
// could not be used: err says why, nil when it decoded to something other than want. Its kind
// is providercheck.AnswerKind's.
func oddAnswer(status int, contentType, want, api string, err error) answer {
	if err == nil {
		err = errors.New("the answer is not " + want)
	}
	return answer{err: err, kind: providercheck.AnswerKind(err), status: status,
		odd: &providercheck.OddAnswer{Status: status, ContentType: contentType, Want: want, API: api, Err: err}}
}

// panicAnswer is the answer of a request whose SDK call panicked (err is the recovered panic,
// logged with its stack already). When the API had answered with a success, the SDK choked on
// what it sent (the storage client dereferences the nil a body of JSON null decodes to): the
// provider's odd answer, worded with want, what the body should have been. Otherwise the panic
// is bucketd's own, an internal error.
func panicAnswer(err error, note *responseNote, want string) answer {
	if status, contentType, _ := note.get(); status >= 200 && status < 300 {
		return oddAnswer(status, contentType, want, apiName, nil)
	}
	return answer{err: err, kind: domain.KindInternal}
}

func (a answer) ok() bool { return a.err == nil }

// answered reports whether the provider answered at all: a success or an HTTP error status.
func (a answer) answered() bool { return a.ok() || a.status != 0 }

// authenticated reports whether the answer is one Google gives only to a caller whose
// credentials it accepted: it checks them before it looks at permissions or the bucket.
func (a answer) authenticated() bool {
	return a.ok() || a.status == http.StatusForbidden || a.status == http.StatusNotFound
}

// credentialErrors are the OAuth error codes that mean the service account or its key is wrong:
// Google answers invalid_grant both for a key that does not belong to the email and for an
// unknown or disabled account.
var credentialErrors = map[string]bool{
	"invalid_grant":       true,
	"invalid_client":      true,
	"unauthorized_client": true,
	"access_denied":       true,
}

// tokenAnswer classifies a token endpoint's refusal.
func tokenAnswer(resp *http.Response, body tokenResponse) answer {
	a := answer{
		err:    fmt.Errorf("token endpoint answered %s (%s)", resp.Status, body.Error),
		status: resp.StatusCode,
		code:   providercheck.Printable(body.Error),
		detail: providercheck.Printable(body.ErrorDescription),
	}
	switch {
	case a.status >= 500:
		a.kind = domain.KindProviderError
	case credentialErrors[a.code]:
		a.kind = domain.KindInvalidCredentials
	default:
		a.kind = domain.KindProviderError
	}
	return a
}

// classify turns a JSON API error from the storage client into an answer. note is the request's
// response note: the client reports a body it could not decode in a bare error, which only the
// note tells from a request that got no answer, and it drops the error of an error body it
// could not read whole (over the body cap, cut short), which only the note keeps.
func classify(err error, note *responseNote) answer {
	if err == nil {
		return answer{}
	}
	status, contentType, readErr := note.get()
	var ge *googleapi.Error
	switch {
	case readErr != nil:
		return oddAnswer(status, contentType, apiBody, apiName, readErr)
	case !errors.As(err, &ge) && status != 0:
		return oddAnswer(status, contentType, apiBody, apiName, err)
	case ge == nil:
		return transportAnswer(err)
	}
	a := answer{err: err, status: ge.Code, detail: providercheck.Printable(ge.Message)}
	if len(ge.Errors) > 0 {
		a.code = providercheck.Printable(ge.Errors[0].Reason)
	}
	switch {
	case a.status >= 500:
		a.kind = domain.KindProviderError
	case a.status == http.StatusBadRequest && a.code == "invalid":
		a.kind = domain.KindInvalidInput // the bucket name is all the request holds of the caller's
	case a.status == http.StatusUnauthorized:
		a.kind = domain.KindInvalidCredentials
	case a.status == http.StatusForbidden:
		a.kind = domain.KindAccessDenied
	case a.status == http.StatusNotFound:
		a.kind = domain.KindBucketNotFound
	default:
		a.kind = domain.KindProviderError
	}
	return a
}

// transportAnswer classifies a failure that produced no HTTP answer.
func transportAnswer(err error) answer {
	kind, ok := providercheck.TransportKind(err)
	if !ok {
		kind = domain.KindInternal // the request could not even be built
	}
	return answer{err: err, kind: kind}
}

// responseNote records the status and content type of the response to the request whose
// context carries it, and the error that reading its body met, if any (see withResponseNote and
// notingTransport).
type responseNote struct {
	mu          sync.Mutex
	status      int
	contentType string
	readErr     error
}

type responseNoteKey struct{}

// withResponseNote returns ctx carrying a new note for the request made with it.
func withResponseNote(ctx context.Context) (context.Context, *responseNote) {
	n := &responseNote{}
	return context.WithValue(ctx, responseNoteKey{}, n), n
}

// get returns the noted status, 0 when no response came (or n is nil), content type and
// body read error.
func (n *responseNote) get() (int, string, error) {
	if n == nil {
		return 0, "", nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.status, n.contentType, n.readErr
}

// notingTransport notes each response in its request's response note, if it carries one.
type notingTransport struct {
	base http.RoundTripper
}

func (t notingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if n, ok := req.Context().Value(responseNoteKey{}).(*responseNote); ok && resp != nil {
		n.mu.Lock()
		n.status, n.contentType = resp.StatusCode, resp.Header.Get("Content-Type")
		n.mu.Unlock()
		resp.Body = notedBody{ReadCloser: resp.Body, note: n}
	}
	return resp, err
}

// notedBody notes the first error other than io.EOF that reading a body meets.
type notedBody struct {
	io.ReadCloser
	note *responseNote
}

func (b notedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.note.mu.Lock()
		if b.note.readErr == nil {
			b.note.readErr = err
		}
		b.note.mu.Unlock()
	}
	return n, err
}
