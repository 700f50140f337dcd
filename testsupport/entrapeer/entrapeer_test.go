package entrapeer

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/bucketd/bucketd/testsupport/testca"
)

const (
	tenant   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID = "0f4a8b1c-2d3e-4f5a-8b9c-0d1e2f3a4b5c"
	secret   = "Xyz8Q~not-a-real-client-secret-0123456789"
)

var ca *testca.CA

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "entrapeer-test-")
	if err == nil {
		ca, err = testca.New(dir)
	}
	if err != nil {
		panic(err)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func start(t *testing.T) (*Peer, *http.Client) {
	p := Start(t, ca.ServerConfig())
	p.AddApp(tenant, clientID, secret)
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Roots, MinVersion: tls.VersionTLS12}}
	t.Cleanup(transport.CloseIdleConnections)
	return p, &http.Client{Transport: transport, Timeout: 10 * time.Second}
}

// oauthAnswer is a token endpoint's JSON answer, a token or an error.
type oauthAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

func post(t *testing.T, c *http.Client, endpoint string, form url.Values) (int, oauthAnswer) {
	t.Helper()
	resp, err := c.PostForm(endpoint, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a oauthAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return resp.StatusCode, a
}

func form(tenantClient, clientSecret, scope string) url.Values {
	return url.Values{"client_id": {tenantClient}, "client_secret": {clientSecret}, "scope": {scope}, "grant_type": {"client_credentials"}}
}

func TestTokenEndpointJudgesTheRequest(t *testing.T) {
	p, c := start(t)
	endpoint := p.URL + "/" + tenant + "/oauth2/v2.0/token"
	for name, tc := range map[string]struct {
		endpoint string
		form     url.Values
		status   int
		code     int
	}{
		"wrong secret":   {endpoint, form(clientID, "wrong", Scope), http.StatusUnauthorized, 7000215},
		"unknown app":    {endpoint, form("11111111-2222-3333-4444-555555555555", secret, Scope), http.StatusBadRequest, 700016},
		"unknown tenant": {p.URL + "/contoso.example/oauth2/v2.0/token", form(clientID, secret, Scope), http.StatusBadRequest, 90002},
		"another scope":  {endpoint, form(clientID, secret, "https://management.azure.com/.default"), http.StatusBadRequest, 70011},
		"another grant":  {endpoint, url.Values{"client_id": {clientID}, "client_secret": {secret}, "scope": {Scope}, "grant_type": {"password"}}, http.StatusBadRequest, 70003},
	} {
		status, a := post(t, c, tc.endpoint, tc.form)
		if status != tc.status || len(a.Codes) != 1 || a.Codes[0] != tc.code || a.AccessToken != "" {
			t.Errorf("%s: %d %+v, want %d with AADSTS%d and no token", name, status, a, tc.status, tc.code)
		}
	}

	status, a := post(t, c, endpoint, form(clientID, secret, Scope))
	if status != http.StatusOK || a.ExpiresIn != int(DefaultLifetime.Seconds()) {
		t.Fatalf("good request: %d %+v", status, a)
	}
	claims, err := ParseClaims(a.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	if claims.Audience != Audience || claims.Issuer != "https://sts.windows.net/"+tenant+"/" || claims.AppID != clientID ||
		claims.NotBefore > now || claims.IssuedAt > now+1 || claims.Expires < now+3500 {
		t.Errorf("claims %+v are not a storage token of app %s valid now for an hour", claims, clientID)
	}
	if got := p.Stats().Tokens; got != 6 {
		t.Errorf("Tokens = %d, want 6", got)
	}
}

func TestDiscoveryNamesTheTokenEndpoint(t *testing.T) {
	p, c := start(t)
	resp, err := c.Get(p.URL + "/" + tenant + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var meta struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		t.Fatal(err)
	}
	if meta.TokenEndpoint != p.URL+"/"+tenant+"/oauth2/v2.0/token" || meta.Issuer != p.URL+"/"+tenant+"/v2.0" {
		t.Errorf("metadata %+v", meta)
	}
	resp2, err := c.Get(p.URL + "/common/discovery/instance")
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotFound || len(p.Stats().Unexpected) != 1 {
		t.Errorf("instance discovery: %d, unexpected %v; want 404, recorded", resp2.StatusCode, p.Stats().Unexpected)
	}
}

// azidentity, as bucketd configures it, gets a token from the peer with the right secret and
// is refused with Entra's code otherwise, asking nothing but the metadata and the token.
func TestAzidentityGetsATokenFromThePeer(t *testing.T) {
	p, c := start(t)
	p.SetLifetime(10 * time.Minute)
	credential := func(tenantID, clientSecret string) *azidentity.ClientSecretCredential {
		cred, err := azidentity.NewClientSecretCredential(tenantID, clientID, clientSecret, &azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: p.URL + "/"},
				Transport: c,
				Retry:     policy.RetryOptions{MaxRetries: -1},
			},
			DisableInstanceDiscovery: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		return cred
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := credential(tenant, secret).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{Scope}})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if until := time.Until(tok.ExpiresOn); until < 9*time.Minute || until > 11*time.Minute {
		t.Errorf("the token expires in %s, want about 10 minutes", until)
	}
	_, err = credential(tenant, "wrong").GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{Scope}})
	var failed *azidentity.AuthenticationFailedError
	if !errors.As(err, &failed) || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("wrong secret: %v, want an AuthenticationFailedError with AADSTS7000215", err)
	}
	if s := p.Stats(); len(s.Unexpected) != 0 || s.Tokens != 2 || s.Discovery == 0 {
		t.Errorf("stats %+v, want two token requests, metadata, and nothing else", s)
	}
}
