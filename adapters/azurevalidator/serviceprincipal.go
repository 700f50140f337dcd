package azurevalidator

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
)

// storageScope is the only scope bucketd asks tokens for: Azure Storage's, in every cloud.
const storageScope = "https://storage.azure.com/.default"

// Azure's data roles for blobs, named in the messages about a missing role assignment.
const (
	readerRole      = "Storage Blob Data Reader"
	contributorRole = "Storage Blob Data Contributor"
)

// guidPattern is a GUID as Entra writes application and directory ids.
var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// domainPattern is a tenant's domain name, such as contoso.onmicrosoft.com.
var domainPattern = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)

// checkTenant accepts a directory (tenant) id or one of the tenant's domain names. The
// multi-tenant aliases (common, organizations) cannot issue an application's own tokens.
func checkTenant(tenant string) error {
	if guidPattern.MatchString(tenant) || len(tenant) <= 253 && domainPattern.MatchString(tenant) {
		return nil
	}
	return domain.Errorf(domain.KindInvalidCredentials,
		"%s: tenantId is not a directory (tenant) id, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, "+
			"nor a tenant domain such as contoso.onmicrosoft.com; copy the Directory (tenant) ID from the app registration's Overview", checkAuth)
}

// checkClientID accepts an application (client) id. The message never shows the key: a caller
// who swapped the fields has put the client secret there.
func checkClientID(clientID string) error {
	if guidPattern.MatchString(clientID) {
		return nil
	}
	return domain.Errorf(domain.KindInvalidCredentials,
		"%s: key is not an application (client) id, a GUID; put the app registration's Application (client) ID in key "+
			"and its client secret's Value in secret", checkAuth)
}

// servicePrincipalAccess gets a storage token for the application at the configured authority
// (from the cache while it lasts) and presents it to the blob service. The endpoint must name
// the storage account: the credentials do not.
func (v *Validator) servicePrincipalAccess(ctx context.Context, t domain.ValidationTarget) (access, string, error) {
	creds := t.Credentials
	tenant, clientID, secret := strings.TrimSpace(creds.TenantID), strings.TrimSpace(creds.Key.Reveal()), strings.TrimSpace(creds.Secret.Reveal())
	if err := checkTenant(tenant); err != nil {
		return access{}, checkAuth, err
	}
	if err := checkClientID(clientID); err != nil {
		return access{}, checkAuth, err
	}
	if secret == "" {
		return access{}, checkAuth, domain.Errorf(domain.KindInvalidCredentials,
			"%s: secret is empty; put the Value of one of the application's client secrets in it", checkAuth)
	}
	where, account, err := tokenServiceURL(t.Endpoint, v.allow)
	if err != nil {
		return access{}, checkConnect, err
	}
	id := tokenID{authority: v.authority, tenant: tenant, clientID: clientID, secret: secret}
	token, err := v.tokens.get(ctx, id, func(ctx context.Context) (azcore.AccessToken, error) { return v.fetchToken(ctx, id) })
	if err != nil {
		return access{}, checkAuth, err
	}
	client, err := container.NewClient(where+"/"+url.PathEscape(t.Bucket), staticToken(token), &v.clientOptions)
	if err != nil {
		return access{}, checkConnect, domain.Wrap(domain.KindInternal, err, checkConnect+": the blob client could not be built")
	}
	accountClient := func() (*service.Client, error) {
		return service.NewClient(where+"/", staticToken(token), v.serviceOptions())
	}
	return access{client: client, accountClient: accountClient, account: account, service: where,
		scheme: servicePrincipalScheme(tenant, clientID, secret)}, "", nil
}

// tokenServiceURL reads the blob service URL and the storage account from a service
// principal's endpoint, which must name the account: https://<account>.blob.core.windows.net
// (or another host whose first label is the account, as Azure Stack Hub's), or path-style
// https://host:port/<account> as Azurite serves it. It must be https: bucketd never sends a
// bearer token over plain http. A host-style endpoint whose first label is no account name (a
// custom domain) is used as given, and messages name its host.
func tokenServiceURL(raw string, allow netguard.AllowList) (service, account string, err error) {
	if raw == "" {
		return "", "", domain.Errorf(domain.KindInvalidInput,
			"%s: an AZURE_SERVICE_PRINCIPAL bucket needs an endpoint naming its storage account, "+
				"https://<account>.blob.core.windows.net; the credentials name only the application", checkConnect)
	}
	if u, perr := url.Parse(strings.TrimSpace(raw)); perr == nil && !strings.EqualFold(u.Scheme, "https") {
		return "", "", domain.Errorf(domain.KindEndpointNotAllowed,
			"%s: an AZURE_SERVICE_PRINCIPAL bucket's endpoint must use https; bucketd never sends a bearer token over plain http", checkConnect)
	}
	origin, path, err := checkEndpoint(raw, allow)
	if err != nil {
		return "", "", err
	}
	switch {
	case path != "" && checkAccountName(path) == nil:
		return origin.String() + "/" + path, path, nil
	case path != "":
		return "", "", domain.Errorf(domain.KindEndpointNotAllowed,
			"%s: endpoint may have no path, or the storage account name as its only path segment (e.g. https://127.0.0.1:10000/devstoreaccount1)", checkConnect)
	case isIPLiteral(origin.Hostname()):
		return "", "", domain.Errorf(domain.KindInvalidInput,
			"%s: endpoint %s does not name the storage account; add it as the path (%s/<account>) or use https://<account>.blob.core.windows.net",
			checkConnect, origin, origin)
	}
	label, _, _ := strings.Cut(origin.Hostname(), ".")
	if checkAccountName(label) == nil {
		return origin.String(), label, nil
	}
	return origin.String(), origin.Hostname(), nil
}

// fetchToken asks the authority for a storage token with the client secret, through the
// shared guarded client: instance discovery is off, so the only requests are the tenant's
// metadata and the token, both at the configured authority host (the metadata's token endpoint
// is judged by the SSRF guard like any address). Every answer is read within the client's body
// cap and the validation's deadline.
func (v *Validator) fetchToken(ctx context.Context, id tokenID) (azcore.AccessToken, error) {
	transport := &recordingTransport{next: v.httpClient}
	cred, err := azidentity.NewClientSecretCredential(id.tenant, id.clientID, id.secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: v.authority},
			Transport: transport,
			Retry:     policy.RetryOptions{MaxRetries: -1},
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		return azcore.AccessToken{}, domain.Wrap(domain.KindInvalidCredentials, scrubSecret(err, id.secret),
			checkAuth+": the tenant id or the application (client) id is not accepted by the Azure SDK; check both")
	}
	token, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{storageScope}})
	if err != nil {
		broken, transportErr := transport.failure()
		return azcore.AccessToken{}, v.tokenFailure(err, transportErr, broken, id)
	}
	return token, nil
}

// staticToken presents one token, and refuses to present it for any scope but storage's: a
// blob service's challenge cannot get bucketd to ask for a token to another resource.
type staticToken azcore.AccessToken

func (s staticToken) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if !slices.Equal(opts.Scopes, []string{storageScope}) {
		return azcore.AccessToken{}, errors.New("azurevalidator: a token was asked for a scope other than Azure Storage's")
	}
	return azcore.AccessToken(s), nil
}

// servicePrincipalScheme words a service principal's failures at the blob service.
func servicePrincipalScheme(tenant, clientID, secret string) scheme {
	presented := "the token of application " + clientID
	return scheme{
		presented: presented,
		rejected: func(p *probe, check string, a answer) string {
			return fmt.Sprintf("%s: %s did not accept %s (%s); check that the storage account is in tenant %s "+
				"and that its firewall admits bucketd", check, p.where, presented, codeOrStatus(a), tenant)
		},
		denied: func(p *probe, _ string, a answer) string {
			if _, own := accessFixes[a.code]; own {
				return ""
			}
			role := readerRole
			if p.target.Mode == domain.ValidateReadWrite {
				role = contributorRole
			}
			return fmt.Sprintf("assign application %s the role %s on storage account %s or on container %s "+
				"(role assignments take a few minutes to apply)", clientID, role, p.account, p.target.Bucket)
		},
		secrets: secretForms(secret),
	}
}

// scrubSecret returns err with secret cut out of its text.
func scrubSecret(err error, secret string) error {
	return scheme{secrets: secretForms(secret)}.scrub(err)
}
