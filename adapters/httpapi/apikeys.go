package httpapi

import (
	"context"
	"errors"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
)

// CredentialService is the part of the application the /apikeys routes drive (app.Buckets).
type CredentialService interface {
	ListCredentials(ctx context.Context, p domain.Principal, in app.CredentialListInput) ([]domain.StoredCredential, error)
	CreateCredential(ctx context.Context, p domain.Principal, in app.CredentialInput) (domain.StoredCredential, error)
	UpdateCredential(ctx context.Context, p domain.Principal, credentialID string, in app.CredentialUpdate) error
	DeleteCredential(ctx context.Context, p domain.Principal, credentialID string) error
}

// storageCapability is Flashback's ProviderCapability.Storage bit: every API key bucketd keeps
// is a storage credential.
const storageCapability = 0x1

// ListApiKeys answers the caller's stored credentials (GET /apikeys).
func (s *Server) ListApiKeys(ctx context.Context, req api.ListApiKeysRequestObject) (api.ListApiKeysResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	creds, err := s.credentials.ListCredentials(ctx, p, app.CredentialListInput{
		WorkspaceID: deref(req.Params.WorkspaceId), Provider: deref(req.Params.Provider)})
	if err != nil {
		return nil, err
	}
	out := api.ListApiKeys200JSONResponse{Success: true, ApiKeys: make([]api.ApiKey, 0, len(creds))}
	if c := req.Params.Capability; c != nil && *c&storageCapability == 0 {
		return out, nil
	}
	for _, c := range creds {
		out.ApiKeys = append(out.ApiKeys, apiKeyOf(c))
	}
	return out, nil
}

// CreateApiKey registers a stored credential (POST /apikeys).
func (s *Server) CreateApiKey(ctx context.Context, req api.CreateApiKeyRequestObject) (api.CreateApiKeyResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c, err := s.credentials.CreateCredential(ctx, p, app.CredentialInput{
		WorkspaceID:  b.WorkspaceId,
		Provider:     b.Provider,
		Kind:         string(deref(b.Kind)),
		Key:          domain.NewSecret(b.Key),
		Secret:       domain.NewSecret(deref(b.Secret)),
		SessionToken: domain.NewSecret(deref(b.SessionToken)),
		Endpoint:     deref(b.Endpoint),
		Region:       string(deref(b.Region)),
		TenantID:     deref(b.TenantId),
		Description:  deref(b.Description),
	})
	if err != nil {
		return nil, err
	}
	return api.CreateApiKey200JSONResponse{Success: true, ApiKeyId: c.ID}, nil
}

// UpdateApiKey changes or rotates a stored credential (PUT /apikeys/{apiKeyId}); a refused
// rotation answers 409 with the buckets that failed.
func (s *Server) UpdateApiKey(ctx context.Context, req api.UpdateApiKeyRequestObject) (api.UpdateApiKeyResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	err = s.credentials.UpdateCredential(ctx, p, req.ApiKeyId, app.CredentialUpdate{
		Provider:     b.Provider,
		Key:          secretOf(b.Key),
		Secret:       secretOf(b.Secret),
		SessionToken: secretOf(b.SessionToken),
		Endpoint:     b.Endpoint,
		Region:       b.Region,
		TenantID:     b.TenantId,
		Description:  b.Description,
	})
	var refused *app.RotationRefused
	if errors.As(err, &refused) {
		s.metrics.countRefusal(rotationRefusedCode)
		return rotationRefusedOf(refused), nil
	}
	if err != nil {
		return nil, err
	}
	return api.UpdateApiKey200JSONResponse{Success: true}, nil
}

// DeleteApiKey deletes an unused stored credential (DELETE /apikeys/{apiKeyId}).
func (s *Server) DeleteApiKey(ctx context.Context, req api.DeleteApiKeyRequestObject) (api.DeleteApiKeyResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.credentials.DeleteCredential(ctx, p, req.ApiKeyId); err != nil {
		return nil, err
	}
	return api.DeleteApiKey200JSONResponse{Success: true}, nil
}

// rotationRefusedCode is the code of a refused rotation, as the error table maps its kind.
var rotationRefusedCode = ErrorCode(domain.KindRotationRefused)

// rotationRefusedOf renders a refused rotation: the error answer, with each failed bucket.
func rotationRefusedOf(r *app.RotationRefused) api.UpdateApiKey409JSONResponse {
	failed := make([]api.RotationFailure, len(r.Failures))
	for i, f := range r.Failures {
		failed[i] = api.RotationFailure{BucketId: f.BucketID, Name: f.Name, Code: ErrorCode(f.Failure.Kind), Message: f.Failure.Message}
	}
	var de *domain.Error
	errors.As(r, &de)
	return api.UpdateApiKey409JSONResponse{Success: false, Code: rotationRefusedCode, Message: de.Message, FailedBuckets: &failed}
}

// apiKeyOf renders a stored credential in Flashback's ProviderApiKeyDTO shape: the key only as
// its hint, the secret never.
func apiKeyOf(c domain.StoredCredential) api.ApiKey {
	return api.ApiKey{
		Id:                c.ID,
		Key:               c.KeyHint,
		KeyHint:           c.KeyHint,
		SecretFingerprint: nonEmpty(c.SecretFingerprint),
		SecretVersion:     max(c.SecretVersion, 1),
		Provider:          c.ProviderSpelling,
		Kind:              api.CredentialKind(c.Kind.OrDefault()),
		Endpoint:          nonEmpty(c.Endpoint),
		Region:            nonEmpty(c.Region),
		TenantId:          nonEmpty(c.TenantID),
		Description:       nonEmpty(c.Description),
		WorkspaceId:       c.WorkspaceID,
		CreatedAt:         c.CreatedAt,
		UpdatedAt:         c.UpdatedAt,
		BucketCount:       c.BucketCount,
	}
}

// requireCredentials refuses a create or dry run that names neither a stored credential nor
// its own key and secret, as the contract refuses a missing field: the schema cannot say
// "required unless apiKeyUuid is given" without making the SDKs' request types unusable. An
// empty value counts as missing, as a client with plain string fields sends one. kind is the
// credentials' kind: one without a secret (an AWS role) needs none.
func requireCredentials(key, secret string, kind domain.CredentialKind, apiKeyUUID *string) error {
	if deref(apiKeyUUID) != "" {
		return nil
	}
	for _, f := range []struct{ name, value string }{{"key", key}, {"secret", secret}} {
		if f.value == "" && (f.name == "key" || kind.HasSecret()) {
			return domain.Errorf(domain.KindInvalidInput,
				"invalid request body at %q: property %q is missing; give key and secret, or apiKeyUuid (a stored credential)", f.name, f.name)
		}
	}
	return nil
}
