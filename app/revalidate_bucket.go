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
	Mode     domain.ValidationMode
}

// RevalidateResult is a validation of a stored bucket and the bucket's status after it.
type RevalidateResult struct {
	ValidationOutcome
	Status domain.Status
}

// Revalidate runs the provider checks again. With the stored values, the verdict becomes the
// bucket's status (ONLINE or OFFLINE, with the time); with values that differ from the stored
// ones the validation is a dry run that leaves the status alone, because it proved something
// about other values. (Flashback's client always sends `bucket`; the stored name is no change.)
func (s *Buckets) Revalidate(ctx context.Context, p domain.Principal, bucketID string, in RevalidateInput) (RevalidateResult, error) {
	res, err := s.revalidate(ctx, p, bucketID, in)
	s.logOutcome(ctx, "revalidate bucket", err, slog.String("org_id", p.OrgID), slog.String("bucket_id", bucketID),
		slog.String("status", string(res.Status)))
	return res, err
}

func (s *Buckets) revalidate(ctx context.Context, p domain.Principal, bucketID string, in RevalidateInput) (RevalidateResult, error) {
	cur, err := s.Get(ctx, p, bucketID)
	if err != nil {
		return RevalidateResult{}, err
	}
	if err := keepCredentialsWhereRegistered(cur, in.Endpoint, nil, in.Key, in.Secret); err != nil {
		return RevalidateResult{}, err
	}
	stored, err := s.credentials(ctx, cur, nil, nil)
	if err != nil {
		return RevalidateResult{}, err
	}
	f, err := s.checkFields(BucketInput{
		Bucket:      or(in.Bucket, cur.Bucket),
		StorageType: string(cur.StorageType),
		Key:         orSecret(in.Key, stored.Key),
		Secret:      orSecret(in.Secret, stored.Secret),
		Region:      cur.Region,
		Endpoint:    or(in.Endpoint, cur.Endpoint),
		Mode:        in.Mode,
	}, nameOptional)
	if err != nil {
		return RevalidateResult{}, err
	}
	// Compared after the field rules trimmed them, so " my-bucket " is no change.
	dryRun := !f.credentials.Key.Equal(stored.Key) || !f.credentials.Secret.Equal(stored.Secret) ||
		f.bucket != cur.Bucket || f.endpoint != cur.Endpoint
	out, err := verdict(f.validator.Validate(ctx, f.target()))
	if err != nil {
		return RevalidateResult{}, err
	}
	if dryRun {
		return RevalidateResult{ValidationOutcome: out, Status: cur.Status}, nil
	}
	status := statusOf(out)
	if err := s.recordStatus(ctx, cur, status); err != nil {
		return RevalidateResult{}, err
	}
	return RevalidateResult{ValidationOutcome: out, Status: status}, nil
}

// statusOf is the status a validation of the stored credentials proves.
func statusOf(out ValidationOutcome) domain.Status {
	if out.Failure != nil {
		return domain.StatusOffline
	}
	return domain.StatusOnline
}

// recordStatus stores the status a validation of b, as it was read, established.
func (s *Buckets) recordStatus(ctx context.Context, b domain.Bucket, status domain.Status) error {
	if err := s.writer.RecordStatus(ctx, b.OrgID, b.ID, b.Version, status, s.now()); err != nil {
		return fmt.Errorf("record status of bucket %s: %w", b.ID, err)
	}
	return nil
}

// orSecret returns the replacement when one is given, else the current value.
func orSecret(replacement *domain.Secret, current domain.Secret) domain.Secret {
	if replacement != nil {
		return *replacement
	}
	return current
}
