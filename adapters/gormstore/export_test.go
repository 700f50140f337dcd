package gormstore

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
)

// Hooks for the external tests, which need storetest and so cannot live in this package.

const IndexBucketName, IndexUserEmail = indexBucketName, indexUserEmail

const AuditPurgeBatch = auditPurgeBatch

var (
	ViolatesUnique = violatesUnique
	IsUnavailable  = isUnavailable
)

// StoredSealed reads a bucket's sealed columns with a plain SELECT.
func StoredSealed(ctx context.Context, s *Store, bucketID string) (key, secret []byte, err error) {
	err = s.db.WithContext(ctx).Raw("SELECT sealed_key, sealed_secret FROM buckets WHERE id = ?", bucketID).
		Row().Scan(&key, &secret)
	return key, secret, err
}

// InsertUnchecked inserts a bucket without the quota and name checks, to reach the unique index.
func InsertUnchecked(ctx context.Context, s *Store, b domain.Bucket) error {
	row := newBucketRow(b, time.Now().UTC())
	return s.db.WithContext(ctx).Create(&row).Error
}

// Exec runs a statement with GORM's '?' placeholders.
func Exec(ctx context.Context, s *Store, statement string, args ...any) error {
	return s.db.WithContext(ctx).Exec(statement, args...).Error
}

// QueryInt runs a query that returns one integer.
func QueryInt(ctx context.Context, s *Store, query string, args ...any) (n int64, err error) {
	err = s.db.WithContext(ctx).Raw(query, args...).Row().Scan(&n)
	return n, err
}

// RunningClaimLifetime is how long a RUNNING Idempotency-Key claim lives before Purge.
const RunningClaimLifetime = runningClaimLifetime

// MigrateThrough applies the migrations up to version and nothing after them: a database as an
// earlier release left it.
func MigrateThrough(ctx context.Context, s *Store, version int) error {
	return s.applyMigrations(ctx, version)
}

// legacyColumns are the bucket columns a release before migration 0009 wrote: bucketColumns
// without the storage type's spelling (migration 0010), the stored credential (0013) and the
// status message (0015), which come last.
var legacyColumns = strings.TrimSuffix(bucketColumns, ", storage_type_spelling, credential_id, credential_version, status_message")

// InsertWithoutNameKey inserts buckets, in one transaction, as a release before migration 0009
// did: every column but the name key's and the storage type's spelling. It works before those
// migrations and after them.
func InsertWithoutNameKey(ctx context.Context, s *Store, buckets ...domain.Bucket) error {
	n := strings.Count(legacyColumns, ",") + 1
	insert := "INSERT INTO buckets (" + legacyColumns + ") VALUES (" + placeholders(n) + ")"
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, b := range buckets {
			row := newBucketRow(b, time.Now().UTC())
			if err := tx.Exec(insert, row.columnValues()[:n]...).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// NameKeyBatchSize is how many buckets Migrate keys per transaction.
const NameKeyBatchSize = nameKeyBatchSize
