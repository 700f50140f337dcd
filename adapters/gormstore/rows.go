package gormstore

import (
	"database/sql"
	"reflect"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// The row types mirror the migrated tables. They exist only inside this package, so the domain
// never carries GORM tags. Every time is stored in UTC: SQLite compares timestamps as text.

// Table and index names that queries and error mapping refer to.
const (
	tableOrganizations    = "organizations"
	tableWorkspaces       = "workspaces"
	tableUsers            = "users"
	tableWorkspaceMembers = "workspace_members"
	tableAPITokens        = "api_tokens"
	tableBuckets          = "buckets"
	tableCredentials      = "credentials"
	tableIdempotencyKeys  = "idempotency_keys"

	indexBucketName = "buckets_org_name_key_live"
	indexUserEmail  = "users_email_key"
)

// sqliteUniqueColumns are the columns SQLite names, in place of the index, in a violation of a
// unique index on plain columns (see violatesUnique).
var sqliteUniqueColumns = map[string]string{
	indexBucketName: "buckets.org_id, buckets.name_key, buckets.name_key_suffix",
}

type organizationRow struct {
	ID          string    `gorm:"column:id;primaryKey"`
	Name        string    `gorm:"column:name"`
	Plan        string    `gorm:"column:plan"`
	BucketLimit *int      `gorm:"column:bucket_limit"`
	ExternalID  string    `gorm:"column:external_id"`
	CreatedAt   time.Time `gorm:"column:created_at"`
}

func (organizationRow) TableName() string { return tableOrganizations }

type workspaceRow struct {
	ID        string    `gorm:"column:id;primaryKey"`
	OrgID     string    `gorm:"column:org_id"`
	Name      string    `gorm:"column:name"`
	CreatedAt time.Time `gorm:"column:created_at"`
	// DeletedAt is set when the workspace is deleted (migration 0011).
	DeletedAt *time.Time `gorm:"column:deleted_at"`
}

func (workspaceRow) TableName() string { return tableWorkspaces }

type userRow struct {
	ID        string    `gorm:"column:id;primaryKey"`
	OrgID     string    `gorm:"column:org_id"`
	Email     string    `gorm:"column:email"`
	Role      string    `gorm:"column:role"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (userRow) TableName() string { return tableUsers }

func (r userRow) toDomain() domain.User {
	return domain.User{ID: r.ID, OrgID: r.OrgID, Email: r.Email, Role: domain.Role(r.Role)}
}

type workspaceMemberRow struct {
	UserID      string `gorm:"column:user_id;primaryKey"`
	WorkspaceID string `gorm:"column:workspace_id;primaryKey"`
	Role        string `gorm:"column:role"`
}

func (workspaceMemberRow) TableName() string { return tableWorkspaceMembers }

type apiTokenRow struct {
	ID         string     `gorm:"column:id;primaryKey"`
	UserID     string     `gorm:"column:user_id"`
	Digest     []byte     `gorm:"column:digest"`
	CreatedAt  time.Time  `gorm:"column:created_at"`
	ExpiresAt  *time.Time `gorm:"column:expires_at"`
	RevokedAt  *time.Time `gorm:"column:revoked_at"`
	LastUsedAt *time.Time `gorm:"column:last_used_at"`
	// SessionID is set for a session's access token, NULL for an API token.
	SessionID *string `gorm:"column:session_id"`
}

func (apiTokenRow) TableName() string { return tableAPITokens }

// toRecord maps a row to what an operator may see of it: everything but the digest.
func (r apiTokenRow) toRecord() ports.TokenRecord {
	return ports.TokenRecord{
		ID:         r.ID,
		UserID:     r.UserID,
		CreatedAt:  r.CreatedAt.UTC(),
		ExpiresAt:  utcPtr(r.ExpiresAt),
		RevokedAt:  utcPtr(r.RevokedAt),
		LastUsedAt: utcPtr(r.LastUsedAt),
	}
}

type bucketRow struct {
	ID          string `gorm:"column:id;primaryKey"`
	OrgID       string `gorm:"column:org_id"`
	WorkspaceID string `gorm:"column:workspace_id"`
	Name        string `gorm:"column:name"`
	Bucket      string `gorm:"column:bucket"`
	StorageType string `gorm:"column:storage_type"`
	// StorageTypeSpelling is '' for rows stored before it was recorded.
	StorageTypeSpelling string     `gorm:"column:storage_type_spelling"`
	Region              string     `gorm:"column:region"`
	Endpoint            string     `gorm:"column:endpoint"`
	KeyHint             string     `gorm:"column:key_hint"`
	SealedKey           []byte     `gorm:"column:sealed_key"`
	SealedSecret        []byte     `gorm:"column:sealed_secret"`
	Status              string     `gorm:"column:status"`
	LastStatusAt        *time.Time `gorm:"column:last_status_at"`
	CreatedAt           time.Time  `gorm:"column:created_at"`
	UpdatedAt           time.Time  `gorm:"column:updated_at"`
	DeletedAt           *time.Time `gorm:"column:deleted_at"`
	Version             int64      `gorm:"column:version"`
	// SecretFingerprint is NULL for rows stored before fingerprints existed or without a
	// fingerprint key; CredentialsUpdatedAt is NULL for rows stored before it was recorded.
	SecretFingerprint    *string    `gorm:"column:secret_fingerprint"`
	SecretVersion        int64      `gorm:"column:secret_version"`
	CredentialsUpdatedAt *time.Time `gorm:"column:credentials_updated_at"`
	// CredentialID and CredentialVersion are NULL for a bucket with its own sealed values.
	CredentialID      *string `gorm:"column:credential_id"`
	CredentialVersion *int64  `gorm:"column:credential_version"`
	// StatusMessage is NULL when the bucket has none (see domain.Bucket.StatusMessage).
	StatusMessage *string `gorm:"column:status_message"`
	// NameKey is domain.NameKey(Name), what the unique index compares. Reads have no use for
	// it, so it is written (insertColumns) but not in bucketColumns.
	NameKey string `gorm:"column:name_key"`
}

func (bucketRow) TableName() string { return tableBuckets }

// firstVersion is the version of a newly stored bucket, whatever version the caller named.
const firstVersion = 1

// newBucketRow maps a bucket to its row. Ids are stored in canonical (lowercase) form; zero
// creation and update times become now, so a row never carries the year 1. The row starts at
// firstVersion: versions count the store's writes, not the caller's.
func newBucketRow(b domain.Bucket, now time.Time) bucketRow {
	created, updated := b.CreatedAt, b.UpdatedAt
	if created.IsZero() {
		created = now
	}
	if updated.IsZero() {
		updated = created
	}
	return bucketRow{
		ID:                   canonicalID(b.ID),
		OrgID:                canonicalID(b.OrgID),
		WorkspaceID:          canonicalID(b.WorkspaceID),
		Name:                 b.Name,
		Bucket:               b.Bucket,
		StorageType:          string(b.StorageType),
		StorageTypeSpelling:  b.StorageTypeSpelling,
		Region:               b.Region,
		Endpoint:             b.Endpoint,
		KeyHint:              b.KeyHint,
		SealedKey:            b.SealedKey,
		SealedSecret:         b.SealedSecret,
		Status:               string(b.Status),
		StatusMessage:        nullIfEmpty(b.StatusMessage),
		LastStatusAt:         utcPtr(b.LastStatusAt),
		CreatedAt:            created.UTC(),
		UpdatedAt:            updated.UTC(),
		Version:              firstVersion,
		SecretFingerprint:    nullIfEmpty(b.SecretFingerprint),
		SecretVersion:        b.SecretVersion,
		CredentialsUpdatedAt: utcPtr(b.CredentialsUpdatedAt),
		CredentialID:         nullIfEmpty(canonicalID(b.CredentialID)),
		CredentialVersion:    credentialVersionOf(b),
		NameKey:              domain.NameKey(b.Name),
	}
}

// toDomain maps a row back to the bucket it stores, every time in UTC.
func (r bucketRow) toDomain() domain.Bucket {
	return domain.Bucket{
		ID:                   r.ID,
		OrgID:                r.OrgID,
		WorkspaceID:          r.WorkspaceID,
		Name:                 r.Name,
		Bucket:               r.Bucket,
		StorageType:          domain.StorageType(r.StorageType),
		StorageTypeSpelling:  r.StorageTypeSpelling,
		Region:               r.Region,
		Endpoint:             r.Endpoint,
		KeyHint:              r.KeyHint,
		Status:               domain.Status(r.Status),
		StatusMessage:        derefOrEmpty(r.StatusMessage),
		LastStatusAt:         utcPtr(r.LastStatusAt),
		CreatedAt:            r.CreatedAt.UTC(),
		UpdatedAt:            r.UpdatedAt.UTC(),
		Version:              r.Version,
		SecretFingerprint:    derefOrEmpty(r.SecretFingerprint),
		SecretVersion:        r.SecretVersion,
		CredentialsUpdatedAt: utcPtr(r.CredentialsUpdatedAt),
		CredentialID:         derefOrEmpty(r.CredentialID),
		CredentialVersion:    derefOrZero(r.CredentialVersion),
		SealedKey:            r.SealedKey,
		SealedSecret:         r.SealedSecret,
	}
}

// credentialVersionOf is the credential version a bucket row stores: NULL for a bucket with
// its own sealed values.
func credentialVersionOf(b domain.Bucket) *int64 {
	if b.CredentialID == "" {
		return nil
	}
	v := b.CredentialVersion
	return &v
}

// derefOrZero reads an optional integer column; NULL becomes 0.
func derefOrZero(v *int64) int64 {
	if v == nil {
		return 0
	}
	return *v
}

// idempotencyKeyRow is one Idempotency-Key of an organization: a running claim, or the answer
// to replay (Status and Body) once the request is done.
type idempotencyKeyRow struct {
	OrgID       string    `gorm:"column:org_id;primaryKey"`
	Key         string    `gorm:"column:key;primaryKey"`
	Fingerprint []byte    `gorm:"column:fingerprint"`
	State       string    `gorm:"column:state"`
	Status      *int      `gorm:"column:status"`
	Body        []byte    `gorm:"column:body"`
	ClaimedAt   time.Time `gorm:"column:claimed_at"`
	ExpiresAt   time.Time `gorm:"column:expires_at"`
}

func (idempotencyKeyRow) TableName() string { return tableIdempotencyKeys }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// nullIfEmpty stores an absent optional text as NULL rather than "", so "not recorded" stays
// one value in the database.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// derefOrEmpty reads an optional text column; NULL becomes "".
func derefOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// bucketColumns are bucketRow's columns, in the order of its scanTargets.
const bucketColumns = "id, org_id, workspace_id, name, bucket, storage_type, region, endpoint, key_hint, " +
	"sealed_key, sealed_secret, status, last_status_at, created_at, updated_at, deleted_at, version, " +
	"secret_fingerprint, secret_version, credentials_updated_at, storage_type_spelling, credential_id, credential_version, " +
	"status_message"

// scanTargets are pointers to r's fields, in the order of bucketColumns.
func (r *bucketRow) scanTargets() []any {
	return []any{&r.ID, &r.OrgID, &r.WorkspaceID, &r.Name, &r.Bucket, &r.StorageType, &r.Region, &r.Endpoint, &r.KeyHint,
		&r.SealedKey, &r.SealedSecret, &r.Status, &r.LastStatusAt, &r.CreatedAt, &r.UpdatedAt, &r.DeletedAt, &r.Version,
		&r.SecretFingerprint, &r.SecretVersion, &r.CredentialsUpdatedAt, &r.StorageTypeSpelling, &r.CredentialID, &r.CredentialVersion,
		&r.StatusMessage}
}

// columnValues are r's fields, in the order of bucketColumns: scanTargets' pointers,
// dereferenced, so the two lists cannot drift apart.
func (r *bucketRow) columnValues() []any {
	targets := r.scanTargets()
	values := make([]any, len(targets))
	for i, target := range targets {
		values[i] = reflect.ValueOf(target).Elem().Interface()
	}
	return values
}

// insertColumns are the columns an insert writes: bucketColumns and the name's key, in the
// order of insertValues. name_key_suffix keeps its default, the empty string.
const insertColumns = bucketColumns + ", name_key"

// insertValues are r's values for insertColumns.
func (r *bucketRow) insertValues() []any { return append(r.columnValues(), r.NameKey) }

// findBuckets runs query, which selects bucketColumns, and returns the buckets it finds; room
// is how many it may find at most.
func findBuckets(query *gorm.DB, room int) ([]domain.Bucket, error) {
	rows, err := query.Rows()
	if err != nil {
		return nil, err
	}
	return scanBuckets(rows, room)
}

// scanRoomUpFront is how many buckets scanBuckets makes room for before it has read any: a
// default page may hold 1000 buckets (domain.MaxPageSize), and room for all of them cost an
// organization of a hundred buckets many times what its page needs (see docs/performance.md);
// a bigger result grows the slice as it comes.
const scanRoomUpFront = 128

// scanBuckets reads rows, which select bucketColumns, and closes them; room is how many
// buckets they hold at most. It scans the rows itself rather than through GORM's reflection,
// which took a large share of a page's CPU time in make bench's profile of GET /bucket (see
// docs/performance.md), into one row whose scan targets serve every row.
func scanBuckets(rows *sql.Rows, room int) ([]domain.Bucket, error) {
	defer rows.Close()
	buckets := make([]domain.Bucket, 0, min(room, scanRoomUpFront))
	var r bucketRow
	targets := r.scanTargets()
	for rows.Next() {
		r = bucketRow{}
		if err := rows.Scan(targets...); err != nil {
			return nil, err
		}
		buckets = append(buckets, r.toDomain())
	}
	return buckets, rows.Err()
}
