package app

import (
	"context"

	"github.com/bucketd/bucketd/domain"
)

// Delete soft-deletes a bucket, which frees its name and its place in the quota at once.
func (s *Buckets) Delete(ctx context.Context, p domain.Principal, bucketID string) error {
	b, err := s.getToWrite(ctx, p, bucketID)
	if err == nil {
		err = s.store.Delete(ctx, p.OrgID, b.ID, s.now())
	}
	s.logOutcome(ctx, "delete bucket", p, bucketID, err)
	return err
}
