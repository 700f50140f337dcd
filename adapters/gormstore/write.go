package gormstore

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
)

// Update replaces the mutable fields of the live bucket b.ID of organization b.OrgID (name,
// provider bucket, storage type, region, endpoint, key hint, sealed credentials, secret
// fingerprint and version, credentials time, status, its message and last status time) in one
// UPDATE, and sets updated_at to b.UpdatedAt, or to now when that is zero. The workspace and
// the creation time never change.
//
// The UPDATE matches only while the row is still at b.Version, and moves it to the next
// version, so of two updates made from one read exactly one lands: the database decides, across
// any number of processes. When nothing matched, a second query tells the two reasons apart: a
// live bucket of the organization that is at another version is KindConflict; a missing,
// deleted or foreign bucket is KindNotFound, so a conflict never reveals another organization's
// bucket. A name whose key (domain.NameKey) another live bucket of the organization has is a
// KindNameTaken error (the unique index decides, so a concurrent rename cannot slip past); a
// name with the key of the bucket's own, such as a new case of it, is fine.
//
// An update that keeps the display name exactly keeps the stored key and its suffix too: a
// bucket whose name already collided with another's when keys were first computed stays usable
// under its name, and a rename gives it the plain key of the new name.
func (s *Store) Update(ctx context.Context, b domain.Bucket) error {
	if !domain.IsID(b.OrgID) || !domain.IsID(b.ID) {
		return bucketNotFound(b.ID)
	}
	updated := b.UpdatedAt
	if updated.IsZero() {
		updated = time.Now()
	}
	// The CASEs compare with the name the row had: SET expressions read the row as it was before
	// the UPDATE, in both databases.
	err := s.updateVersion(ctx, "update bucket", b.OrgID, b.ID, b.Version, map[string]any{
		"name":                   b.Name,
		"name_key":               gorm.Expr("CASE WHEN name = ? THEN name_key ELSE ? END", b.Name, domain.NameKey(b.Name)),
		"name_key_suffix":        gorm.Expr("CASE WHEN name = ? THEN name_key_suffix ELSE '' END", b.Name),
		"bucket":                 b.Bucket,
		"storage_type":           string(b.StorageType),
		"storage_type_spelling":  b.StorageTypeSpelling,
		"region":                 b.Region,
		"endpoint":               b.Endpoint,
		"key_hint":               b.KeyHint,
		"sealed_key":             b.SealedKey,
		"sealed_secret":          b.SealedSecret,
		"status":                 string(b.Status),
		"status_message":         nullIfEmpty(b.StatusMessage),
		"last_status_at":         utcPtr(b.LastStatusAt),
		"updated_at":             updated.UTC(),
		"secret_fingerprint":     nullIfEmpty(b.SecretFingerprint),
		"secret_version":         b.SecretVersion,
		"credentials_updated_at": utcPtr(b.CredentialsUpdatedAt),
		"credential_id":          nullIfEmpty(canonicalID(b.CredentialID)),
		"credential_version":     credentialVersionOf(b),
	})
	switch {
	case violatesUnique(err, indexBucketName):
		return nameTakenError(b.Name)
	case violatesCurrentCredential(err):
		return credentialChangedError(b.CredentialID)
	}
	return err
}

// updateVersion sets columns of a live bucket of the organization if it is still at version,
// moving it to the next one. A live bucket at another version is KindConflict: someone wrote
// it since the caller read it. No live bucket is KindNotFound. A unique-index violation comes
// back unwrapped, for the caller to recognise.
func (s *Store) updateVersion(ctx context.Context, op, orgID, bucketID string, version int64, columns map[string]any) error {
	matched, err := updateToNextVersion(s.liveBucket(ctx, orgID, bucketID).Where("version = ?", version), columns)
	switch {
	case violatesUnique(err, indexBucketName), violatesCurrentCredential(err):
		return err
	case err != nil:
		return wrap(op, err)
	case matched:
		return nil
	}
	var live int64
	if err := s.liveBucket(ctx, orgID, bucketID).Count(&live).Error; err != nil {
		return wrap(op+": look for a newer version", err)
	}
	if live == 0 {
		return bucketNotFound(bucketID)
	}
	return domain.Errorf(domain.KindConflict, "bucket %s changed while this request ran; read it again and retry", bucketID)
}

// Delete soft-deletes a live bucket: deleted_at (and updated_at) become at. The bucket's name
// and its slot in the quota are free at once, because the unique name index and the quota
// count only see live rows. Deleting it again is KindNotFound. Delete checks no version: a
// deleted bucket is gone whatever was written to it before.
func (s *Store) Delete(ctx context.Context, orgID, bucketID string, at time.Time) error {
	if !domain.IsID(orgID) || !domain.IsID(bucketID) {
		return bucketNotFound(bucketID)
	}
	at = at.UTC()
	return s.updateLive(ctx, "delete bucket", orgID, bucketID, map[string]any{"deleted_at": at, "updated_at": at})
}

// RecordStatus stores the outcome of a re-validation of the bucket as it was at version: the
// status, its message (NULL when empty) and when it was observed; a bucket written since is
// KindConflict, nothing stored. updated_at stays as it is, because it records changes a caller
// made, not observations. The row still moves to its next version, so an update that read the
// previous status fails with KindConflict instead of writing that status back.
func (s *Store) RecordStatus(ctx context.Context, orgID, bucketID string, version int64, r domain.StatusRecord) error {
	if !domain.IsID(orgID) || !domain.IsID(bucketID) {
		return bucketNotFound(bucketID)
	}
	return s.updateVersion(ctx, "record bucket status", orgID, bucketID, version, map[string]any{
		"status": string(r.Status), "status_message": nullIfEmpty(r.Message), "last_status_at": r.At.UTC(),
	})
}

// updateToNextVersion sets columns of the rows scope selects and moves each to its next
// version, in a single UPDATE, and reports whether a row matched. The database error, if any,
// is returned as it is, for the caller to match with violatesUnique and wrap.
func updateToNextVersion(scope *gorm.DB, columns map[string]any) (matched bool, err error) {
	columns["version"] = gorm.Expr("version + 1")
	res := scope.Updates(columns)
	return res.RowsAffected > 0, res.Error
}

// updateLive is updateToNextVersion on one live bucket of the organization whatever its
// version, and returns KindNotFound when no such bucket exists.
func (s *Store) updateLive(ctx context.Context, op, orgID, bucketID string, columns map[string]any) error {
	matched, err := updateToNextVersion(s.liveBucket(ctx, orgID, bucketID), columns)
	switch {
	case err != nil:
		return wrap(op, err)
	case !matched:
		return bucketNotFound(bucketID)
	}
	return nil
}
