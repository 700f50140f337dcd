package gcsvalidator

import (
	"cmp"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// stubEmail is the service account of the stub tests, whose key no fake GCS knows.
const stubEmail = "stub@bucketd-test.iam.gserviceaccount.com"

// stubKey is one RSA key for the stub tests and fuzzers, made once per test binary.
var stubKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// stubCredentials returns stubEmail's key as a bare PEM key and as a JSON key file.
func stubCredentials(t testing.TB) (pemKey, keyFileJSON string) {
	t.Helper()
	key, err := stubKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemKey = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	file, err := json.Marshal(keyFile{Type: "service_account", ClientEmail: stubEmail, PrivateKey: pemKey, PrivateKeyID: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	return pemKey, string(file)
}

// stubAnswer is how a stub answers one request; a zero answer is the success answer.
type stubAnswer struct {
	status      int
	contentType string
	body        string
	// cut announces more body than there is and closes the connection after it.
	cut bool
}

// gcsStub answers the token endpoint (/token), buckets.get and testIamPermissions as scripted.
type gcsStub struct {
	token, attrs, perms stubAnswer
}

func (s gcsStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var a stubAnswer
	switch {
	case r.URL.Path == "/token":
		a = cmp.Or(s.token, stubAnswer{body: `{"access_token":"stub-token","token_type":"Bearer","expires_in":3600}`})
	case strings.HasSuffix(r.URL.Path, "/iam/testPermissions"):
		a = cmp.Or(s.perms, stubAnswer{body: `{"kind":"storage#testIamPermissionsResponse","permissions":["storage.objects.list","storage.objects.get"]}`})
	default:
		bucket := strings.TrimPrefix(r.URL.Path, "/storage/v1/b/")
		a = cmp.Or(s.attrs, stubAnswer{body: `{"kind":"storage#bucket","name":"` + bucket + `","location":"US-EAST1"}`})
	}
	w.Header().Set("Content-Type", cmp.Or(a.contentType, "application/json; charset=UTF-8"))
	if a.cut {
		w.Header().Set("Content-Length", strconv.Itoa(len(a.body)+100))
	}
	w.WriteHeader(cmp.Or(a.status, http.StatusOK))
	_, _ = io.WriteString(w, a.body)
}

// An API or token endpoint that answers, but not as Google's do, is a PROVIDER_ERROR saying
// what was odd, never an internal error; an API that refuses the bucket name says so with a
// 400. Each case is a loopback stub answering through the real validator and storage client.
func TestOddAnswers(t *testing.T) {
	const bucket = "stub-bucket"
	html := stubAnswer{status: http.StatusOK, contentType: "text/html", body: "<html><body>Welcome to nginx!</body></html>"}
	json200 := func(body string) stubAnswer { return stubAnswer{status: http.StatusOK, body: body} }
	pemKey, keyFileJSON := stubCredentials(t)
	for _, c := range []struct {
		name string
		stub gcsStub
		// pem gives the bare PEM key, whose validation begins with the token exchange.
		pem    bool
		kind   domain.Kind
		says   string
		checks map[string]domain.CheckStatus
	}{
		{
			name: "HTML answered to every request", stub: gcsStub{attrs: html, perms: html},
			kind: domain.KindProviderError,
			says: "bucket: %s answered 200 with a body that is not the JSON the GCS API sends (text/html); is the endpoint a GCS JSON API?",
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckSkip,
				checkBucket: domain.CheckFail, checkPermissions: domain.CheckFail},
		},
		{
			name: "a JSON array for the bucket", stub: gcsStub{attrs: json200("[1,2]")},
			kind: domain.KindProviderError,
			says: "bucket: %s answered 200 with a body that is not the JSON the GCS API sends (application/json; charset=UTF-8)",
		},
		{
			name: "an empty JSON object for the bucket", stub: gcsStub{attrs: json200("{}")},
			kind: domain.KindProviderError,
			says: "bucket: %s answered 200 with a body that is not the attributes of bucket stub-bucket (application/json; charset=UTF-8); " +
				"is the endpoint a GCS JSON API?",
		},
		{
			name: "a location no message can show", stub: gcsStub{attrs: json200(`{"name":"stub-bucket","location":"US\u0007\u202e"}`)},
			kind: domain.KindProviderError,
			says: "bucket: %s answered 200 with a body that is not the attributes of bucket stub-bucket",
		},
		{
			name: "an empty body", stub: gcsStub{attrs: json200("")},
			kind: domain.KindProviderError,
			says: "bucket: %s answered 200 with a body that is not the JSON the GCS API sends",
		},
		{
			name: "a body cut short", stub: gcsStub{attrs: stubAnswer{body: `{"kind":"storage#bucket","na`, cut: true}},
			kind: domain.KindProviderError,
			says: "bucket: %s answered 200 but its body ends too early, before the JSON the GCS API sends was complete",
		},
		// The storage client reports a body over the shared client's cap (256 KiB by default)
		// in a 200 as the read error it is, but drops it in an error answer, which the
		// response note keeps.
		{
			name: "an answer over the body cap", stub: gcsStub{attrs: json200(`{"name":"` + strings.Repeat("x", 300<<10))},
			kind: domain.KindProviderError,
			says: "bucket: %s answered with more than 256 KiB; bucketd reads at most 256 KiB of a provider's answer (--provider-max-body)",
		},
		{
			name: "an error answer over the body cap",
			stub: gcsStub{
				attrs: stubAnswer{status: http.StatusForbidden, body: strings.Repeat("x", 300<<10)},
				perms: stubAnswer{status: http.StatusForbidden, body: strings.Repeat("x", 300<<10)},
			},
			kind: domain.KindProviderError,
			says: "bucket: %s answered with more than 256 KiB; bucketd reads at most 256 KiB of a provider's answer (--provider-max-body)",
		},
		{
			name: "an error body of 200 KiB",
			stub: gcsStub{attrs: stubAnswer{status: http.StatusConflict, contentType: "text/html", body: strings.Repeat("x", 200<<10)}},
			kind: domain.KindProviderError,
			says: "bucket: %s refused the request for service account stub….com on bucket stub-bucket with 409 (Conflict)",
		},
		{
			name: "the bucket name refused",
			stub: gcsStub{attrs: stubAnswer{status: http.StatusBadRequest,
				body: `{"error":{"code":400,"message":"Invalid bucket name: 'stub-bucket'","errors":[{"reason":"invalid","message":"Invalid bucket name: 'stub-bucket'"}]}}`}},
			kind: domain.KindInvalidInput,
			says: `bucket: %s refused the bucket name "stub-bucket" (invalid: Invalid bucket name: 'stub-bucket'); ` +
				"check bucket against Google's bucket naming rules",
		},
		{
			name: "HTML from the token endpoint", pem: true, stub: gcsStub{token: html},
			kind: domain.KindProviderError,
			says: "authenticate: the token endpoint %s/token answered 200 with a body that is not the JSON an OAuth 2.0 token endpoint sends (text/html); " +
				"is the endpoint an OAuth 2.0 token endpoint?",
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckFail, checkBucket: domain.CheckSkip},
		},
		{
			name: "a token answer without a token", pem: true, stub: gcsStub{token: json200(`{"token_type":"Bearer"}`)},
			kind: domain.KindProviderError,
			says: "authenticate: the token endpoint %s/token answered 200 with a body that is not the JSON an OAuth 2.0 token endpoint sends",
		},
		{
			name: "a token answer over its 64 KiB bound", pem: true, stub: gcsStub{token: json200(`{"access_token":"` + strings.Repeat("x", 100<<10) + `"}`)},
			kind: domain.KindProviderError,
			says: "authenticate: the token endpoint %s/token answered 200 with a body that is not a token answer of at most 64 KiB",
		},
		{
			name: "a token answer cut short", pem: true, stub: gcsStub{token: stubAnswer{body: `{"access_tok`, cut: true}},
			kind: domain.KindProviderError,
			says: "authenticate: the token endpoint %s/token answered 200 but its body ends too early",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.stub)
			t.Cleanup(srv.Close)
			h := newHarness(t, srv.URL+"/token", nil)
			target := gcsTarget(srv.URL, bucket, "", keyFileJSON)
			if c.pem {
				target = gcsTarget(srv.URL, bucket, stubEmail, pemKey)
			}
			report, err := h.validate(t, target)
			providerchecktest.WantBoundedText(t, err, h.log.String())
			providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{
				Kind: c.kind, Says: []string{strings.ReplaceAll(c.says, "%s", srv.URL)}, Checks: c.checks})
		})
	}
}
