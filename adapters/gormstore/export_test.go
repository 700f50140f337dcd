package gormstore

import (
	"context"
	"time"

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
