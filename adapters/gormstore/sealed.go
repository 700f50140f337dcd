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
// (organization and bucket id), the ciphertexts, the fingerprint of the secret (NULL when it
// has none), and the version they were read at.
type sealedRow struct {
	ID                string  `gorm:"column:id"`
	OrgID             string  `gorm:"column:org_id"`
	Version           int64   `gorm:"column:version"`
	SealedKey         []byte  `gorm:"column:sealed_key"`
	SealedSecret      []byte  `gorm:"column:sealed_secret"`
	SecretFingerprint *string `gorm:"column:secret_fingerprint"`
}

func (r sealedRow) toRecord() ports.SealedRecord {
	return ports.SealedRecord{OrgID: r.OrgID, BucketID: r.ID, Version: r.Version, SealedKey: r.SealedKey, SealedSecret: r.SealedSecret,
		SecretFingerprint: derefOrEmpty(r.SecretFingerprint)}
}

// anyBucket selects the sealed columns of buckets of every organization, deleted ones included:
// rotation must reach every ciphertext the table holds, and every missing fingerprint, and
// nothing else. A bucket that uses a stored credential has no ciphertext of its own, so the
// walk passes it by.
func (s *Store) anyBucket(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table(tableBuckets).Select("id, org_id, version, sealed_key, sealed_secret, secret_fingerprint").
		Where("credential_id IS NULL")
}

// SealedBatch returns up to limit buckets of any organization, live or deleted, with an id
// greater than afterID ("" for the first batch), in id order. PostgreSQL orders uuids as SQLite
// orders their lowercase text, so both walk the same way.
func (s *Store) SealedBatch(ctx context.Context, afterID string, limit int) ([]ports.SealedRecord, error) {
	return sealedPage(s.anyBucket(ctx), afterID, limit, "bucket", sealedRow.toRecord)
}

// ReadSealed returns the sealed credentials of a bucket of any organization, live or deleted.
func (s *Store) ReadSealed(ctx context.Context, bucketID string) (ports.SealedRecord, error) {
	return sealedOne(s.anyBucket(ctx), bucketID, resealedBucketGone, sealedRow.toRecord)
}

// sealedPage reads up to limit rows of query, typed Row, with an id greater than afterID ("" for
// the first page), in id order, and makes a record of each; noun names what an id is of.
func sealedPage[Row, Record any](query *gorm.DB, afterID string, limit int, noun string, record func(Row) Record) ([]Record, error) {
	if limit < 1 {
		return nil, domain.Errorf(domain.KindInvalidInput, "batch size %d is out of range; use 1 or more", limit)
	}
	if afterID != "" {
		if !domain.IsID(afterID) {
			return nil, domain.Errorf(domain.KindInvalidInput,
				"%q is not the id of any %s; continue after the last id of the previous batch, or from none", afterID, noun)
		}
		query = query.Where("id > ?", canonicalID(afterID))
	}
	var rows []Row
	if err := query.Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, wrap("read a batch of sealed "+noun+"s", err)
	}
	records := make([]Record, len(rows))
	for i, row := range rows {
		records[i] = record(row)
	}
	return records, nil
}

// sealedOne reads the row of query with the given id, typed Row, as a record, or gone's error.
func sealedOne[Row, Record any](query *gorm.DB, id string, gone func(string) error, record func(Row) Record) (Record, error) {
	var (
		row  Row
		zero Record
	)
	if !domain.IsID(id) {
		return zero, gone(id)
	}
	err := query.Where("id = ?", canonicalID(id)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return zero, gone(id)
	}
	if err != nil {
		return zero, wrap("read sealed values", err)
	}
	return record(row), nil
}

// Reseal stores ciphertexts that the vault re-sealed under another master key, and the
// fingerprint of a secret that had none, if the bucket is still at rec.Version, and moves it to
// the next version: a concurrent update that read the bucket before then fails its own version
// check instead of writing back the old ciphertexts or the missing fingerprint. updated_at,
// secret_version and credentials_updated_at stay as they are, because the credentials
// themselves did not change. A fingerprint is written only where none is stored, so it is
// filled in, never replaced. Empty ciphertexts are refused: they would erase the credentials.
func (s *Store) Reseal(ctx context.Context, rec ports.SealedRecord, next ports.Resealed) error {
	if len(next.SealedKey) == 0 || len(next.SealedSecret) == 0 {
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
	columns := map[string]any{"sealed_key": next.SealedKey, "sealed_secret": next.SealedSecret}
	current := bucket().Where("version = ?", rec.Version)
	if next.SecretFingerprint != "" {
		columns["secret_fingerprint"] = next.SecretFingerprint
		current = current.Where("secret_fingerprint IS NULL")
	}
	matched, err := updateToNextVersion(current, columns)
	switch {
	case err != nil:
		return wrap("re-seal credentials", err)
	case matched:
		return nil
	}
	changed := "changed after its credentials were read for re-sealing"
	if next.SecretFingerprint != "" {
		changed += ", or has a secret fingerprint already"
	}
	return resealMissed(bucket(), resealedBucketGone(rec.BucketID),
		domain.Errorf(domain.KindConflict, "bucket %s %s; read them again and retry", rec.BucketID, changed))
}

// resealMissed says why a re-seal matched no row: row, which selects the row whatever its
// version, finds none (gone), or it was written meanwhile (changed).
func resealMissed(row *gorm.DB, gone, changed error) error {
	var exists int64
	if err := row.Count(&exists).Error; err != nil {
		return wrap("re-seal: look for a newer version", err)
	}
	if exists == 0 {
		return gone
	}
	return changed
}

func resealedBucketGone(bucketID string) error {
	return domain.Errorf(domain.KindNotFound, "bucket %q does not exist (any more)", bucketID)
}
