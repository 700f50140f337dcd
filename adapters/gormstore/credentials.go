package gormstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var _ ports.CredentialStore = (*Store)(nil)

// credentialRow mirrors the credentials table (migration 0013).
type credentialRow struct {
	ID                 string     `gorm:"column:id;primaryKey"`
	OrgID              string     `gorm:"column:org_id"`
	WorkspaceID        string     `gorm:"column:workspace_id"`
	StorageType        string     `gorm:"column:storage_type"`
	Provider           string     `gorm:"column:provider"`
	Kind               string     `gorm:"column:kind"`
	Endpoint           string     `gorm:"column:endpoint"`
	Region             string     `gorm:"column:region"`
	TenantID           string     `gorm:"column:tenant_id"`
	Description        string     `gorm:"column:description"`
	KeyHint            string     `gorm:"column:key_hint"`
	SealedKey          []byte     `gorm:"column:sealed_key"`
	SealedSecret       []byte     `gorm:"column:sealed_secret"`
	SealedSessionToken []byte     `gorm:"column:sealed_session_token"`
	SecretFingerprint  *string    `gorm:"column:secret_fingerprint"`
	SecretVersion      int64      `gorm:"column:secret_version"`
	CreatedAt          time.Time  `gorm:"column:created_at"`
	UpdatedAt          time.Time  `gorm:"column:updated_at"`
	DeletedAt          *time.Time `gorm:"column:deleted_at"`
	// BucketCount is read, never written: the live buckets that use the credential.
	BucketCount int `gorm:"column:bucket_count;->"`
}

func (credentialRow) TableName() string { return tableCredentials }

func newCredentialRow(c domain.StoredCredential) credentialRow {
	return credentialRow{
		ID: canonicalID(c.ID), OrgID: canonicalID(c.OrgID), WorkspaceID: canonicalID(c.WorkspaceID),
		StorageType: string(c.StorageType), Provider: c.ProviderSpelling, Kind: string(c.Kind.OrDefault()),
		Endpoint: c.Endpoint, Region: c.Region, TenantID: c.TenantID, Description: c.Description, KeyHint: c.KeyHint,
		SealedKey: c.SealedKey, SealedSecret: nonNil(c.SealedSecret), SealedSessionToken: nonNil(c.SealedSessionToken),
		SecretFingerprint: nullIfEmpty(c.SecretFingerprint), SecretVersion: c.SecretVersion,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
}

func (r credentialRow) toDomain() domain.StoredCredential {
	return domain.StoredCredential{
		ID: r.ID, OrgID: r.OrgID, WorkspaceID: r.WorkspaceID,
		StorageType: domain.StorageType(r.StorageType), ProviderSpelling: r.Provider, Kind: domain.CredentialKind(r.Kind),
		Endpoint: r.Endpoint, Region: r.Region, TenantID: r.TenantID, Description: r.Description, KeyHint: r.KeyHint,
		SecretFingerprint: derefOrEmpty(r.SecretFingerprint), SecretVersion: r.SecretVersion, BucketCount: r.BucketCount,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		SealedKey: r.SealedKey, SealedSecret: r.SealedSecret, SealedSessionToken: r.SealedSessionToken,
	}
}

// nonNil stores an absent sealed value as the empty value the column defaults to.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// credentialBucketCount counts the live buckets that use the credential of the outer query.
const credentialBucketCount = "(SELECT count(*) FROM buckets WHERE buckets.credential_id = credentials.id AND buckets.deleted_at IS NULL) AS bucket_count" //nolint:gosec // G101: SQL, not a credential

// InsertCredential stores a new credential; a workspace that is not a live one of the
// organization is KindWorkspaceNotFound.
func (s *Store) InsertCredential(ctx context.Context, c domain.StoredCredential) error {
	if !domain.IsID(c.OrgID) || !domain.IsID(c.WorkspaceID) {
		return credentialWorkspaceNotFound(c.WorkspaceID)
	}
	row := newCredentialRow(c)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		live, err := exists(tx, workspaceInOrgQuery, row.WorkspaceID, row.OrgID)
		if err != nil {
			return err
		}
		if !live {
			return credentialWorkspaceNotFound(c.WorkspaceID)
		}
		return tx.Create(&row).Error
	})
	if violatesForeignKey(err) {
		return credentialWorkspaceNotFound(c.WorkspaceID)
	}
	return wrap("insert credential", err)
}

// credentialWorkspaceNotFound answers as a bucket's create does for a workspace that is not a
// live one of the organization.
func credentialWorkspaceNotFound(workspaceID string) error {
	return domain.Errorf(domain.KindWorkspaceNotFound,
		"workspace %s does not exist in this organization; use the id of one of its workspaces", workspaceID)
}

func credentialNotFound(credentialID string) error {
	return domain.Errorf(domain.KindNotFound, "no API key %s in this organization", credentialID)
}

// liveCredentials selects the organization's live credentials with their bucket counts.
func (s *Store) liveCredentials(db *gorm.DB, orgID string) *gorm.DB {
	return db.Table(tableCredentials).Select("credentials.*, "+credentialBucketCount).
		Where("credentials.org_id = ? AND credentials.deleted_at IS NULL", canonicalID(orgID))
}

// GetCredential returns a live credential of the organization with its bucket count.
func (s *Store) GetCredential(ctx context.Context, orgID, credentialID string) (domain.StoredCredential, error) {
	if !domain.IsID(orgID) || !domain.IsID(credentialID) {
		return domain.StoredCredential{}, credentialNotFound(credentialID)
	}
	var rows []credentialRow
	err := s.liveCredentials(s.db.WithContext(ctx), orgID).Where("credentials.id = ?", canonicalID(credentialID)).Find(&rows).Error
	if err != nil {
		return domain.StoredCredential{}, wrap("read credential", err)
	}
	if len(rows) == 0 {
		return domain.StoredCredential{}, credentialNotFound(credentialID)
	}
	return rows[0].toDomain(), nil
}

// ListCredentials returns the live credentials q selects, oldest first.
func (s *Store) ListCredentials(ctx context.Context, orgID string, q ports.CredentialQuery) ([]domain.StoredCredential, error) {
	out := []domain.StoredCredential{}
	if !domain.IsID(orgID) {
		return out, nil
	}
	query := s.liveCredentials(s.db.WithContext(ctx), orgID)
	if q.WorkspaceIDs != nil {
		workspaces := slices.DeleteFunc(canonicalIDs(q.WorkspaceIDs), func(id string) bool { return !domain.IsID(id) })
		if len(workspaces) == 0 {
			return out, nil
		}
		query = query.Where("credentials.workspace_id IN ?", workspaces)
	}
	if q.StorageType != "" {
		query = query.Where("credentials.storage_type = ?", string(q.StorageType))
	}
	var rows []credentialRow
	if err := query.Order("credentials.created_at, credentials.id").Find(&rows).Error; err != nil {
		return nil, wrap("list credentials", err)
	}
	for _, r := range rows {
		out = append(out, r.toDomain())
	}
	return out, nil
}

// CredentialBuckets returns the live buckets of the organization that use the credential.
func (s *Store) CredentialBuckets(ctx context.Context, orgID, credentialID string) ([]domain.Bucket, error) {
	if !domain.IsID(orgID) || !domain.IsID(credentialID) {
		return []domain.Bucket{}, nil
	}
	query := s.db.WithContext(ctx).Table(tableBuckets).Select(bucketColumns).
		Where("org_id = ? AND credential_id = ? AND deleted_at IS NULL", canonicalID(orgID), canonicalID(credentialID)).Order("id")
	buckets, err := findBuckets(query, scanRoomUpFront)
	return buckets, wrap("list the credential's buckets", err)
}

// lockCredential locks the live credential's row for the rest of tx (FOR UPDATE on PostgreSQL;
// SQLite's immediate transaction holds the write lock already), which every attach of a bucket
// waits for (migration 0013's trigger), and returns its secret version and the ids of the live
// buckets that use it, read after the lock so that no attach committed before it is missed.
func (s *Store) lockCredential(tx *gorm.DB, orgID, credentialID string) (version int64, buckets []string, err error) {
	var versions []int64
	if err := tx.Raw("SELECT secret_version FROM credentials WHERE id = ? AND org_id = ? AND deleted_at IS NULL"+s.dialect.rowLock(),
		canonicalID(credentialID), canonicalID(orgID)).Scan(&versions).Error; err != nil {
		return 0, nil, fmt.Errorf("lock the credential: %w", err)
	}
	if len(versions) == 0 {
		return 0, nil, credentialNotFound(credentialID)
	}
	if err := tx.Raw("SELECT id FROM buckets WHERE credential_id = ? AND deleted_at IS NULL ORDER BY id",
		canonicalID(credentialID)).Scan(&buckets).Error; err != nil {
		return 0, nil, fmt.Errorf("list the credential's buckets: %w", err)
	}
	return versions[0], buckets, nil
}

// UpdateCredential writes ch under the credential's row lock: see ports.CredentialStore.
func (s *Store) UpdateCredential(ctx context.Context, ch ports.CredentialChange) error {
	c := ch.Next
	if !domain.IsID(c.OrgID) || !domain.IsID(c.ID) {
		return credentialNotFound(c.ID)
	}
	at := ch.At.UTC()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		version, using, err := s.lockCredential(tx, c.OrgID, c.ID)
		if err != nil {
			return err
		}
		if version != c.SecretVersion {
			return domain.Errorf(domain.KindConflict, "API key %s was rotated while this request ran; read it again and retry", c.ID)
		}
		columns := map[string]any{"description": c.Description, "region": c.Region, "updated_at": at}
		if !ch.Rotated {
			return tx.Table(tableCredentials).Where("id = ?", canonicalID(c.ID)).Updates(columns).Error
		}
		validated := canonicalIDs(ch.Validated)
		if missed := slices.DeleteFunc(slices.Clone(using), func(id string) bool { return slices.Contains(validated, id) }); len(missed) > 0 {
			return domain.Errorf(domain.KindConflict,
				"bucket %s started using API key %s while its new values were checked; retry the rotation", missed[0], c.ID)
		}
		next := version + 1
		columns["key_hint"], columns["sealed_key"] = c.KeyHint, c.SealedKey
		columns["sealed_secret"], columns["sealed_session_token"] = nonNil(c.SealedSecret), nonNil(c.SealedSessionToken)
		columns["tenant_id"], columns["secret_fingerprint"], columns["secret_version"] = c.TenantID, nullIfEmpty(c.SecretFingerprint), next
		if err := tx.Table(tableCredentials).Where("id = ?", canonicalID(c.ID)).Updates(columns).Error; err != nil {
			return err
		}
		if len(using) == 0 {
			return nil
		}
		// The buckets were proved with the new values just now: they follow the credential and
		// record that proof, and an earlier read of them (a health check of the old values)
		// can no longer record its verdict.
		_, err = updateToNextVersion(tx.Table(tableBuckets).Where("id IN ? AND deleted_at IS NULL", using), map[string]any{
			"credential_version": next, "key_hint": c.KeyHint, "secret_fingerprint": nullIfEmpty(c.SecretFingerprint),
			"secret_version": gorm.Expr("secret_version + 1"), "credentials_updated_at": at,
			"status": string(domain.StatusOnline), "status_message": nil, "last_status_at": at,
		})
		return err
	})
	return wrap("update credential", err)
}

// DeleteCredential soft-deletes a live credential no live bucket uses, under its row lock.
func (s *Store) DeleteCredential(ctx context.Context, orgID, credentialID string, at time.Time) error {
	if !domain.IsID(orgID) || !domain.IsID(credentialID) {
		return credentialNotFound(credentialID)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, using, err := s.lockCredential(tx, orgID, credentialID)
		if err != nil {
			return err
		}
		if len(using) > 0 {
			return domain.Errorf(domain.KindCredentialInUse,
				"API key %s is used by %d bucket(s); point them at other credentials or delete them first", credentialID, len(using))
		}
		return tx.Table(tableCredentials).Where("id = ?", canonicalID(credentialID)).
			Updates(map[string]any{"deleted_at": at.UTC(), "updated_at": at.UTC()}).Error
	})
	return wrap("delete credential", err)
}
