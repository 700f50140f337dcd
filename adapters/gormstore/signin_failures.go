package gormstore

import (
	"context"
	"time"

	"github.com/bucketd/bucketd/domain"
)

const tableSignInFailures = "sign_in_failures"

// recordFailureStatement adds one failure to a key in one statement, so that concurrent
// failures from any number of processes each count: the database serializes the upserts of one
// key. A key whose last failure came before the forget time starts again from one.
const recordFailureStatement = "INSERT INTO " + tableSignInFailures + " (subject, failures, last_failure) VALUES (?, 1, ?) " +
	"ON CONFLICT (subject) DO UPDATE SET failures = CASE WHEN " + tableSignInFailures + ".last_failure < ? THEN 1 " +
	"ELSE " + tableSignInFailures + ".failures + 1 END, last_failure = excluded.last_failure"

type signInFailureRow struct {
	Subject     string    `gorm:"column:subject;primaryKey"`
	Failures    int       `gorm:"column:failures"`
	LastFailure time.Time `gorm:"column:last_failure"`
}

func (signInFailureRow) TableName() string { return tableSignInFailures }

// Failures reads the failure counts of keys in one query, in the order of keys.
func (s *Store) Failures(ctx context.Context, keys []string) ([]domain.FailureCount, error) {
	var rows []signInFailureRow
	if err := s.db.WithContext(ctx).Where("subject IN ?", keys).Find(&rows).Error; err != nil {
		return nil, wrap("read sign-in failures", err)
	}
	out := make([]domain.FailureCount, len(keys))
	for i, k := range keys {
		for _, r := range rows {
			if r.Subject == k {
				out[i] = domain.FailureCount{Failures: r.Failures, LastFailure: r.LastFailure.UTC()}
			}
		}
	}
	return out, nil
}

// RecordFailure counts one failure at at under each key.
func (s *Store) RecordFailure(ctx context.Context, keys []string, at, forgetBefore time.Time) error {
	db := s.db.WithContext(ctx)
	for _, k := range keys {
		if err := db.Exec(recordFailureStatement, k, dbTime(at), dbTime(forgetBefore)).Error; err != nil {
			return wrap("record sign-in failure", err)
		}
	}
	return nil
}

// ClearFailures forgets a key's failures.
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	return wrap("clear sign-in failures", s.db.WithContext(ctx).Where("subject = ?", key).Delete(&signInFailureRow{}).Error)
}

// PurgeFailures deletes the counts whose last failure came before before.
func (s *Store) PurgeFailures(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("last_failure < ?", dbTime(before)).Delete(&signInFailureRow{})
	if res.Error != nil {
		return 0, wrap("purge sign-in failures", res.Error)
	}
	return res.RowsAffected, nil
}
