package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// UpdateInput lists the fields to change; nil leaves a field as it is.
type UpdateInput struct {
	Name        *string
	Bucket      *string
	StorageType *string
	Key         *domain.Secret
	Secret      *domain.Secret
	// Region "" asks the validation to learn the region from the provider, as a stored empty
	// region does.
	Region *string
	// Endpoint "" removes a custom endpoint.
	Endpoint *string
	// WorkspaceID, when given, must be the bucket's own: buckets do not move.
	WorkspaceID *string
	// APIKeyID, when given, makes the bucket use that stored credential instead of Key and
	// Secret (its own sealed values are dropped).
	APIKeyID *string
	Mode     domain.ValidationMode
}

// touchesProvider reports whether the change concerns where or how the provider is reached, so
// that it must be proved before it replaces what works today.
func (in UpdateInput) touchesProvider() bool {
	return in.Bucket != nil || in.StorageType != nil || in.Key != nil || in.Secret != nil ||
		in.Region != nil || in.Endpoint != nil || in.APIKeyID != nil
}

// UpdateResult describes an updated bucket. Latency is that of the provider validation, zero
// when the change needed none.
type UpdateResult struct {
	BucketID string
	Status   domain.Status
	Latency  time.Duration
}

// Update changes a bucket. A change of credentials or location is merged with the stored values
// and validated against the provider first; only when every check passes does it replace them,
// in one write, so a failed validation changes nothing. A rename alone needs no provider.
func (s *Buckets) Update(ctx context.Context, p domain.Principal, bucketID string, in UpdateInput) (UpdateResult, error) {
	res, err := s.update(ctx, p, bucketID, in)
	s.logOutcome(ctx, "update bucket", p, bucketID, err,
		slog.Bool("validated", in.touchesProvider()), slog.Duration("latency", res.Latency))
	return res, err
}

func (s *Buckets) update(ctx context.Context, p domain.Principal, bucketID string, in UpdateInput) (UpdateResult, error) {
	cur, err := s.getToWrite(ctx, p, bucketID)
	if err != nil {
		return UpdateResult{}, err
	}
	if ws := strings.TrimSpace(deref(in.WorkspaceID)); !noWorkspaceFilter[ws] && ws != cur.WorkspaceID {
		return UpdateResult{}, domain.Errorf(domain.KindInvalidInput,
			"workspaceId: bucket %s belongs to workspace %s and cannot move; leave workspaceId out", cur.ID, cur.WorkspaceID)
	}
	next := cur
	if !in.touchesProvider() {
		if in.Name != nil {
			if next.Name, err = domain.NormalizeName(*in.Name); err != nil {
				return UpdateResult{}, err
			}
		}
		next.UpdatedAt = s.now()
		return UpdateResult{BucketID: cur.ID, Status: cur.Status}, s.store.Update(ctx, next)
	}

	used, err := s.updatedCredential(ctx, p, cur, in)
	if err != nil {
		return UpdateResult{}, err
	}
	var creds domain.Credentials
	if used != nil {
		creds = used.creds
	} else {
		if err := keepCredentialsWhereRegistered(cur, in.Endpoint, in.StorageType, in.Key, in.Secret); err != nil {
			return UpdateResult{}, err
		}
		if creds, err = s.credentials(ctx, cur, in.Key, in.Secret); err != nil {
			return UpdateResult{}, err
		}
	}
	endpoint := or(in.Endpoint, cur.Endpoint)
	if used != nil {
		endpoint = used.stored.Endpoint
	}
	// Only a new name is checked: one stored before the name rules it would break (an invisible
	// character, say) stays usable until it is replaced.
	rule := nameOptional
	if in.Name != nil {
		rule = nameRequired
	}
	f, err := s.checkFields(BucketInput{
		Name:        deref(in.Name),
		Bucket:      or(in.Bucket, cur.Bucket),
		StorageType: or(in.StorageType, string(cur.StorageType)),
		Key:         creds.Key,
		Secret:      creds.Secret,
		Region:      or(in.Region, cur.Region),
		Endpoint:    endpoint,
		Mode:        in.Mode,
		resolved:    resolvedOf(used),
	}, rule)
	if err != nil {
		return UpdateResult{}, err
	}
	if in.Name == nil {
		f.name = cur.Name
	}
	if domain.NameKey(f.name) != domain.NameKey(cur.Name) {
		if err := s.checkNameFree(ctx, p.OrgID, f.name); err != nil {
			return UpdateResult{}, err
		}
	}
	report, err := f.validate(ctx)
	if err != nil {
		return UpdateResult{}, err // already classified; nothing changed
	}
	next.UpdatedAt = s.now()
	next.Name, next.Bucket, next.StorageType = f.name, f.bucket, f.storageType
	if in.StorageType != nil {
		next.StorageTypeSpelling = f.storageTypeSpelling
	}
	next.Region, next.Endpoint, next.KeyHint = f.regionAfter(report), f.endpoint, creds.Key.Hint()
	if in.Key != nil {
		if next.SealedKey, err = s.seal(ctx, creds.Key, scopeOf(cur, ports.FieldKey)); err != nil {
			return UpdateResult{}, err
		}
	}
	if in.Secret != nil {
		if next.SealedSecret, err = s.seal(ctx, creds.Secret, scopeOf(cur, ports.FieldSecret)); err != nil {
			return UpdateResult{}, err
		}
	}
	validatedAt := next.UpdatedAt
	if used != nil {
		s.followCredential(&next, cur, *used, validatedAt)
	} else {
		s.replaceCredentials(&next, cur, in.Key, in.Secret, validatedAt)
		next.CredentialID, next.CredentialVersion = "", 0
	}
	next.SetStatus(domain.NewStatusRecord(domain.StatusOnline, "", validatedAt))
	if err := s.store.Update(ctx, next); err != nil {
		return UpdateResult{}, fmt.Errorf("store bucket %s: %w", cur.ID, err)
	}
	return UpdateResult{BucketID: cur.ID, Status: next.Status, Latency: report.Latency}, nil
}

// keepCredentialsWhereRegistered refuses to send stored credentials anywhere but where they
// were registered: a new endpoint or storage type needs the key and the secret in the same
// request. Otherwise whoever may change a bucket could point it at a server of their own and
// receive a request signed with the stored key, or, for GCS, a working access token.
func keepCredentialsWhereRegistered(cur domain.Bucket, endpoint, storageType *string, key, secret *domain.Secret) error {
	moved := endpoint != nil && strings.TrimSpace(*endpoint) != cur.Endpoint
	if storageType != nil {
		t, err := domain.ParseStorageType(*storageType)
		if err != nil {
			return err
		}
		moved = moved || t != cur.StorageType
	}
	if moved && (key == nil || secret == nil) {
		return domain.Errorf(domain.KindInvalidInput,
			"a new endpoint or storageType needs key and secret in the same request: stored credentials are only ever sent where they were registered")
	}
	return nil
}

// credentials returns the bucket's credentials with the given replacements; only what is not
// replaced is opened from the vault. A bucket that uses a stored credential has only that
// credential's, or else its own key and secret, both given.
func (s *Buckets) credentials(ctx context.Context, b domain.Bucket, key, secret *domain.Secret) (domain.Credentials, error) {
	if b.CredentialID != "" {
		if key != nil && secret != nil {
			return domain.Credentials{Key: *key, Secret: *secret}, nil
		}
		if key != nil || secret != nil {
			return domain.Credentials{}, domain.Errorf(domain.KindInvalidInput,
				"bucket %s uses API key %s: give key and secret together to give it its own, or apiKeyUuid for another API key", b.ID, b.CredentialID)
		}
		used, err := s.bucketCredential(ctx, b)
		return used.creds, err
	}
	var creds domain.Credentials
	var err error
	if key != nil {
		creds.Key = *key
	} else if creds.Key, err = s.vault.Open(ctx, b.SealedKey, scopeOf(b, ports.FieldKey)); err != nil {
		return domain.Credentials{}, fmt.Errorf("open key of bucket %s: %w", b.ID, err)
	}
	if secret != nil {
		creds.Secret = *secret
	} else if creds.Secret, err = s.vault.Open(ctx, b.SealedSecret, scopeOf(b, ports.FieldSecret)); err != nil {
		return domain.Credentials{}, fmt.Errorf("open secret of bucket %s: %w", b.ID, err)
	}
	return creds, nil
}

// scopeOf is where a sealed field of b is bound to.
func scopeOf(b domain.Bucket, field string) ports.SecretScope {
	return ports.SecretScope{OrgID: b.OrgID, BucketID: b.ID, Field: field}
}

// or returns the replacement when one is given, else the current value.
func or(replacement *string, current string) string {
	if replacement != nil {
		return *replacement
	}
	return current
}

// deref reads an optional field; absent and empty mean the same.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// updatedCredential is the stored credential an update makes the bucket use: the one
// in.APIKeyID names, or the one it uses already when the update brings no key or secret of its
// own; nil when the bucket has (or gets) its own.
func (s *Buckets) updatedCredential(ctx context.Context, p domain.Principal, cur domain.Bucket, in UpdateInput) (*usedCredential, error) {
	apiKeyID := strings.TrimSpace(deref(in.APIKeyID))
	if err := refuseKeyWithAPIKey(apiKeyID, in.Key != nil, in.Secret != nil); err != nil {
		return nil, err
	}
	storageType := or(in.StorageType, string(cur.StorageType))
	switch {
	case apiKeyID != "":
		used, err := s.useCredential(ctx, p, apiKeyID, cur.WorkspaceID, storageType, deref(in.Endpoint))
		return &used, err
	case cur.CredentialID == "" || in.Key != nil || in.Secret != nil:
		return nil, nil
	}
	// The bucket keeps its credential, which is only ever sent where it was registered.
	used, err := s.useCredential(ctx, p, cur.CredentialID, cur.WorkspaceID, storageType, or(in.Endpoint, cur.Endpoint))
	return &used, err
}

// resolvedOf is the credentials a stored credential gives a bucket's checks, nil for none.
func resolvedOf(used *usedCredential) *domain.Credentials {
	if used == nil {
		return nil
	}
	return &used.creds
}

// followCredential records on next that it uses the stored credential, proved at at: the secret
// version moves on when the credential or its secret is another than before.
func (s *Buckets) followCredential(next *domain.Bucket, cur domain.Bucket, used usedCredential, at time.Time) {
	used.attach(next)
	if cur.CredentialID != used.stored.ID || cur.CredentialVersion != used.stored.SecretVersion {
		next.SecretVersion = max(cur.SecretVersion, firstSecretVersion) + 1
		next.CredentialsUpdatedAt = &at
	}
}
