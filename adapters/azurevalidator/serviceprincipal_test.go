package azurevalidator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/entrapeer"
	"github.com/bucketd/bucketd/testsupport/logcapture"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

const (
	spTenant   = "8d3f9a1e-5b2c-4e7f-9a0b-1c2d3e4f5a6b"
	spClientID = "3b9e7c2a-1f4d-4a8b-9c6e-5d7f0a1b2c3d"
	spSecret   = "Qx8Q~a-client-secret-value-only-tests-know-42"
	// spContainer is a container of the OAuth emulator.
	spContainer = "sp-container"
)

var oauthSetup sync.Once

// oauthEmulator returns the package's HTTPS Azurite, with spContainer in it.
func oauthEmulator(t testing.TB) *azurite.Server {
	t.Helper()
	s := oauthPeer.Server(t)
	oauthSetup.Do(func() { s.CreateContainer(t, spContainer) })
	return s
}

// spHarness is a validator whose authority is a fresh Entra peer knowing one application.
func spHarness(t *testing.T) (harness, *entrapeer.Peer) {
	t.Helper()
	authority := entrapeer.Start(t, ca.ServerConfig())
	authority.AddApp(spTenant, spClientID, spSecret)
	allow := providerchecktest.LoopbackAllowList(t)
	log := &logcapture.Buffer{}
	transport := guardedTransport(t)
	v, err := New(Config{HTTPClient: netguard.NewClient(transport), AllowList: allow, AuthorityHost: authority.URL, Logger: log.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	return harness{v: v, log: log}, authority
}

func spTarget(endpoint, container, tenant, clientID, secret string) domain.ValidationTarget {
	return domain.ValidationTarget{
		StorageType: domain.StorageAzure,
		Bucket:      container,
		Endpoint:    endpoint,
		Credentials: domain.Credentials{Kind: domain.CredentialAzureServicePrincipal, TenantID: tenant,
			Key: domain.NewSecret(clientID), Secret: domain.NewSecret(secret)},
		Mode: domain.ValidateReadOnly,
	}
}

// A service principal's token, from the Entra peer, lets the validator into Azurite for real,
// read-only and read-write, and the authority is asked nothing but the tenant's metadata and the
// token.
func TestServicePrincipalAgainstAzurite(t *testing.T) {
	s := oauthEmulator(t)
	h, authority := spHarness(t)
	target := spTarget(s.Endpoint(azurite.Account), spContainer, spTenant, spClientID, spSecret)
	report, err := h.validate(t, target)
	providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{Checks: map[string]domain.CheckStatus{
		checkConnect: domain.CheckPass, checkAuth: domain.CheckPass, checkContainer: domain.CheckPass, checkList: domain.CheckPass}})
	if msg := providerchecktest.Check(t, report, checkAuth).Message; !strings.Contains(msg, "the token of application "+spClientID) {
		t.Errorf("auth check says %q, want it to name the application's token", msg)
	}
	target.Mode = domain.ValidateReadWrite
	report, err = h.validate(t, target)
	if err != nil || providerchecktest.Check(t, report, checkWrite).Status != domain.CheckPass {
		t.Fatalf("read-write: %v, %+v", err, report.Checks)
	}
	if got := s.Blobs(t, spContainer); len(got) != 0 {
		t.Errorf("the probe blob stayed behind: %v", got)
	}
	if st := authority.Stats(); st.Tokens != 1 || len(st.Unexpected) != 0 {
		t.Errorf("authority stats %+v: want one token for both validations (cached) and no other request, instance discovery included", st)
	}
}

func TestServicePrincipalRefusals(t *testing.T) {
	s := oauthEmulator(t)
	h, _ := spHarness(t)
	endpoint := s.Endpoint(azurite.Account)
	for name, c := range map[string]struct {
		target domain.ValidationTarget
		kind   domain.Kind
		says   []string
	}{
		"wrong secret": {spTarget(endpoint, spContainer, spTenant, spClientID, "wrong-secret-value"), domain.KindInvalidCredentials,
			[]string{"authenticate: ", "rejected the client secret of application " + spClientID, "AADSTS7000215", "Value"}},
		"unknown application": {spTarget(endpoint, spContainer, spTenant, "99999999-9999-4999-8999-999999999999", spSecret), domain.KindInvalidCredentials,
			[]string{"knows no application 99999999-9999-4999-8999-999999999999", "AADSTS700016"}},
		"unknown tenant": {spTarget(endpoint, spContainer, "contoso.onmicrosoft.com", spClientID, spSecret), domain.KindInvalidCredentials,
			[]string{"knows no tenant contoso.onmicrosoft.com", "AADSTS90002", "--azure-authority-host"}},
		"tenant alias": {spTarget(endpoint, spContainer, "common", spClientID, spSecret), domain.KindInvalidCredentials,
			[]string{"tenantId is not a directory (tenant) id"}},
		"client id that is no GUID": {spTarget(endpoint, spContainer, spTenant, spSecret, spClientID), domain.KindInvalidCredentials,
			[]string{"key is not an application (client) id"}},
		"no endpoint": {spTarget("", spContainer, spTenant, spClientID, spSecret), domain.KindInvalidInput,
			[]string{"connect: an AZURE_SERVICE_PRINCIPAL bucket needs an endpoint naming its storage account"}},
		"plain http endpoint": {spTarget(emulator(t).Endpoint(azurite.Account), fullContainer, spTenant, spClientID, spSecret), domain.KindEndpointNotAllowed,
			[]string{"must use https", "never sends a bearer token over plain http"}},
		"endpoint without the account": {spTarget(s.URL, spContainer, spTenant, spClientID, spSecret), domain.KindInvalidInput,
			[]string{"does not name the storage account"}},
		"missing container": {spTarget(endpoint, "no-such-container", spTenant, spClientID, spSecret), domain.KindBucketNotFound,
			[]string{"container no-such-container does not exist"}},
	} {
		t.Run(name, func(t *testing.T) {
			report, err := h.validate(t, c.target)
			providerchecktest.WantKind(t, err, c.kind, c.says...)
			providerchecktest.WantTidyOutcome(t, report, err)
			providerchecktest.WantNoLeak(t, report, err, h.log.String(), spSecret)
		})
	}
}

// Without a role assignment Azure answers AuthorizationPermissionMismatch, which Azurite's
// basic OAuth never does (it knows no roles): a proxy in front of it answers so, and the
// message names the role to assign, by mode.
func TestServicePrincipalWithoutRole(t *testing.T) {
	s := oauthEmulator(t)
	h, _ := spHarness(t)
	endpoint := tlsProxy(t, s, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			t.Errorf("the request carries no bearer token")
		}
		w.Header().Set("x-ms-error-code", "AuthorizationPermissionMismatch")
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code>` +
			`<Message>This request is not authorized to perform this operation using this permission.</Message></Error>`))
	})
	for mode, role := range map[domain.ValidationMode]string{domain.ValidateReadOnly: readerRole, domain.ValidateReadWrite: contributorRole} {
		target := spTarget(endpoint+"/"+azurite.Account, spContainer, spTenant, spClientID, spSecret)
		target.Mode = mode
		report, err := h.validate(t, target)
		providerchecktest.WantKind(t, err, domain.KindAccessDenied, "AuthorizationPermissionMismatch",
			"assign application "+spClientID+" the role "+role+" on storage account devstoreaccount1 or on container "+spContainer)
		if st := providerchecktest.Check(t, report, checkAuth).Status; st != domain.CheckPass {
			t.Errorf("%s: auth check %s, want pass: the service accepted the token and refused the operation", mode, st)
		}
	}
}

// tlsProxy puts handler in front of the HTTPS emulator, on the test authority's certificate.
func tlsProxy(t *testing.T, s *azurite.Server, handler func(w http.ResponseWriter, r *http.Request, next http.Handler)) string {
	t.Helper()
	target, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	next := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) }}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler(w, r, next) }))
	srv.TLS = ca.ServerConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// A token is reused until tokenMargin before it expires, and one about to expire is replaced;
// another secret for the same application never gets the cached token.
func TestServicePrincipalTokenCache(t *testing.T) {
	s := oauthEmulator(t)
	h, authority := spHarness(t)
	target := spTarget(s.Endpoint(azurite.Account), spContainer, spTenant, spClientID, spSecret)
	authority.SetLifetime(tokenMargin + time.Minute)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := h.v.Validate(context.Background(), target); err != nil {
				t.Errorf("validate: %v", err)
			}
		})
	}
	wg.Wait()
	first := authority.Stats().Tokens
	if first < 1 || first > 4 {
		t.Fatalf("%d token requests for 4 concurrent validations", first)
	}
	if _, err := h.v.Validate(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	if got := authority.Stats().Tokens; got != first {
		t.Errorf("a fresh token was not reused: %d token requests, want %d", got, first)
	}
	h.v.tokens.now = func() time.Time { return time.Now().Add(2 * time.Minute) } // within the margin of expiry
	if _, err := h.v.Validate(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	if got := authority.Stats().Tokens; got != first+1 {
		t.Errorf("a token about to expire was reused: %d token requests, want %d", got, first+1)
	}
	wrong := spTarget(s.Endpoint(azurite.Account), spContainer, spTenant, spClientID, "another-secret")
	if _, err := h.v.Validate(context.Background(), wrong); !domain.IsKind(err, domain.KindInvalidCredentials) {
		t.Errorf("another secret of a cached application: %v, want it refused by the authority", err)
	}
}

func TestTokenCacheIsBounded(t *testing.T) {
	now := time.Now()
	c := newTokenCache(3, func() time.Time { return now })
	for i := range 5 {
		id := tokenID{tenant: "t", clientID: "c", secret: strings.Repeat("s", i+1)}
		_, err := c.get(context.Background(), id, func(context.Context) (azcore.AccessToken, error) {
			return azcore.AccessToken{Token: "x", ExpiresOn: now.Add(time.Duration(i+1) * time.Hour)}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if c.len() != 3 {
		t.Errorf("the cache holds %d tokens, want its bound, 3", c.len())
	}
	short := tokenID{tenant: "t", clientID: "c", secret: "short"}
	_, _ = c.get(context.Background(), short, func(context.Context) (azcore.AccessToken, error) {
		return azcore.AccessToken{Token: "x", ExpiresOn: now.Add(time.Minute)}, nil
	})
	if c.len() != 3 {
		t.Error("a token expiring within the margin was kept")
	}
}
