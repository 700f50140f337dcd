package azurevalidator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// recordingTransport passes the token requests to the shared client and remembers the first
// failure that left no HTTP answer, or broke one while it was read: azidentity reports those in
// an error of its own that keeps only their text, and their type is what tells a refused
// connection from a deadline or the body cap.
type recordingTransport struct {
	next *http.Client
	mu   sync.Mutex
	err  error
	// resp is the answer whose body could not be read, nil when none came.
	resp *http.Response
}

func (t *recordingTransport) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.next.Do(req) //nolint:gosec // G704: the URL is the configured authority's (or its metadata's token endpoint), and the client's dialer is the SSRF guard
	if err != nil {
		t.record(err, nil)
		return nil, err
	}
	resp.Body = &recordingBody{ReadCloser: resp.Body, t: t, resp: resp}
	return resp, nil
}

func (t *recordingTransport) record(err error, resp *http.Response) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err, t.resp = err, resp
	}
}

// failure is the first failure recorded, nil when none was, and the answer whose body it broke.
func (t *recordingTransport) failure() (*http.Response, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.resp, t.err
}

// recordingBody records a failure to read an answer's body.
type recordingBody struct {
	io.ReadCloser
	t    *recordingTransport
	resp *http.Response
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		b.t.record(err, b.resp)
	}
	return n, err
}

// entraError is the error document of an OAuth 2.0 endpoint, with Entra's AADSTS codes.
type entraError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

// aadstsPattern finds the AADSTS code at the start of a description, for an answer without
// error_codes.
var aadstsPattern = regexp.MustCompile(`^AADSTS(\d{1,9})\b`)

// code is the AADSTS code of the answer, 0 when it has none.
func (e entraError) code() int {
	if len(e.Codes) > 0 {
		return e.Codes[0]
	}
	if m := aadstsPattern.FindStringSubmatch(e.Description); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// What an authority sends, for the messages about answers whose body is not that.
const (
	entraBody = "the JSON an OAuth 2.0 token endpoint sends"
	entraAPI  = "a Microsoft Entra ID authority"
)

// The AADSTS codes with a message of their own.
const (
	aadstsInvalidSecret   = 7000215
	aadstsExpiredSecret   = 7000222
	aadstsUnknownApp      = 700016
	aadstsUnknownTenant   = 90002
	aadstsInvalidTenant   = 900023
	aadstsAppDisabled     = 7000112
	aadstsNoServicePrinc  = 7000229
	aadstsTenantNoLicense = 90072
)

// tokenFailure classifies a failed token request: broken transport (recorded, when it was),
// Entra's verdict, or an answer that is not an authority's.
func (v *Validator) tokenFailure(err, transportErr error, broken *http.Response, id tokenID) error {
	cause := providercheck.Bounded(scrubSecret(err, id.secret))
	if transportErr != nil && broken != nil {
		kind := providercheck.AnswerKind(transportErr)
		msg := providercheck.DescribeTransport(checkAuth, v.authorityWhere, kind, transportErr, v.timeout)
		if kind != domain.KindProviderTimeout {
			odd := providercheck.OddAnswer{Status: broken.StatusCode, ContentType: broken.Header.Get("Content-Type"),
				Want: entraBody, API: entraAPI, Err: transportErr}
			msg = odd.Describe(checkAuth, v.authorityWhere)
		}
		return domain.Wrap(kind, providercheck.Bounded(scrubSecret(transportErr, id.secret)), msg)
	}
	if transportErr != nil {
		kind, ok := providercheck.TransportKind(transportErr)
		if !ok {
			kind = domain.KindInternal
		}
		return domain.Wrap(kind, providercheck.Bounded(scrubSecret(transportErr, id.secret)),
			providercheck.DescribeTransport(checkAuth, v.authorityWhere, kind, transportErr, v.timeout))
	}
	var failed *azidentity.AuthenticationFailedError
	if !errors.As(err, &failed) || failed.RawResponse == nil {
		return domain.Wrap(domain.KindProviderError, cause, fmt.Sprintf(
			"%s: %s did not answer as a Microsoft Entra ID authority does (its tenant metadata or token answer is not Entra's); "+
				"check the server's --azure-authority-host", checkAuth, v.authorityWhere))
	}
	resp := failed.RawResponse
	body, readErr := runtime.Payload(resp)
	var answer entraError
	if readErr != nil || json.Unmarshal(body, &answer) != nil || answer.Error == "" {
		if resp.StatusCode >= http.StatusInternalServerError {
			return domain.Wrap(domain.KindProviderError, cause, providercheck.DescribeServerError(checkAuth, v.authorityWhere, resp.StatusCode, ""))
		}
		odd := providercheck.OddAnswer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
			Want: entraBody, API: entraAPI, Err: readErr}
		return domain.Wrap(providercheck.AnswerKind(readErr), cause, odd.Describe(checkAuth, v.authorityWhere))
	}
	kind, msg := v.describeEntra(answer, resp.StatusCode, id)
	return domain.Wrap(kind, cause, msg)
}

// describeEntra words Entra's refusal of a token request and what to change.
func (v *Validator) describeEntra(e entraError, status int, id tokenID) (domain.Kind, string) {
	code := e.code()
	app := fmt.Sprintf("application %s in tenant %s", id.clientID, id.tenant)
	said := fmt.Sprintf("AADSTS%d", code)
	if code == 0 {
		said = providercheck.Printable(e.Error)
	}
	switch code {
	case aadstsInvalidSecret:
		return domain.KindInvalidCredentials, fmt.Sprintf("%s: %s rejected the client secret of %s (%s); put the secret's Value in secret, "+
			"not its Secret ID, as shown once under Certificates & secrets when it was added", checkAuth, v.authorityWhere, app, said)
	case aadstsExpiredSecret:
		return domain.KindInvalidCredentials, fmt.Sprintf("%s: the client secret of %s has expired (%s); add a new client secret "+
			"under Certificates & secrets and use its Value", checkAuth, app, said)
	case aadstsUnknownApp:
		return domain.KindInvalidCredentials, fmt.Sprintf("%s: %s knows no application %s in tenant %s (%s); check key (the Application (client) ID) "+
			"and tenantId, and that the application is registered in or consented to that tenant", checkAuth, v.authorityWhere, id.clientID, id.tenant, said)
	case aadstsUnknownTenant, aadstsInvalidTenant, aadstsTenantNoLicense:
		return domain.KindInvalidCredentials, fmt.Sprintf("%s: %s knows no tenant %s (%s); check tenantId (the Directory (tenant) ID), "+
			"and that the tenant is in the cloud bucketd's --azure-authority-host names", checkAuth, v.authorityWhere, id.tenant, said)
	case aadstsAppDisabled, aadstsNoServicePrinc:
		return domain.KindAccessDenied, fmt.Sprintf("%s: %s refused a token to %s (%s): the application is disabled, or has no service principal "+
			"in the tenant; enable it under Enterprise applications", checkAuth, v.authorityWhere, app, said)
	}
	if status >= http.StatusInternalServerError {
		return domain.KindProviderError, providercheck.DescribeServerError(checkAuth, v.authorityWhere, status, said)
	}
	return domain.KindInvalidCredentials, fmt.Sprintf("%s: %s refused a token to %s (%s); check tenantId, key (the client id) and secret",
		checkAuth, v.authorityWhere, app, said)
}
