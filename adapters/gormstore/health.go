package gormstore

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var (
	_ ports.StatusSource = (*Store)(nil)
	_ ports.Leases       = (*Store)(nil)
)

// DueForCheck returns up to limit live buckets of every organization whose status was last
// established before olderThan, or never, the longest unchecked first (buckets_status_due).
func (s *Store) DueForCheck(ctx context.Context, olderThan time.Time, limit int) ([]domain.Bucket, error) {
	buckets, err := findBuckets(s.db.WithContext(ctx).Table(tableBuckets).Select(bucketColumns).
		Where("deleted_at IS NULL AND (last_status_at IS NULL OR last_status_at < ?)", dbTime(olderThan)).
		Order("last_status_at IS NOT NULL, last_status_at, id").Limit(limit), limit)
	return buckets, wrap("find buckets due for a status check", err)
}

// jobLeaseRow is a lease on a periodic job: the process holding it runs the job.
type jobLeaseRow struct {
	Name      string    `gorm:"column:name;primaryKey"`
	Holder    string    `gorm:"column:holder"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (jobLeaseRow) TableName() string { return "job_leases" }

// TryAcquire takes the lease when nobody holds it, when it expired, or when holder holds it
// already (which extends it). An insert that loses to an existing row falls back to an update
// whose WHERE admits only those cases; the database serializes the two on the row, so of
// concurrent takers exactly one wins.
func (s *Store) TryAcquire(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	lease := jobLeaseRow{Name: name, Holder: holder, ExpiresAt: dbTime(now.Add(ttl))}
	db := s.db.WithContext(ctx)
	res := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, DoNothing: true}).Create(&lease)
	if res.Error != nil {
		return false, wrap("take job lease", res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	res = db.Model(&jobLeaseRow{}).
		Where("name = ? AND (expires_at <= ? OR holder = ?)", name, dbTime(now), holder).
		Updates(map[string]any{"holder": holder, "expires_at": lease.ExpiresAt})
	if res.Error != nil {
		return false, wrap("take job lease", res.Error)
	}
	return res.RowsAffected == 1, nil
}
