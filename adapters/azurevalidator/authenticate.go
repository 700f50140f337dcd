package azurevalidator

import (
	"context"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var _ ports.CredentialAuthenticator = (*Validator)(nil)

// Authenticate proves an Azure credential without a container, as far as the credential alone
// can be proved, through the guarded client and within the configured deadline:
//
//   - An account key, an account SAS and a service principal ask the account itself for one
//     container of its listing (List Containers). A service principal first gets its token
//     from the configured authority, which proves the tenant, the client id and the secret.
//     Any answer but a refused credential proves it: a 403 for lack of permission (a role
//     assigned on one container only, which cannot list the account's containers; an account
//     SAS without the service resource type) means the service accepted who asks. What a
//     bucket needs (the role, the SAS's permissions) is checked on the bucket.
//   - A container SAS is signed for its container, which the token does not name: no request
//     without the container can tell a good signature from a bad one. It is accepted when it
//     parses and its time window is open, and the first bucket that uses it proves it, as every
//     bucket is validated before it is stored.
func (v *Validator) Authenticate(ctx context.Context, t domain.CredentialTarget) (err error) {
	defer providercheck.RecoverValidation(ctx, v.log, "the Azure authentication", &err)
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	p, _, err := v.newProbe(ctx, domain.ValidationTarget{StorageType: domain.StorageAzure, Endpoint: t.Endpoint, Credentials: t.Credentials})
	if err != nil {
		return err
	}
	if p.accountClient == nil {
		return containerSASWindow(t.Credentials.Secret.Reveal())
	}
	client, err := p.accountClient()
	if err != nil {
		return domain.Wrap(domain.KindInternal, err, checkConnect+": the blob service client could not be built")
	}
	a := p.listContainers(ctx, client)
	switch {
	case a.authenticated():
		return nil
	case !a.answered():
		return domain.Wrap(a.kind, providercheck.Bounded(a.err), p.describe(checkConnect, a))
	}
	return domain.Wrap(a.kind, providercheck.Bounded(a.err), p.describe(checkAuth, a))
}

// listContainers asks the account for the first container of its listing; an account without
// containers passes. The listing must name the account's service endpoint, as every Blob
// service listing does.
func (p *probe) listContainers(ctx context.Context, client *service.Client) answer {
	one := int32(1)
	var resp *http.Response
	page, err := client.NewListContainersPager(&service.ListContainersOptions{MaxResults: &one}).
		NextPage(policy.WithCaptureResponse(ctx, &resp))
	if err == nil && (page.ServiceEndpoint == nil || *page.ServiceEndpoint == "") {
		return notAListing("a listing of the containers of account "+p.account, resp)
	}
	return p.classify(err, resp)
}

// containerSASWindow refuses a container SAS (already parsed by the probe) whose time window is
// closed: expired, or not yet started.
func containerSASWindow(secret string) error {
	_, params, err := parseSAS(secret)
	if err != nil {
		return err
	}
	if outside := outsideWindow(params, time.Now()); outside != "" {
		return domain.Errorf(domain.KindInvalidCredentials, "%s: %s; make a new SAS", checkAuth, outside)
	}
	return nil
}
