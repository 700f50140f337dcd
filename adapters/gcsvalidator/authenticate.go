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
// the configured token endpoint; for an HMAC key, a signed list call through the XML API; for
// GCS_IMPERSONATION, a token for the target account minted through the IAM Credentials API with
// bucketd's own identity (the mint is what Google decides about the impersonation; a token
// minted for an earlier validation and not yet near its expiry is that same proof, so the
// cache answers while it holds one).
func (v *Validator) Authenticate(ctx context.Context, t domain.CredentialTarget) (err error) {
	defer providercheck.RecoverValidation(ctx, v.log, "the GCS authentication", &err)
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	if t.Credentials.Kind.OrDefault() == domain.CredentialKeySecret && isHMACAccessID(t.Credentials.Key.Reveal()) {
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
	a := v.authenticateAccount(ctx, p)
	if !a.ok() {
		r := newReport()
		p.fail(r, checkAuth, a)
		return r.Failure()
	}
	return nil
}

// authenticateAccount asks Google for a read-only token of the probe's account: minted through
// IAM Credentials for an impersonated account, exchanged for its key otherwise.
func (v *Validator) authenticateAccount(ctx context.Context, p *probe) answer {
	if p.impersonated {
		_, _, a := v.impersonatedToken(ctx, p.account, scopeReadOnly)
		return a
	}
	_, a := v.exchange(ctx, p.account, scopeReadOnly)
	return a
}
