package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
)

// nameKeyBatchSize is how many buckets one transaction of fillNameKeys keys: each transaction
// holds the migration lock and its rows' locks only briefly, and a million buckets take two
// thousand of them.
const nameKeyBatchSize = 500

// NameCollision is a group of live buckets of one organization whose names have one key
// (domain.NameKey) because they were stored before keys existed, when names were compared by
// lower(name) only: "My bucket" and "My bucket" with a zero-width space, or "Straße" and
// "STRASSE". All of them stay usable; the first holds the key, the others are told apart from
// it by their own id (name_key_suffix). Renaming all but one ends the collision.
type NameCollision struct {
	OrgID string
	// Buckets are the group in the order their keys were computed, which is creation order.
	Buckets []NamedBucket
}

// NamedBucket is a bucket's id and display name.
type NamedBucket struct {
	ID, Name string
}

// fillNameKeys computes the name key of every bucket that has none: those stored before
// migration 0009, and any that a process of an earlier release stored since. It keys a batch at
// a time in id (creation) order, each batch in a transaction of its own that holds the
// migration lock, so processes starting at once take turns and none keys a row twice; an
// interrupted run leaves whole batches done, and the next start-up continues. Deleted buckets
// get their key too. A live bucket whose key a live bucket of its organization has already is
// not merged with it: it gets its own id as suffix, stays usable, and each such collision is
// logged as a warning; NameCollisions lists them until they are resolved.
func (s *Store) fillNameKeys(ctx context.Context) error {
	for {
		keyed, err := s.fillNameKeyBatch(ctx)
		if err != nil {
			return wrap("compute bucket name keys", err)
		}
		if keyed < nameKeyBatchSize {
			return nil
		}
	}
}

// unkeyedBucket is what fillNameKeys reads of a bucket without a name key.
type unkeyedBucket struct {
	ID        string     `gorm:"column:id"`
	OrgID     string     `gorm:"column:org_id"`
	Name      string     `gorm:"column:name"`
	DeletedAt *time.Time `gorm:"column:deleted_at"`
}

// nameCollisionFound is one bucket fillNameKeys keyed apart from the live bucket that has its
// key already.
type nameCollisionFound struct {
	bucket unkeyedBucket
	holder NamedBucket
}

// fillNameKeyBatch keys up to nameKeyBatchSize buckets that have no name key, and reports how
// many it read.
func (s *Store) fillNameKeyBatch(ctx context.Context) (int, error) {
	var (
		batch []unkeyedBucket
		found []nameCollisionFound
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockMigrations(tx); err != nil {
			return err
		}
		err := tx.Raw("SELECT id, org_id, name, deleted_at FROM buckets WHERE name_key IS NULL ORDER BY id LIMIT ?",
			nameKeyBatchSize).Scan(&batch).Error
		if err != nil {
			return fmt.Errorf("read buckets without a name key: %w", err)
		}
		for _, b := range batch {
			key, suffix := domain.NameKey(b.Name), ""
			var holder NamedBucket
			if b.DeletedAt == nil {
				var taken bool
				if holder, taken, err = liveNameKeyHolder(tx, b.OrgID, key); err != nil {
					return err
				}
				if taken {
					suffix = b.ID
				}
			}
			// The lock keeps other migrations out; "name_key IS NULL" keeps a rename that a
			// serving process made since the read, with its own key, from being overwritten.
			res := tx.Exec("UPDATE buckets SET name_key = ?, name_key_suffix = ? WHERE id = ? AND name_key IS NULL",
				key, suffix, b.ID)
			if res.Error != nil {
				return fmt.Errorf("store the name key of bucket %s: %w", b.ID, res.Error)
			}
			if suffix != "" && res.RowsAffected == 1 {
				found = append(found, nameCollisionFound{bucket: b, holder: holder})
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, c := range found {
		s.log.WarnContext(ctx, "two buckets of one organization have names that now compare equal; both stay usable, rename one of them",
			slog.String("org_id", c.bucket.OrgID),
			slog.String("bucket_id", c.bucket.ID), slog.String("name", c.bucket.Name),
			slog.String("same_as_bucket_id", c.holder.ID), slog.String("same_as_name", c.holder.Name))
	}
	return len(batch), nil
}

// liveNameKeyHolder finds a live bucket of the organization with the name key, the one without
// a suffix if there is one.
func liveNameKeyHolder(tx *gorm.DB, orgID, key string) (NamedBucket, bool, error) {
	var holder NamedBucket
	err := tx.Raw("SELECT id, name FROM buckets WHERE org_id = ? AND name_key = ? AND deleted_at IS NULL "+
		"ORDER BY name_key_suffix, id LIMIT 1", orgID, key).Row().Scan(&holder.ID, &holder.Name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return NamedBucket{}, false, nil
	case err != nil:
		return NamedBucket{}, false, fmt.Errorf("look for a live bucket with the name key: %w", err)
	}
	return holder, true, nil
}

// nameCollisionsQuery reads the live buckets whose name key a live bucket with a suffix shares,
// grouped by organization and key, each group's key holder first.
const nameCollisionsQuery = "SELECT org_id, name_key, id, name FROM buckets AS b WHERE deleted_at IS NULL AND EXISTS (" +
	"SELECT 1 FROM buckets AS twin WHERE twin.org_id = b.org_id AND twin.name_key = b.name_key " +
	"AND twin.name_key_suffix <> '' AND twin.deleted_at IS NULL) " +
	"ORDER BY org_id, name_key, name_key_suffix, id"

// NameCollisions lists the groups of live buckets whose names still compare equal because they
// were stored before names were compared by domain.NameKey (see NameCollision). It reads the
// whole table, for `bucketd migrate` to report, not for serving requests.
func (s *Store) NameCollisions(ctx context.Context) ([]NameCollision, error) {
	rows, err := s.db.WithContext(ctx).Raw(nameCollisionsQuery).Rows()
	if err != nil {
		return nil, wrap("list name collisions", err)
	}
	defer rows.Close()
	var (
		groups  []NameCollision
		lastKey string
	)
	for rows.Next() {
		var orgID, key string
		var b NamedBucket
		if err := rows.Scan(&orgID, &key, &b.ID, &b.Name); err != nil {
			return nil, wrap("list name collisions", err)
		}
		if len(groups) == 0 || groups[len(groups)-1].OrgID != orgID || lastKey != key {
			groups = append(groups, NameCollision{OrgID: orgID})
		}
		last := &groups[len(groups)-1]
		last.Buckets, lastKey = append(last.Buckets, b), key
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list name collisions", err)
	}
	// A bucket with a suffix whose group is gone, renamed or deleted, collides with nothing.
	return slices.DeleteFunc(groups, func(g NameCollision) bool { return len(g.Buckets) < 2 }), nil
}
