package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// BucketInput is a bucket and its credentials as the caller sent them, to create or to validate:
// fields are trimmed and checked by the use case, so adapters pass them through untouched.
type BucketInput struct {
	Name   string
	Bucket string
	// StorageType is S3, GCS or AZURE; BLOB is accepted as AZURE, and answers spell the
	// bucket's storage type as it was given here.
	StorageType string
	// Kind is the credentials' kind (domain.CredentialKind); empty means a key and a secret.
	// Only a dry run (Validate) takes another: a bucket stores a key and a secret.
	Kind   string
	Key    domain.Secret
	Secret domain.Secret
	// SessionToken is the session token of temporary AWS credentials (AWS_SESSION).
	SessionToken domain.Secret
	// Region may be empty: the validation then learns it from the provider, where it can.
	Region string
	// Endpoint is a custom provider URL; its safety is the validator's SSRF guard's business.
	Endpoint    string
	WorkspaceID string
	// APIKeyID names a stored credential to use instead of Key and Secret.
	APIKeyID string
	// Mode is how far the provider check may go; empty means read-only.
	Mode domain.ValidationMode
	// resolved, when set, are the credentials to check in place of Key and Secret: a stored
	// credential's, opened by the use case.
	resolved *domain.Credentials
}

// CreateResult describes a stored bucket.
type CreateResult struct {
	BucketID string
	Status   domain.Status
	// Validation is the provider check that proved the credentials, with its latency.
	Validation domain.ValidationReport
}

// Create registers a bucket. The checks run from the cheapest to the dearest (field rules; then
// workspace access, quota and name, read in one round trip; then the provider check), so a
// refusal costs as little as possible and a full quota never reaches the provider. Only proven
// credentials are sealed, and the insert re-checks quota and name in its own transaction,
// because the early check can race. A stored bucket's audit event is stored with it; a refused
// create's is recorded afterwards, as every other use case's.
func (s *Buckets) Create(ctx context.Context, p domain.Principal, in BucketInput) (CreateResult, error) {
	start := s.now()
	res, err := s.create(ctx, p, in)
	attrs := []slog.Attr{
		slog.String("workspace_id", in.WorkspaceID),
		slog.String("storage_type", in.StorageType),
		slog.Duration("duration", s.now().Sub(start)),
	}
	s.logOutcome(ctx, "create bucket", p, res.BucketID, err, attrs...)
	return res, err
}

func (s *Buckets) create(ctx context.Context, p domain.Principal, in BucketInput) (CreateResult, error) {
	workspaceID := strings.TrimSpace(in.WorkspaceID)
	if err := requireWorkspaceID(workspaceID); err != nil {
		return CreateResult{}, err
	}
	used, err := s.resolveInput(ctx, p, &in, workspaceID)
	if err != nil {
		return CreateResult{}, err
	}
	f, err := s.checkFields(in, nameRequired)
	if err != nil {
		return CreateResult{}, err
	}
	// A stored credential of any kind may be used; a bucket's own credentials are a key and a secret.
	if used == nil {
		if err := requireStorableKind(f); err != nil {
			return CreateResult{}, err
		}
	}
	if err := s.precheckCreate(ctx, p, workspaceID, f.name); err != nil {
		return CreateResult{}, err
	}
	report, err := f.validate(ctx)
	if err != nil {
		return CreateResult{}, err // already classified by the validator
	}
	id := domain.NewID()
	var sealedKey, sealedSecret []byte
	if used == nil {
		if sealedKey, err = s.seal(ctx, f.credentials.Key, ports.SecretScope{OrgID: p.OrgID, BucketID: id, Field: ports.FieldKey}); err != nil {
			return CreateResult{}, err
		}
		if sealedSecret, err = s.seal(ctx, f.credentials.Secret, ports.SecretScope{OrgID: p.OrgID, BucketID: id, Field: ports.FieldSecret}); err != nil {
			return CreateResult{}, err
		}
	}
	now := s.now()
	b := domain.Bucket{
		ID:                   id,
		OrgID:                p.OrgID,
		WorkspaceID:          workspaceID,
		Name:                 f.name,
		Bucket:               f.bucket,
		StorageType:          f.storageType,
		StorageTypeSpelling:  f.storageTypeSpelling,
		Region:               f.regionAfter(report),
		Endpoint:             f.endpoint,
		KeyHint:              f.credentials.Key.Hint(),
		SecretFingerprint:    s.fingerprint(f.credentials.Secret),
		SecretVersion:        firstSecretVersion,
		CredentialsUpdatedAt: &now,
		CreatedAt:            now,
		UpdatedAt:            now,
		SealedKey:            sealedKey,
		SealedSecret:         sealedSecret,
	}
	b.SetStatus(domain.NewStatusRecord(domain.StatusOnline, "", now))
	if used != nil {
		used.attach(&b)
	}
	created := domain.NewAuditEvent(ctx, now, domain.AuditCreate, p.OrgID, p.UserID, id, nil)
	if err := s.store.InsertWithinQuota(ctx, b, created); err != nil {
		return CreateResult{}, fmt.Errorf("store bucket %s: %w", id, err)
	}
	return CreateResult{BucketID: id, Status: b.Status, Validation: report}, nil
}

// resolveInput opens the stored credential in.APIKeyID names, if any, for a bucket of
// workspaceID ("" for any the caller may use), so that in's checks use it and reach the
// provider at its endpoint; it returns nil when the input carries its own key and secret.
func (s *Buckets) resolveInput(ctx context.Context, p domain.Principal, in *BucketInput, workspaceID string) (*usedCredential, error) {
	in.APIKeyID = strings.TrimSpace(in.APIKeyID)
	if in.APIKeyID == "" {
		return nil, nil
	}
	if err := refuseKeyWithAPIKey(in.APIKeyID, !in.Key.IsZero(), !in.Secret.IsZero()); err != nil {
		return nil, err
	}
	used, err := s.useCredential(ctx, p, in.APIKeyID, workspaceID, in.StorageType, in.Endpoint)
	if err != nil {
		return nil, err
	}
	in.resolved, in.Endpoint = &used.creds, used.stored.Endpoint
	return &used, nil
}

// precheckCreate is the check of a create before any provider traffic, one round trip that
// fails fast: the workspace (the store asked before the principal, as in authorizeWorkspace),
// the quota and the name. InsertWithinQuota repeats the last two under a lock, which is what
// actually guarantees them, and the database holds a bucket's workspace to its organization.
func (s *Buckets) precheckCreate(ctx context.Context, p domain.Principal, workspaceID, name string) error {
	pre, err := s.store.PrecheckCreate(ctx, p.OrgID, workspaceID, name)
	if err != nil {
		return fmt.Errorf("read workspace %q and bucket quota of organization %s: %w", workspaceID, p.OrgID, err)
	}
	if err := mayUseWorkspace(p, workspaceID, pre.WorkspaceInOrg, domain.WorkspaceWrite); err != nil {
		return err
	}
	if err := pre.Quota.Err(); err != nil {
		return err
	}
	if pre.NameTaken {
		return nameTakenError(name)
	}
	return nil
}

// checkNameFree fails fast when a live bucket of the organization already uses name.
func (s *Buckets) checkNameFree(ctx context.Context, orgID, name string) error {
	taken, err := s.store.NameTaken(ctx, orgID, name)
	if err != nil {
		return fmt.Errorf("check bucket name of organization %s: %w", orgID, err)
	}
	if taken {
		return nameTakenError(name)
	}
	return nil
}

func nameTakenError(name string) error {
	return domain.Errorf(domain.KindNameTaken,
		"name %q is already used by another bucket of this organization; choose another name", name)
}

// seal encrypts one credential field bound to where it will be stored.
func (s *Buckets) seal(ctx context.Context, plaintext domain.Secret, scope ports.SecretScope) ([]byte, error) {
	sealed, err := s.vault.Seal(ctx, plaintext, scope)
	if err != nil {
		return nil, fmt.Errorf("seal %s of bucket %s: %w", scope.Field, scope.BucketID, err)
	}
	return sealed, nil
}
