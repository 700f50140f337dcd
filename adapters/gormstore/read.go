package gormstore

import (
	"context"
	"encoding/base64"
	"slices"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
)

// liveBucket scopes a statement to one live bucket of the organization: every read and write of
// a single bucket goes through it, so none can reach another organization's or a deleted
// bucket. It names the table rather than the row type so that an UPDATE writes exactly the
// columns given and GORM never adds its own updated_at.
func (s *Store) liveBucket(ctx context.Context, orgID, bucketID string) *gorm.DB {
	return s.db.WithContext(ctx).Table(tableBuckets).
		Where("id = ? AND org_id = ? AND deleted_at IS NULL", canonicalID(bucketID), canonicalID(orgID))
}

// getBucketQuery reads one live bucket of an organization (bucket id, then organization id), the
// statement of liveBucket written out: Get serves every GET /bucket/{id}, and a fixed statement
// spares GORM building it each time.
var getBucketQuery = fixed("SELECT " + bucketColumns + " FROM buckets WHERE id = ? AND org_id = ? AND deleted_at IS NULL")

// Get returns a live bucket of the organization. An unknown id, a malformed one, a deleted
// bucket and another organization's bucket are one and the same KindNotFound error, so a
// caller cannot probe which ids exist.
func (s *Store) Get(ctx context.Context, orgID, bucketID string) (domain.Bucket, error) {
	if !domain.IsID(orgID) || !domain.IsID(bucketID) {
		return domain.Bucket{}, bucketNotFound(bucketID)
	}
	rows, err := s.queryFixed(ctx, getBucketQuery, canonicalID(bucketID), canonicalID(orgID))
	if err != nil {
		return domain.Bucket{}, wrap("read bucket", err)
	}
	found, err := scanBuckets(rows, 1)
	if err != nil {
		return domain.Bucket{}, wrap("read bucket", err)
	}
	if len(found) == 0 {
		return domain.Bucket{}, bucketNotFound(bucketID)
	}
	return found[0], nil
}

// List returns one page of the organization's live buckets in id order, which is creation
// order because ids are UUIDv7. A Limit of 0 means domain.MaxPageSize (the caller named none);
// a negative Limit or one above domain.MaxPageSize is a KindInvalidInput error rather than
// silently clamped, so a client asking for more than it gets learns why. The cursor is opaque
// to callers: it encodes the last id of the previous page, and NextCursor is set only when
// another page follows. An unknown organization has no buckets.
func (s *Store) List(ctx context.Context, orgID string, q domain.BucketQuery) (domain.BucketPage, error) {
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return domain.BucketPage{}, err
	}
	after, err := decodeCursor(q.Cursor)
	if err != nil {
		return domain.BucketPage{}, err
	}
	empty := domain.BucketPage{Buckets: []domain.Bucket{}}
	if !domain.IsID(orgID) {
		return empty, nil
	}
	query := s.db.WithContext(ctx).Table(tableBuckets).Where("org_id = ? AND deleted_at IS NULL", canonicalID(orgID))
	if q.WorkspaceIDs != nil {
		// A malformed workspace id matches nothing, and PostgreSQL would refuse it as a uuid.
		workspaces := slices.DeleteFunc(canonicalIDs(q.WorkspaceIDs), func(id string) bool { return !domain.IsID(id) })
		if len(workspaces) == 0 {
			return empty, nil
		}
		query = query.Where("workspace_id IN ?", workspaces)
	}
	if after != "" {
		query = query.Where("id > ?", after)
	}
	// One row beyond the page tells whether another page follows.
	buckets, err := findBuckets(query.Select(bucketColumns).Order("id").Limit(limit+1), limit+1)
	if err != nil {
		return domain.BucketPage{}, wrap("list buckets", err)
	}
	page := empty
	if len(buckets) > limit {
		buckets = buckets[:limit]
		page.NextCursor = encodeCursor(buckets[limit-1].ID)
	}
	if len(buckets) > 0 {
		page.Buckets = buckets
	}
	return page, nil
}

// pageLimit resolves a requested page size: 0 is the largest page, anything outside 0 to
// domain.MaxPageSize is refused.
func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return domain.MaxPageSize, nil
	case limit < 0 || limit > domain.MaxPageSize:
		return 0, domain.Errorf(domain.KindInvalidInput, "limit %d is out of range; use 1 to %d", limit, domain.MaxPageSize)
	}
	return limit, nil
}

// encodeCursor turns the last id of a page into the cursor of the next one.
func encodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastID))
}

// decodeCursor returns the id a cursor continues after, or "" for no cursor.
func decodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	id, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !domain.IsID(string(id)) {
		return "", domain.Errorf(domain.KindInvalidInput,
			"cursor is not one this server issued; pass the nextCursor of the previous page unchanged, or none for the first page")
	}
	return canonicalID(string(id)), nil
}

func bucketNotFound(bucketID string) error {
	return domain.Errorf(domain.KindNotFound,
		"bucket %q not found in this organization; list the organization's buckets for their ids", bucketID)
}
