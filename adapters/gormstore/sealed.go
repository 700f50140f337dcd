package gormstore

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var _ ports.SealedCredentials = (*Store)(nil)

// sealedRow is what master key rotation reads of a bucket: where its ciphertexts are bound
// (organization and bucket id), the ciphertexts, and the version they were read at.
type sealedRow struct {
	ID           string `gorm:"column:id"`
	OrgID        string `gorm:"column:org_id"`
	Version      int64  `gorm:"column:version"`
	SealedKey    []byte `gorm:"column:sealed_key"`
	SealedSecret []byte `gorm:"column:sealed_secret"`
}

func (r sealedRow) toRecord() ports.SealedRecord {
	return ports.SealedRecord{OrgID: r.OrgID, BucketID: r.ID, Version: r.Version, SealedKey: r.SealedKey, SealedSecret: r.SealedSecret}
}

// anyBucket selects the sealed columns of buckets of every organization, deleted ones included:
// rotation must reach every ciphertext the table holds, and nothing else.
func (s *Store) anyBucket(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table(tableBuckets).Select("id, org_id, version, sealed_key, sealed_secret")
}

// SealedBatch returns up to limit buckets of any organization, live or deleted, with an id
// greater than afterID ("" for the first batch), in id order. PostgreSQL orders uuids as SQLite
// orders their lowercase text, so both walk the same way.
func (s *Store) SealedBatch(ctx context.Context, afterID string, limit int) ([]ports.SealedRecord, error) {
	if limit < 1 {
		return nil, domain.Errorf(domain.KindInvalidInput, "batch size %d is out of range; use 1 or more", limit)
	}
	query := s.anyBucket(ctx)
	if afterID != "" {
		if !domain.IsID(afterID) {
			return nil, domain.Errorf(domain.KindInvalidInput,
				"%q is not a bucket id; continue after the last bucket id of the previous batch, or from none", afterID)
		}
		query = query.Where("id > ?", canonicalID(afterID))
	}
	var rows []sealedRow
	if err := query.Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, wrap("read a batch of sealed credentials", err)
	}
	records := make([]ports.SealedRecord, len(rows))
	for i, row := range rows {
		records[i] = row.toRecord()
	}
	return records, nil
}

// ReadSealed returns the sealed credentials of a bucket of any organization, live or deleted.
func (s *Store) ReadSealed(ctx context.Context, bucketID string) (ports.SealedRecord, error) {
	if !domain.IsID(bucketID) {
		return ports.SealedRecord{}, resealedBucketGone(bucketID)
	}
	var row sealedRow
	err := s.anyBucket(ctx).Where("id = ?", canonicalID(bucketID)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ports.SealedRecord{}, resealedBucketGone(bucketID)
	}
	if err != nil {
		return ports.SealedRecord{}, wrap("read sealed credentials", err)
	}
	return row.toRecord(), nil
}

// Reseal stores ciphertexts that the vault re-sealed under another master key, if the bucket
// is still at rec.Version, and moves it to the next version: a concurrent update that read the
// old ciphertexts then fails its own version check instead of writing them back. updated_at
// stays as it is, because the credentials themselves did not change. Empty ciphertexts are
// refused: they would erase the credentials.
func (s *Store) Reseal(ctx context.Context, rec ports.SealedRecord, key, secret []byte) error {
	if len(key) == 0 || len(secret) == 0 {
		return errors.New("re-seal credentials: refusing to store an empty sealed key or secret")
	}
	if !domain.IsID(rec.BucketID) || !domain.IsID(rec.OrgID) {
		return resealedBucketGone(rec.BucketID)
	}
	// A new statement each time: a GORM chain must not be reused once it has run.
	bucket := func() *gorm.DB {
		return s.db.WithContext(ctx).Table(tableBuckets).
			Where("id = ? AND org_id = ?", canonicalID(rec.BucketID), canonicalID(rec.OrgID))
	}
	matched, err := updateToNextVersion(bucket().Where("version = ?", rec.Version),
		map[string]any{"sealed_key": key, "sealed_secret": secret})
	switch {
	case err != nil:
		return wrap("re-seal credentials", err)
	case matched:
		return nil
	}
	var exists int64
	if err := bucket().Count(&exists).Error; err != nil {
		return wrap("re-seal credentials: look for a newer version", err)
	}
	if exists == 0 {
		return resealedBucketGone(rec.BucketID)
	}
	return domain.Errorf(domain.KindConflict,
		"bucket %s changed after its credentials were read for re-sealing; read them again and retry", rec.BucketID)
}

func resealedBucketGone(bucketID string) error {
	return domain.Errorf(domain.KindNotFound, "bucket %q does not exist (any more)", bucketID)
}
