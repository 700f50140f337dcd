package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"

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
	// Buckets are the group: the bucket that holds the key first, then the others in id
	// (creation) order.
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
	ID    string `gorm:"column:id"`
	OrgID string `gorm:"column:org_id"`
	Name  string `gorm:"column:name"`
}

// nameCollisionFound is one bucket fillNameKeys keyed apart from the live bucket that has its
// key already.
type nameCollisionFound struct {
	bucket unkeyedBucket
	holder NamedBucket
}

// keyBucketQuery stores the name key (first argument, and second) of a bucket (third) that has
// none, with the bucket's own id as suffix when the bucket is live and a live bucket of its
// organization has the key already, and returns the suffix it stored. "name_key IS NULL" keeps
// a rename that a serving process made since the batch was read, with a key of its own, from
// being overwritten; the migration lock keeps other migrations out.
const keyBucketQuery = "UPDATE buckets SET name_key = ?, name_key_suffix = CASE WHEN deleted_at IS NULL AND EXISTS (" +
	"SELECT 1 FROM buckets AS holder WHERE holder.org_id = buckets.org_id AND holder.name_key = ? AND holder.deleted_at IS NULL" +
	") THEN CAST(id AS text) ELSE '' END WHERE id = ? AND name_key IS NULL RETURNING name_key_suffix"

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
		err := tx.Raw("SELECT id, org_id, name FROM buckets WHERE name_key IS NULL ORDER BY id LIMIT ?",
			nameKeyBatchSize).Scan(&batch).Error
		if err != nil {
			return fmt.Errorf("read buckets without a name key: %w", err)
		}
		for _, b := range batch {
			key := domain.NameKey(b.Name)
			var suffix string
			err := tx.Raw(keyBucketQuery, key, key, b.ID).Row().Scan(&suffix)
			switch {
			case errors.Is(err, sql.ErrNoRows) || err == nil && suffix == "":
				continue
			case err != nil:
				return fmt.Errorf("store the name key of bucket %s: %w", b.ID, err)
			}
			holder, err := nameKeyHolder(tx, b.OrgID, key, b.ID)
			if err != nil {
				return err
			}
			found = append(found, nameCollisionFound{bucket: b, holder: holder})
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

// nameKeyHolder finds the live bucket of the organization, other than the given one, that has
// the name key, the one without a suffix if there is one: what a collision is reported with.
func nameKeyHolder(tx *gorm.DB, orgID, key, otherThanID string) (NamedBucket, error) {
	var holder NamedBucket
	err := tx.Raw("SELECT id, name FROM buckets WHERE org_id = ? AND name_key = ? AND deleted_at IS NULL AND id <> ? "+
		"ORDER BY name_key_suffix, id LIMIT 1", orgID, key, otherThanID).Row().Scan(&holder.ID, &holder.Name)
	if err != nil {
		return NamedBucket{}, fmt.Errorf("look for the live bucket with the name key of bucket %s: %w", otherThanID, err)
	}
	return holder, nil
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
