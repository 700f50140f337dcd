package app

import (
	"context"
	"fmt"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// credentialScope binds a sealed value of a stored credential to its organization, its id and
// the field; the fields differ from a bucket's, so the two never open as each other.
func credentialScope(c domain.StoredCredential, field string) ports.SecretScope {
	return ports.SecretScope{OrgID: c.OrgID, BucketID: c.ID, Field: field}
}

// sealCredential seals creds into c, with the key's hint and the secret's fingerprint. Values
// the kind has not are stored empty.
func (s *Buckets) sealCredential(ctx context.Context, c *domain.StoredCredential, creds domain.Credentials) error {
	var err error
	if c.SealedKey, err = s.sealOptional(ctx, creds.Key, credentialScope(*c, ports.FieldCredentialKey)); err != nil {
		return err
	}
	if c.SealedSecret, err = s.sealOptional(ctx, creds.Secret, credentialScope(*c, ports.FieldCredentialSecret)); err != nil {
		return err
	}
	if c.SealedSessionToken, err = s.sealOptional(ctx, creds.SessionToken, credentialScope(*c, ports.FieldCredentialSessionToken)); err != nil {
		return err
	}
	c.KeyHint = creds.Key.Hint()
	c.SecretFingerprint = ""
	if !creds.Secret.IsZero() {
		c.SecretFingerprint = s.fingerprint(creds.Secret)
	}
	return nil
}

// sealOptional seals a value, or stores nothing for an empty one.
func (s *Buckets) sealOptional(ctx context.Context, v domain.Secret, scope ports.SecretScope) ([]byte, error) {
	if v.IsZero() {
		return []byte{}, nil
	}
	sealed, err := s.vault.Seal(ctx, v, scope)
	if err != nil {
		return nil, fmt.Errorf("seal %s of API key %s: %w", scope.Field, scope.BucketID, err)
	}
	return sealed, nil
}

// openCredential opens a stored credential's values, bound to its organization (an AWS role's
// ExternalId: BindOrganization).
func (s *Buckets) openCredential(ctx context.Context, c domain.StoredCredential) (domain.Credentials, error) {
	creds := domain.Credentials{Kind: c.Kind, TenantID: c.TenantID}
	var err error
	if creds.Key, err = s.openOptional(ctx, c.SealedKey, credentialScope(c, ports.FieldCredentialKey)); err != nil {
		return domain.Credentials{}, err
	}
	if creds.Secret, err = s.openOptional(ctx, c.SealedSecret, credentialScope(c, ports.FieldCredentialSecret)); err != nil {
		return domain.Credentials{}, err
	}
	if creds.SessionToken, err = s.openOptional(ctx, c.SealedSessionToken, credentialScope(c, ports.FieldCredentialSessionToken)); err != nil {
		return domain.Credentials{}, err
	}
	return BindOrganization(ctx, s.externalIDs, c.OrgID, creds)
}

func (s *Buckets) openOptional(ctx context.Context, sealed []byte, scope ports.SecretScope) (domain.Secret, error) {
	if len(sealed) == 0 {
		return domain.Secret{}, nil
	}
	v, err := s.vault.Open(ctx, sealed, scope)
	if err != nil {
		return domain.Secret{}, fmt.Errorf("open %s of API key %s: %w", scope.Field, scope.BucketID, err)
	}
	return v, nil
}
