package gcsvalidator

import (
	"cmp"
	"context"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var _ ports.CredentialAuthenticator = (*Validator)(nil)

// Authenticate proves GCS credentials without a bucket: for a key file, the token exchange at
// the configured token endpoint; for an HMAC key, a signed list call through the XML API.
func (v *Validator) Authenticate(ctx context.Context, t domain.CredentialTarget) (err error) {
	defer providercheck.RecoverValidation(ctx, v.log, "the GCS authentication", &err)
	if kind := t.Credentials.Kind.OrDefault(); kind != domain.CredentialKeySecret {
		return domain.Errorf(domain.KindInvalidInput, "credential kind %s cannot be proved by this server's GCS check yet", kind)
	}
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	if isHMACAccessID(t.Credentials.Key.Reveal()) {
		hmac, ok := v.hmac.(ports.CredentialAuthenticator)
		if !ok {
			return domain.Errorf(domain.KindInvalidInput, "GCS HMAC keys are not supported by this server; use a service account key")
		}
		t.StorageType, t.Endpoint = domain.StorageS3, cmp.Or(t.Endpoint, v.apiEndpoint)
		return hmac.Authenticate(ctx, t)
	}
	p, _, err := v.newProbe(domain.ValidationTarget{StorageType: domain.StorageGCS, Endpoint: t.Endpoint, Credentials: t.Credentials})
	if err != nil {
		return err
	}
	if _, a := v.exchange(ctx, p.account, scopeReadOnly); !a.ok() {
		r := newReport()
		p.fail(r, checkAuth, a)
		return r.Failure()
	}
	return nil
}
