package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bucketd/bucketd/domain"
)

// RevalidateInput optionally replaces stored values for one validation; nothing given here is
// stored. Flashback's client sends key, secret, endpoint and bucket this way.
type RevalidateInput struct {
	Key      *domain.Secret
	Secret   *domain.Secret
	Endpoint *string
	Bucket   *string
	// APIKeyID tries a stored credential instead of the bucket's credentials.
	APIKeyID *string
	Mode     domain.ValidationMode
}

// RevalidateResult is a validation of a stored bucket and the status it proves: the bucket's
// status after it, or for a dry run the verdict on the values tried, which is not stored.
type RevalidateResult struct {
	ValidationOutcome
	Status domain.Status
}

// Revalidate runs the provider checks again. With the stored values, the verdict becomes the
// bucket's status (ONLINE, or OFFLINE with the failed check's message, and the time); with
// values that differ from the stored ones the validation is a dry run that leaves the stored
// status alone, because it proved something about other values, and answers its own verdict. (Flashback's client always sends `bucket`; the stored name is no change.)
func (s *Buckets) Revalidate(ctx context.Context, p domain.Principal, bucketID string, in RevalidateInput) (RevalidateResult, error) {
	res, err := s.revalidate(ctx, p, bucketID, in)
	s.logOutcome(ctx, "revalidate bucket", p, bucketID, outcomeOf(res.ValidationOutcome, err),
		slog.String("status", string(res.Status)))
	return res, err
}

func (s *Buckets) revalidate(ctx context.Context, p domain.Principal, bucketID string, in RevalidateInput) (RevalidateResult, error) {
	cur, err := s.getToWrite(ctx, p, bucketID)
	if err != nil {
		return RevalidateResult{}, err
	}
	tried := BucketInput{Bucket: or(in.Bucket, cur.Bucket), StorageType: string(cur.StorageType), Region: cur.Region,
		Endpoint: or(in.Endpoint, cur.Endpoint), Mode: in.Mode, APIKeyID: deref(in.APIKeyID)}
	if in.Key != nil {
		tried.Key = *in.Key
	}
	if in.Secret != nil {
		tried.Secret = *in.Secret
	}
	used, err := s.resolveInput(ctx, p, &tried, cur.WorkspaceID)
	if err != nil {
		return RevalidateResult{}, err
	}
	if used == nil {
		if err := keepCredentialsWhereRegistered(cur, in.Endpoint, nil, in.Key, in.Secret); err != nil {
			return RevalidateResult{}, err
		}
	}
	stored, err := s.credentials(ctx, cur, nil, nil)
	if err != nil {
		return RevalidateResult{}, err
	}
	if used == nil {
		tried.Key, tried.Secret = orSecret(in.Key, stored.Key), orSecret(in.Secret, stored.Secret)
		if cur.CredentialID != "" && in.Key == nil && in.Secret == nil {
			tried.resolved = &stored
		}
	}
	f, err := s.checkFields(tried, nameOptional)
	if err != nil {
		return RevalidateResult{}, err
	}
	// Compared after the field rules trimmed them, so " my-bucket " is no change.
	dryRun := (used != nil && used.stored.ID != cur.CredentialID) || !f.credentials.Key.Equal(stored.Key) ||
		!f.credentials.Secret.Equal(stored.Secret) || f.bucket != cur.Bucket || f.endpoint != cur.Endpoint
	out, err := verdict(f.validate(ctx))
	if err != nil {
		return RevalidateResult{}, err
	}
	status := out.Status()
	if dryRun {
		return RevalidateResult{ValidationOutcome: out, Status: status}, nil
	}
	if err := s.recordStatus(ctx, cur, out.StatusRecord(s.now())); err != nil {
		return RevalidateResult{}, err
	}
	return RevalidateResult{ValidationOutcome: out, Status: status}, nil
}

// recordStatus stores the status a validation of b, as it was read, established, with its
// message. When the row changed meanwhile only in how its credentials are sealed (a master-key
// rotation re-seals every row online), the verdict still holds for the values now stored, so it
// is recorded on the fresh row; any other change makes the verdict stale and is a KindConflict.
func (s *Buckets) recordStatus(ctx context.Context, b domain.Bucket, r domain.StatusRecord) error {
	const attempts = 3
	for range attempts {
		err := s.store.RecordStatus(ctx, b.OrgID, b.ID, b.Version, r)
		if !domain.IsKind(err, domain.KindConflict) {
			if err != nil {
				return fmt.Errorf("record status of bucket %s: %w", b.ID, err)
			}
			return nil
		}
		fresh, ferr := s.store.Get(ctx, b.OrgID, b.ID)
		if ferr != nil {
			return fmt.Errorf("record status of bucket %s: %w", b.ID, ferr)
		}
		same, serr := s.sameProviderValues(ctx, b, fresh)
		if serr != nil {
			return fmt.Errorf("record status of bucket %s: %w", b.ID, serr)
		}
		if !same {
			return fmt.Errorf("record status of bucket %s: %w", b.ID, err)
		}
		b = fresh
	}
	return domain.Errorf(domain.KindConflict, "bucket %s kept changing while its status was recorded; retry", b.ID)
}

// sameProviderValues reports whether two reads of a bucket reach the provider with the same
// values: location and credentials, compared as plaintext because re-sealing changes the bytes.
func (s *Buckets) sameProviderValues(ctx context.Context, a, b domain.Bucket) (bool, error) {
	if a.Bucket != b.Bucket || a.StorageType != b.StorageType || a.Region != b.Region || a.Endpoint != b.Endpoint {
		return false, nil
	}
	if a.CredentialID != "" || b.CredentialID != "" {
		// A stored credential's rotation moves the secret version of every bucket that uses it.
		return a.CredentialID == b.CredentialID && a.CredentialVersion == b.CredentialVersion, nil
	}
	ca, err := s.credentials(ctx, a, nil, nil)
	if err != nil {
		return false, err
	}
	cb, err := s.credentials(ctx, b, nil, nil)
	if err != nil {
		return false, err
	}
	return ca.Key.Equal(cb.Key) && ca.Secret.Equal(cb.Secret), nil
}

// orSecret returns the replacement when one is given, else the current value.
func orSecret(replacement *domain.Secret, current domain.Secret) domain.Secret {
	if replacement != nil {
		return *replacement
	}
	return current
}
