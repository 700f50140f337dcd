package gormstore

import (
	"context"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// Update replaces the mutable fields of the live bucket b.ID of organization b.OrgID (name,
// provider bucket, storage type, region, endpoint, key hint, sealed credentials, status and
// last status time) in one UPDATE, and sets updated_at to b.UpdatedAt, or to now when that is
// zero. The workspace and the creation time never change. A name another live bucket of the
// organization uses, in any case, is a KindNameTaken error (the unique index decides, so a
// concurrent rename cannot slip past); a new case of the bucket's own name is fine. A missing,
// deleted or foreign bucket is KindNotFound.
func (s *Store) Update(ctx context.Context, b domain.Bucket) error {
	if !domain.IsID(b.OrgID) || !domain.IsID(b.ID) {
		return bucketNotFound(b.ID)
	}
	updated := b.UpdatedAt
	if updated.IsZero() {
		updated = time.Now()
	}
	err := s.updateLive(ctx, "update bucket", b.OrgID, b.ID, map[string]any{
		"name":           b.Name,
		"bucket":         b.Bucket,
		"storage_type":   string(b.StorageType),
		"region":         b.Region,
		"endpoint":       b.Endpoint,
		"key_hint":       b.KeyHint,
		"sealed_key":     b.SealedKey,
		"sealed_secret":  b.SealedSecret,
		"status":         string(b.Status),
		"last_status_at": utcPtr(b.LastStatusAt),
		"updated_at":     updated.UTC(),
	})
	if violatesUnique(err, indexBucketName) {
		return nameTakenError(b.Name)
	}
	return err
}

// Delete soft-deletes a live bucket: deleted_at (and updated_at) become at. The bucket's name
// and its slot in the quota are free at once, because the unique name index and the quota
// count only see live rows. Deleting it again is KindNotFound.
func (s *Store) Delete(ctx context.Context, orgID, bucketID string, at time.Time) error {
	if !domain.IsID(orgID) || !domain.IsID(bucketID) {
		return bucketNotFound(bucketID)
	}
	at = at.UTC()
	return s.updateLive(ctx, "delete bucket", orgID, bucketID, map[string]any{"deleted_at": at, "updated_at": at})
}

// RecordStatus stores the outcome of a re-validation: the status and when it was observed.
// updated_at stays as it is, because it records changes a caller made, not observations.
func (s *Store) RecordStatus(ctx context.Context, orgID, bucketID string, status domain.Status, at time.Time) error {
	if !domain.IsID(orgID) || !domain.IsID(bucketID) {
		return bucketNotFound(bucketID)
	}
	return s.updateLive(ctx, "record bucket status", orgID, bucketID, map[string]any{"status": string(status), "last_status_at": at.UTC()})
}

// updateLive sets columns of one live bucket of the organization in a single UPDATE, and
// returns KindNotFound when no such bucket exists. The database error, if any, is wrapped but
// still matchable with violatesUnique. It names the table rather than the row type so that GORM
// writes exactly these columns and never adds its own updated_at.
func (s *Store) updateLive(ctx context.Context, op, orgID, bucketID string, columns map[string]any) error {
	res := s.db.WithContext(ctx).Table(tableBuckets).
		Where(liveBucketOfOrg, canonicalID(bucketID), canonicalID(orgID)).
		Updates(columns)
	if res.Error != nil {
		return wrap(op, res.Error)
	}
	if res.RowsAffected == 0 {
		return bucketNotFound(bucketID)
	}
	return nil
}
