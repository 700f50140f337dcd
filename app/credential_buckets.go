package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/bucketd/bucketd/domain"
)

// usedCredential is a stored credential a bucket uses, opened.
type usedCredential struct {
	stored domain.StoredCredential
	creds  domain.Credentials
}

// refuseKeyWithAPIKey refuses a request that names a stored credential and gives a key or a
// secret as well: which one the bucket should use would be a guess.
func refuseKeyWithAPIKey(apiKeyID string, key, secret bool) error {
	if apiKeyID != "" && (key || secret) {
		return domain.Errorf(domain.KindInvalidInput,
			"give either apiKeyUuid or key and secret, not both: apiKeyUuid names stored credentials that replace them")
	}
	return nil
}

// useCredential opens the stored credential apiKeyID for a bucket of workspaceID (or, when
// workspaceID is "", of any workspace p may use) with the given storage type and endpoint. An
// unknown id, another organization's credential and another workspace's all answer the same
// KindInvalidInput, so ids cannot be probed; a credential of another provider, or used at
// another endpoint, is refused naming both.
func (s *Buckets) useCredential(ctx context.Context, p domain.Principal, apiKeyID, workspaceID, storageType, endpoint string) (usedCredential, error) {
	if err := s.requireCredentialStore(); err != nil {
		return usedCredential{}, err
	}
	unknown := domain.Errorf(domain.KindInvalidInput,
		"apiKeyUuid %q is not an API key of this workspace; list them with GET /apikeys?workspaceId=...", apiKeyID)
	if !domain.IsID(apiKeyID) {
		return usedCredential{}, unknown
	}
	c, err := s.credentialStore.GetCredential(ctx, p.OrgID, apiKeyID)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		return usedCredential{}, unknown
	case err != nil:
		return usedCredential{}, fmt.Errorf("read API key %s: %w", apiKeyID, err)
	case workspaceID != "" && c.WorkspaceID != workspaceID, !p.MayUseWorkspace(c.WorkspaceID):
		return usedCredential{}, unknown
	}
	t, err := domain.ParseStorageType(storageType)
	if err != nil {
		return usedCredential{}, err
	}
	if t != c.StorageType {
		return usedCredential{}, domain.Errorf(domain.KindInvalidInput,
			"apiKeyUuid %s is an API key for %s and cannot reach a bucket of storage type %s; use an API key of the bucket's provider", c.ID, c.StorageType, t)
	}
	if e := strings.TrimSpace(endpoint); e != "" && e != c.Endpoint {
		return usedCredential{}, domain.Errorf(domain.KindInvalidInput,
			"endpoint: API key %s is registered for %q and is only ever sent there; leave endpoint out or use that one", c.ID, c.Endpoint)
	}
	creds, err := s.openCredential(ctx, c)
	if err != nil {
		return usedCredential{}, err
	}
	return usedCredential{stored: c, creds: creds}, nil
}

// attach makes b use the credential: no sealed values of its own, the credential's hint and
// fingerprint, and the version it was validated with.
func (u usedCredential) attach(b *domain.Bucket) {
	b.CredentialID, b.CredentialVersion = u.stored.ID, u.stored.SecretVersion
	b.SealedKey, b.SealedSecret = []byte{}, []byte{}
	b.KeyHint, b.SecretFingerprint = u.stored.KeyHint, u.stored.SecretFingerprint
	b.Endpoint = u.stored.Endpoint
}

// bucketCredential opens the stored credential a bucket uses, and its secret version.
func (s *Buckets) bucketCredential(ctx context.Context, b domain.Bucket) (usedCredential, error) {
	if err := s.requireCredentialStore(); err != nil {
		return usedCredential{}, err
	}
	c, err := s.credentialStore.GetCredential(ctx, b.OrgID, b.CredentialID)
	if err != nil {
		return usedCredential{}, fmt.Errorf("read API key %s of bucket %s: %w", b.CredentialID, b.ID, err)
	}
	creds, err := s.openCredential(ctx, c)
	if err != nil {
		return usedCredential{}, err
	}
	return usedCredential{stored: c, creds: creds}, nil
}
