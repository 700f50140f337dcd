package azurevalidator

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// authenticate proves target's credential alone and wants neither its secret nor the
// emulator's key in the error or the log lines of the call.
func (h harness) authenticate(t *testing.T, target domain.ValidationTarget) error {
	t.Helper()
	logStart := len(h.log.String())
	err := h.v.Authenticate(context.Background(), domain.CredentialTarget{StorageType: domain.StorageAzure,
		Endpoint: target.Endpoint, Credentials: target.Credentials})
	providerchecktest.WantNoLeak(t, domain.ValidationReport{}, err, h.log.String()[logStart:], target.Credentials.Secret.Reveal(), azurite.Key)
	return err
}

// proved stands for no error where the tests below want an error's kind.
const proved domain.Kind = -1

// wantAuthenticated wants err nil when kind is proved, and otherwise of kind with says in its
// message.
func wantAuthenticated(t *testing.T, err error, kind domain.Kind, says ...string) {
	t.Helper()
	if kind == proved {
		if err != nil {
			t.Errorf("Authenticate = %v, want the credential proved", err)
		}
		return
	}
	providerchecktest.WantKind(t, err, kind, says...)
}

// An account key and an account SAS are proved by the account's listing at Azurite, which
// verifies them; a 403 for a missing resource type still proves the signature.
func TestAuthenticateAccountKeyAndAccountSAS(t *testing.T) {
	s := emulator(t)
	h := newHarness(t, 0)
	endpoint := s.Endpoint(azurite.Account)
	listAll := sas.AccountPermissions{Read: true, List: true}
	for name, c := range map[string]struct {
		target domain.ValidationTarget
		kind   domain.Kind
		says   []string
	}{
		"account key":                          {azureTarget(endpoint, "", azurite.Account, azurite.Key), proved, nil},
		"wrong account key":                    {azureTarget(endpoint, "", azurite.Account, otherKey()), domain.KindInvalidCredentials, []string{"authenticate: ", "rejected the account key"}},
		"account SAS":                          {sasTarget(endpoint, "", accountSAS(t, listAll, sas.AccountResourceTypes{Service: true, Container: true, Object: true}, soon)), proved, nil},
		"account SAS without the service type": {sasTarget(endpoint, "", accountSAS(t, listAll, containerObj, soon)), proved, nil},
		"account SAS of another key": {sasTarget(endpoint, "", accountSASWithKey(t, otherKey(), listAll)), domain.KindInvalidCredentials,
			[]string{"authenticate: ", "did not accept the SAS for account devstoreaccount1", "make a new SAS"}},
		"expired account SAS": {sasTarget(endpoint, "", accountSAS(t, listAll, containerObj, time.Now().Add(-time.Hour))), domain.KindInvalidCredentials,
			[]string{"authenticate: the SAS expired at ", "make a new SAS"}},
	} {
		t.Run(name, func(t *testing.T) {
			wantAuthenticated(t, h.authenticate(t, c.target), c.kind, c.says...)
		})
	}
}

// A container SAS cannot be proved without its container: it is accepted while its time window
// is open, with no request at all, and refused, again without a request, when it is closed.
func TestAuthenticateContainerSAS(t *testing.T) {
	var requests atomic.Int32
	endpoint := proxy(t, emulator(t), func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		requests.Add(1)
		next.ServeHTTP(w, r)
	}) + "/" + azurite.Account
	h := newHarness(t, 0)
	later := time.Now().Add(time.Hour)
	notYet, err := sas.BlobSignatureValues{Version: sasVersion, Protocol: sas.ProtocolHTTPSandHTTP, StartTime: later, ExpiryTime: later.Add(time.Hour),
		Permissions: readList.String(), ContainerName: fullContainer}.SignWithSharedKey(sasKey(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		token string
		kind  domain.Kind
		says  []string
	}{
		"open window":  {containerSAS(t, fullContainer, readList, soon), proved, nil},
		"expired":      {containerSAS(t, fullContainer, readList, time.Now().Add(-time.Minute)), domain.KindInvalidCredentials, []string{"authenticate: the SAS expired at "}},
		"not yet":      {notYet.Encode(), domain.KindInvalidCredentials, []string{"authenticate: the SAS is not valid before "}},
		"a blob's SAS": {strings.Replace(containerSAS(t, fullContainer, readList, soon), "sr=c", "sr=b", 1), domain.KindInvalidCredentials, []string{"sr=b"}},
	} {
		t.Run(name, func(t *testing.T) {
			wantAuthenticated(t, h.authenticate(t, sasTarget(endpoint, "", c.token)), c.kind, c.says...)
		})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("proving container SAS tokens sent %d requests, want none", n)
	}
}

// A service principal is proved by its token from the Entra peer and the account's listing at
// the HTTPS Azurite; a wrong secret stops at the authority.
func TestAuthenticateServicePrincipal(t *testing.T) {
	s := oauthEmulator(t)
	h, authority := spHarness(t)
	endpoint := s.Endpoint(azurite.Account)
	wantAuthenticated(t, h.authenticate(t, spTarget(endpoint, "", spTenant, spClientID, spSecret)), proved)
	wantAuthenticated(t, h.authenticate(t, spTarget(endpoint, "", spTenant, spClientID, "wrong-secret-value")), domain.KindInvalidCredentials,
		"authenticate: ", "rejected the client secret of application "+spClientID, "AADSTS7000215")
	wantAuthenticated(t, h.authenticate(t, spTarget("", "", spTenant, spClientID, spSecret)), domain.KindInvalidInput,
		"needs an endpoint naming its storage account")
	if st := authority.Stats(); st.Tokens != 2 || len(st.Unexpected) != 0 {
		t.Errorf("authority stats %+v: want one token request per secret and no other request", st)
	}
}

// Azure answers a token whose role is assigned on one container only with 403
// AuthorizationPermissionMismatch to the account's listing: the token was accepted, which is
// as far as a credential alone goes. A token the service does not accept is refused.
func TestAuthenticateServicePrincipalAtTheService(t *testing.T) {
	s := oauthEmulator(t)
	h, _ := spHarness(t)
	answer := func(status int, code string) string {
		return tlsProxy(t, s, func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
			if r.URL.Query().Get("comp") != "list" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				t.Errorf("the proof asked %s with Authorization %t; want the account's listing with a bearer token",
					r.URL, r.Header.Get("Authorization") != "")
			}
			w.Header().Set("x-ms-error-code", code)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><Error><Code>` + code + `</Code><Message>refused</Message></Error>`))
		}) + "/" + azurite.Account
	}
	wantAuthenticated(t, h.authenticate(t, spTarget(answer(http.StatusForbidden, "AuthorizationPermissionMismatch"), "", spTenant, spClientID, spSecret)), proved)
	wantAuthenticated(t, h.authenticate(t, spTarget(answer(http.StatusUnauthorized, codeInvalidAuthInfo), "", spTenant, spClientID, spSecret)),
		domain.KindInvalidCredentials, "authenticate: ", "did not accept the token of application "+spClientID, "tenant "+spTenant)
}

// A server that answers the account's listing with a page that is no listing proves nothing.
func TestAuthenticateRefusesAnAnswerThatIsNoListing(t *testing.T) {
	endpoint := proxy(t, emulator(t), func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Welcome</body></html>"))
	}) + "/" + azurite.Account
	h := newHarness(t, 0)
	wantAuthenticated(t, h.authenticate(t, azureTarget(endpoint, "", azurite.Account, azurite.Key)), domain.KindProviderError,
		"a listing of the containers of account devstoreaccount1")
}

// otherKey is a well-formed account key that is not the emulator's.
func otherKey() string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat("not the emulator's key, ", 3)))
}

// accountSASWithKey signs a listing account SAS with key instead of the emulator's.
func accountSASWithKey(t testing.TB, key string, perms sas.AccountPermissions) string {
	t.Helper()
	cred, err := container.NewSharedKeyCredential(azurite.Account, key)
	if err != nil {
		t.Fatal(err)
	}
	types := sas.AccountResourceTypes{Service: true, Container: true}
	q, err := sas.AccountSignatureValues{Version: sasVersion, Protocol: sas.ProtocolHTTPSandHTTP, ExpiryTime: soon,
		Permissions: perms.String(), ResourceTypes: types.String()}.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	return q.Encode()
}
