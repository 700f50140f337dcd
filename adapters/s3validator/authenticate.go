package s3validator

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var _ ports.CredentialAuthenticator = (*Validator)(nil)

// Authenticate proves S3 credentials of any kind without a bucket: one ListBuckets (GET /) at
// the endpoint, or at AWS, through the guarded client and within the configured deadline, with
// the credentials the probe builds for the kind (a session's token, a role assumed with the
// organization's ExternalId). Any answer but a refused key proves the key: an AccessDenied only
// says it may not list every bucket.
func (v *Validator) Authenticate(ctx context.Context, t domain.CredentialTarget) (err error) {
	defer providercheck.RecoverValidation(ctx, v.log, "the S3 authentication", &err)
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	p, _, err := v.newProbe(ctx, domain.ValidationTarget{StorageType: domain.StorageS3, Endpoint: t.Endpoint, Region: t.Region,
		Credentials: t.Credentials})
	if err != nil {
		return err
	}
	opts := p.options
	opts.UsePathStyle = p.custom
	_, lerr := s3.New(opts).ListBuckets(ctx, &s3.ListBucketsInput{})
	a := classify(lerr)
	switch {
	case a.authenticated():
		return nil
	case !a.answered():
		return domain.Wrap(a.kind, providercheck.Bounded(a.err), p.describe(checkConnect, a))
	}
	return domain.Wrap(a.kind, providercheck.Bounded(a.err), p.describe(checkAuth, a))
}
