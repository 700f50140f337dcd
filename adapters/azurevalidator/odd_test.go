package azurevalidator

import (
	"cmp"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// stubAnswer is how a stub Blob service answers one request.
type stubAnswer struct {
	status      int
	contentType string
	body        string
	// code is sent as x-ms-error-code.
	code string
	// cut announces more body than there is and closes the connection after it.
	cut bool
}

// blobStub answers container properties and listings as scripted; a zero answer is the Blob
// service's success answer.
type blobStub struct {
	props, list stubAnswer
}

func (s blobStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := s.props
	container := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	if r.URL.Query().Get("comp") == "list" {
		a = s.list
		if a.status == 0 {
			a = stubAnswer{status: http.StatusOK, contentType: "application/xml", body: `<?xml version="1.0" encoding="utf-8"?>` +
				`<EnumerationResults ServiceEndpoint="http://127.0.0.1/" ContainerName="` + container + `"><Blobs /></EnumerationResults>`}
		}
	}
	if a.code != "" {
		w.Header().Set("x-ms-error-code", a.code)
	}
	if a.body != "" {
		w.Header().Set("Content-Type", cmp.Or(a.contentType, "application/xml"))
	}
	if a.cut {
		w.Header().Set("Content-Length", strconv.Itoa(len(a.body)+100))
	}
	w.WriteHeader(cmp.Or(a.status, http.StatusOK))
	_, _ = io.WriteString(w, a.body)
}

// A service that answers, but not as the Blob service does, is a PROVIDER_ERROR saying what was
// odd, never an internal error; one that refuses the container name says so with a 400. Each
// case is a loopback stub answering through the real validator and SDK.
func TestOddAnswers(t *testing.T) {
	const container = "stub-container"
	html := stubAnswer{status: http.StatusOK, contentType: "text/html", body: "<html><body>Welcome to nginx!</body></html>"}
	for _, c := range []struct {
		name   string
		stub   blobStub
		kind   domain.Kind
		says   string
		checks map[string]domain.CheckStatus
	}{
		{
			name: "HTML answered to every request", stub: blobStub{props: html, list: html},
			kind:   domain.KindProviderError,
			says:   "list: %s answered 200 with a body that is not a listing of container stub-container (text/html); is the endpoint an Azure Blob service?",
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkContainer: domain.CheckPass, checkList: domain.CheckFail},
		},
		{
			name: "an empty JSON object for a listing", stub: blobStub{list: stubAnswer{status: http.StatusOK, contentType: "application/json", body: "{}"}},
			kind: domain.KindProviderError,
			says: "list: %s answered 200 with a body that is not the XML the Blob service sends (application/json); is the endpoint an Azure Blob service?",
		},
		{
			name: "an empty listing body", stub: blobStub{list: stubAnswer{status: http.StatusOK}},
			kind: domain.KindProviderError,
			says: "list: %s answered 200 with a body that is not a listing of container stub-container (no content type)",
		},
		{
			name: "truncated XML", stub: blobStub{list: stubAnswer{status: http.StatusOK, body: `<?xml version="1.0"?><EnumerationResults ContainerName="stub-con`}},
			kind: domain.KindProviderError,
			says: "list: %s answered 200 with a body that is not the XML the Blob service sends (application/xml)",
		},
		{
			name: "a body cut short", stub: blobStub{list: stubAnswer{status: http.StatusOK, body: `<?xml version="1.0"?><Enumeration`, cut: true}},
			kind: domain.KindProviderError,
			says: "list: %s answered 200 but its body ends too early, before the XML the Blob service sends was complete; retry later, or check the endpoint",
		},
		{
			name: "an error body cut short",
			stub: blobStub{props: stubAnswer{status: http.StatusForbidden, body: "<Error><Co", cut: true}, list: stubAnswer{status: http.StatusForbidden, body: "<Error><Co", cut: true}},
			kind: domain.KindProviderError,
			says: "container: %s answered 403 but its body ends too early",
		},
		{
			name: "a listing over the body cap", stub: blobStub{list: stubAnswer{status: http.StatusOK,
				body: `<?xml version="1.0"?><EnumerationResults ContainerName="stub-container">` + strings.Repeat(" ", 300<<10)}},
			kind: domain.KindProviderError,
			says: "list: %s answered with more than 256 KiB; bucketd reads at most 256 KiB of a provider's answer (--provider-max-body)",
		},
		{
			name: "an error body over the body cap",
			stub: blobStub{props: stubAnswer{status: http.StatusForbidden, body: strings.Repeat("x", 300<<10)},
				list: stubAnswer{status: http.StatusForbidden, body: strings.Repeat("x", 300<<10)}},
			kind: domain.KindProviderError,
			says: "container: %s answered with more than 256 KiB; bucketd reads at most 256 KiB of a provider's answer (--provider-max-body)",
		},
		{
			name: "an error body of 200 KiB",
			stub: blobStub{props: stubAnswer{status: http.StatusConflict, contentType: "text/html", body: strings.Repeat("x", 200<<10)},
				list: stubAnswer{status: http.StatusConflict, contentType: "text/html", body: strings.Repeat("x", 200<<10)}},
			kind: domain.KindProviderError,
			says: "container: %s refused the request with 409 (Conflict)",
		},
		{
			name: "the container name refused",
			stub: blobStub{
				props: stubAnswer{status: http.StatusBadRequest, code: "InvalidResourceName"},
				list: stubAnswer{status: http.StatusBadRequest, code: "InvalidResourceName",
					body: "<Error><Code>InvalidResourceName</Code><Message>The specifed resource name contains invalid characters.</Message></Error>"},
			},
			kind:   domain.KindInvalidInput,
			says:   `container: %s refused the container name "stub-container" (InvalidResourceName); check bucket against Azure's container naming rules`,
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckSkip, checkContainer: domain.CheckFail},
		},
		{
			name: "the container name's length refused",
			stub: blobStub{props: stubAnswer{status: http.StatusBadRequest, code: "OutOfRangeInput"}, list: stubAnswer{status: http.StatusBadRequest, code: "OutOfRangeInput"}},
			kind: domain.KindInvalidInput,
			says: `container: %s refused the container name "stub-container" (OutOfRangeInput)`,
		},
		{
			name: "an error code that is not printable",
			stub: blobStub{props: stubAnswer{status: http.StatusConflict, code: "Odd\u200bCode\u202e"}, list: stubAnswer{status: http.StatusConflict, code: "Odd\u200bCode\u202e"}},
			kind: domain.KindProviderError,
			says: "container: %s refused the request with 409 (Odd Code) for account devstoreaccount1",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.stub)
			t.Cleanup(srv.Close)
			h := newHarness(t, 0)
			report, err := h.validate(t, azureTarget(srv.URL, container, azurite.Account, azurite.Key))
			where := srv.URL + "/" + azurite.Account
			providerchecktest.WantBoundedText(t, err, h.log.String())
			providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{
				Kind: c.kind, Says: []string{strings.ReplaceAll(c.says, "%s", where)}, Checks: c.checks})
		})
	}
}
