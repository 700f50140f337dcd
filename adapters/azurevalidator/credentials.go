package azurevalidator

import (
	"context"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/bucketd/bucketd/domain"
)

// access is how a probe gets into the container: the client, carrying the credentials, and
// what messages say about them.
type access struct {
	client *container.Client
	// accountClient builds a client for the account itself, for the requests that need no
	// container; nil when the credentials reach one container only (a container SAS).
	accountClient func() (*service.Client, error)
	// account names the storage account in messages; service is the blob service URL.
	account, service string
	scheme           scheme
}

// scheme is what differs between the kinds of credentials once the client is built: how
// messages name them, what to change when the service turns them away, and which requests they
// may make.
type scheme struct {
	// presented names what the service was shown: "the account key", "the SAS", "the token of
	// application ...".
	presented string
	// rejected returns the message for a credential the service did not accept (not for an
	// account that does not exist), from the check's name on.
	rejected func(p *probe, check string, a answer) string
	// denied returns what to change when the service accepted the credential but refused check
	// with a's code, or "" to leave it to accessFixes and the general advice.
	denied func(p *probe, check string, a answer) string
	// listOnly says the credentials cannot read a container's properties (a container SAS
	// cannot): the listing decides whether the container exists.
	listOnly bool
	// secrets are strings no error text kept as a cause may show: the SAS, its signature, a
	// client secret. The SDK quotes request URLs in its errors, SAS and all.
	secrets []string
}

// scrub returns err with every secret of the scheme cut out of its text.
func (s scheme) scrub(err error) error {
	if err == nil || len(s.secrets) == 0 {
		return err
	}
	return scrubbedError{err: err, secrets: s.secrets}
}

// scrubbedError is an error whose text never shows its secrets; errors.Is and errors.As see
// through it.
type scrubbedError struct {
	err     error
	secrets []string
}

func (e scrubbedError) Error() string {
	text := e.err.Error()
	for _, s := range e.secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "REDACTED")
		}
	}
	return text
}

func (e scrubbedError) Unwrap() error { return e.err }

// secretForms are s as it is and as a URL query or form would escape it.
func secretForms(s string) []string {
	return []string{s, url.QueryEscape(s), url.PathEscape(s)}
}

// authorize builds the container client for the target's kind of credentials.
func (v *Validator) authorize(ctx context.Context, t domain.ValidationTarget) (access, string, error) {
	switch kind := t.Credentials.Kind.OrDefault(); kind {
	case domain.CredentialKeySecret:
		return v.accountKeyAccess(t)
	case domain.CredentialAzureSAS:
		return v.sasAccess(t)
	case domain.CredentialAzureServicePrincipal:
		return v.servicePrincipalAccess(ctx, t)
	default:
		return access{}, checkAuth, domain.Errorf(domain.KindInvalidInput,
			"%s: credential kind %s is not for Azure buckets; use KEY_SECRET, AZURE_SERVICE_PRINCIPAL or AZURE_SAS", checkAuth, kind)
	}
}

// serviceOptions are the account clients' options: the container clients' transport and retry
// policy.
func (v *Validator) serviceOptions() *service.ClientOptions {
	return &service.ClientOptions{ClientOptions: v.clientOptions.ClientOptions}
}

// accountKeyAccess signs every request with the storage account's key (Shared Key).
func (v *Validator) accountKeyAccess(t domain.ValidationTarget) (access, string, error) {
	account := t.Credentials.Key.Reveal()
	if err := checkAccountName(account); err != nil {
		return access{}, checkAuth, err
	}
	cred, err := sharedKey(account, t.Credentials.Secret.Reveal())
	if err != nil {
		return access{}, checkAuth, err
	}
	where, err := serviceURL(t.Endpoint, account, v.allow)
	if err != nil {
		return access{}, checkConnect, err
	}
	client, err := container.NewClientWithSharedKeyCredential(where+"/"+url.PathEscape(t.Bucket), cred, &v.clientOptions)
	if err != nil {
		return access{}, checkConnect, domain.Wrap(domain.KindInternal, err, checkConnect+": the blob client could not be built")
	}
	accountClient := func() (*service.Client, error) {
		return service.NewClientWithSharedKeyCredential(where+"/", cred, v.serviceOptions())
	}
	return access{client: client, accountClient: accountClient, account: account, service: where, scheme: accountKeyScheme}, "", nil
}

// accountKeyScheme words the account key's failures.
var accountKeyScheme = scheme{
	presented: "the account key",
	rejected: func(p *probe, check string, a answer) string {
		return p.describeKeyRejected(check, a)
	},
	denied: func(*probe, string, answer) string { return "" },
}
