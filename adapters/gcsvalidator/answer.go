package gcsvalidator

import (
	"errors"
	"fmt"
	"net/http"

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
		code:   body.Error,
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

// classify turns a JSON API error from the storage client into an answer.
func classify(err error) answer {
	if err == nil {
		return answer{}
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return transportAnswer(err)
	}
	a := answer{err: err, status: ge.Code, detail: providercheck.Printable(ge.Message)}
	if len(ge.Errors) > 0 {
		a.code = ge.Errors[0].Reason
	}
	switch {
	case a.status >= 500:
		a.kind = domain.KindProviderError
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
