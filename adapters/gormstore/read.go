package gormstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
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

// getAsHolderQuery is authenticateQuery and getBucketQuery in one statement (bucket id, then
// token digest): the token's owner, each row with the bucket, if the owner's organization has
// it live. The bucket is joined on the owner's organization, so the statement cannot reach
// another organization's bucket whatever the id. A member of several workspaces gets the
// bucket's columns once per membership: a few rows, against a second round trip.
var getAsHolderQuery = fixed("SELECT " + ownerColumns + ", " + qualifiedColumns("b", bucketColumns) +
	" FROM " + ownerJoins +
	" LEFT JOIN " + tableBuckets + " AS b ON b.id = ? AND b.org_id = u.org_id AND b.deleted_at IS NULL" +
	" WHERE t.digest = ?")

// GetAsHolder authenticates token as Authenticate does and reads, for its holder, a live bucket
// of the holder's organization as Get does, in one statement (getAsHolderQuery).
func (s *Store) GetAsHolder(ctx context.Context, token domain.Secret, bucketID string) (ports.HolderRead, error) {
	if token.IsZero() {
		return ports.HolderRead{}, domain.Errorf(domain.KindUnauthenticated, unauthenticatedMessage)
	}
	// A malformed id matches no bucket, and PostgreSQL would refuse it as a uuid: NULL matches
	// nothing, and the token is still checked.
	var id any
	if domain.IsID(bucketID) {
		id = canonicalID(bucketID)
	}
	rows, err := s.queryFixed(ctx, getAsHolderQuery, id, domain.TokenDigest(token))
	if err != nil {
		return ports.HolderRead{}, wrap("read bucket as token holder", err)
	}
	var (
		owners []tokenOwner
		found  bucketRow
	)
	// Every row carries the same bucket columns, NULL when the organization has no such bucket.
	bucketTargets := nullTolerant(found.scanTargets())
	err = scanRows(rows, func() error {
		var o tokenOwner
		if err := rows.Scan(append(o.scanTargets(), bucketTargets...)...); err != nil {
			return err
		}
		owners = append(owners, o)
		return nil
	})
	if err != nil {
		return ports.HolderRead{}, wrap("read bucket as token holder", err)
	}
	p, err := s.principalOf(ctx, owners)
	if err != nil {
		return ports.HolderRead{}, err
	}
	if found.ID == "" {
		return ports.HolderRead{Principal: p, Err: bucketNotFound(bucketID)}, nil
	}
	return ports.HolderRead{Principal: p, Bucket: found.toDomain()}, nil
}

// qualifiedColumns prefixes each of a comma-separated column list with a table alias.
func qualifiedColumns(alias, columns string) string {
	names := strings.Split(columns, ", ")
	for i, name := range names {
		names[i] = alias + "." + name
	}
	return strings.Join(names, ", ")
}

// nullTolerant wraps the scan targets of columns that are NOT NULL in their table but come
// NULL out of an outer join that found no row: such a column leaves its target as it was. The
// targets of nullable columns, pointers to pointers, take NULL as nil already.
func nullTolerant(targets []any) []any {
	for i, target := range targets {
		switch d := target.(type) {
		case *string:
			targets[i] = orNull[string]{d}
		case *[]byte:
			targets[i] = orNull[[]byte]{d}
		case *int64:
			targets[i] = orNull[int64]{d}
		case *time.Time:
			targets[i] = orNull[time.Time]{d}
		}
	}
	return targets
}

// orNull scans a value into dest as database/sql would, and NULL into nothing.
type orNull[T any] struct{ dest *T }

func (o orNull[T]) Scan(src any) error {
	if src == nil {
		return nil
	}
	var v sql.Null[T]
	if err := v.Scan(src); err != nil {
		return err
	}
	*o.dest = v.V
	return nil
}
