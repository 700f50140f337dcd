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
	Mode        domain.ValidationMode
}

// touchesProvider reports whether the change concerns where or how the provider is reached, so
// that it must be proved before it replaces what works today.
func (in UpdateInput) touchesProvider() bool {
	return in.Bucket != nil || in.StorageType != nil || in.Key != nil || in.Secret != nil ||
		in.Region != nil || in.Endpoint != nil
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

	if err := keepCredentialsWhereRegistered(cur, in.Endpoint, in.StorageType, in.Key, in.Secret); err != nil {
		return UpdateResult{}, err
	}
	creds, err := s.credentials(ctx, cur, in.Key, in.Secret)
	if err != nil {
		return UpdateResult{}, err
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
		Endpoint:    or(in.Endpoint, cur.Endpoint),
		Mode:        in.Mode,
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
	s.replaceCredentials(&next, cur, in.Key, in.Secret, validatedAt)
	next.Status, next.LastStatusAt = domain.StatusOnline, &validatedAt
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
// replaced is opened from the vault.
func (s *Buckets) credentials(ctx context.Context, b domain.Bucket, key, secret *domain.Secret) (domain.Credentials, error) {
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
