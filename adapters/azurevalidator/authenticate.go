package azurevalidator

import (
	"context"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var _ ports.CredentialAuthenticator = (*Validator)(nil)

// Authenticate proves an Azure account key without a container: Get Service Properties of the
// account, through the guarded client and within the configured deadline. Any answer but a
// refused key proves the key.
func (v *Validator) Authenticate(ctx context.Context, t domain.CredentialTarget) (err error) {
	defer providercheck.RecoverValidation(ctx, v.log, "the Azure authentication", &err)
	if kind := t.Credentials.Kind.OrDefault(); kind != domain.CredentialKeySecret {
		return domain.Errorf(domain.KindInvalidInput, "credential kind %s cannot be proved by this server's Azure check yet", kind)
	}
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	// The probe checks the account name, the key and the endpoint as a validation does.
	p, _, err := v.newProbe(ctx, domain.ValidationTarget{StorageType: domain.StorageAzure, Endpoint: t.Endpoint,
		Credentials: t.Credentials, Bucket: "authenticate"})
	if err != nil {
		return err
	}
	cred, err := sharedKey(p.account, t.Credentials.Secret.Reveal())
	if err != nil {
		return err
	}
	opts := service.ClientOptions{ClientOptions: v.clientOptions.ClientOptions}
	client, err := service.NewClientWithSharedKeyCredential(p.where+"/", cred, &opts)
	if err != nil {
		return domain.Wrap(domain.KindInternal, err, checkConnect+": the blob service client could not be built")
	}
	var resp *http.Response
	_, perr := client.GetProperties(policy.WithCaptureResponse(ctx, &resp), nil)
	a := p.classify(perr, resp)
	switch {
	case a.authenticated():
		return nil
	case !a.answered():
		return domain.Wrap(a.kind, providercheck.Bounded(a.err), p.describe(checkConnect, a))
	}
	return domain.Wrap(a.kind, providercheck.Bounded(a.err), p.describe(checkAuth, a))
}
