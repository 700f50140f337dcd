package gormstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// organizationRecordRow is an organization joined with its live bucket count.
type organizationRecordRow struct {
	ID          string    `gorm:"column:id"`
	Name        string    `gorm:"column:name"`
	Plan        string    `gorm:"column:plan"`
	BucketLimit *int      `gorm:"column:bucket_limit"`
	ExternalID  string    `gorm:"column:external_id"`
	CreatedAt   time.Time `gorm:"column:created_at"`
	Buckets     int       `gorm:"column:buckets"`
}

func (r organizationRecordRow) toRecord() ports.OrganizationRecord {
	return ports.OrganizationRecord{
		Organization: domain.Organization{ID: r.ID, Name: r.Name, Plan: domain.Plan(r.Plan), BucketLimit: r.BucketLimit,
			ExternalID: r.ExternalID},
		CreatedAt: r.CreatedAt.UTC(),
		Buckets:   r.Buckets,
	}
}

// organizationRecords selects organizations with their live bucket counts, oldest first.
func organizationRecords(db *gorm.DB) *gorm.DB {
	return db.Table(tableOrganizations + " AS o").
		Select("o.id, o.name, o.plan, o.bucket_limit, o.external_id, o.created_at, " +
			"(SELECT count(*) FROM buckets AS b WHERE b.org_id = o.id AND b.deleted_at IS NULL) AS buckets").
		Order("o.created_at, o.id")
}

// ListOrganizations returns every organization with its live bucket count, oldest first.
func (s *Store) ListOrganizations(ctx context.Context) ([]ports.OrganizationRecord, error) {
	var rows []organizationRecordRow
	if err := organizationRecords(s.db.WithContext(ctx)).Scan(&rows).Error; err != nil {
		return nil, wrap("list organizations", err)
	}
	out := make([]ports.OrganizationRecord, len(rows))
	for i, r := range rows {
		out[i] = r.toRecord()
	}
	return out, nil
}

// UpdateOrganization changes an organization's plan and limit override in one transaction and
// returns the organization as it then is. The UPDATE locks the organization's row, as every
// bucket insert does before its quota check, so an insert either ran before the change or
// sees the new limit. A limit below the live bucket count is stored: existing buckets stay and
// inserts are refused until enough are deleted.
func (s *Store) UpdateOrganization(ctx context.Context, orgID string, change ports.OrganizationChange) (ports.OrganizationRecord, error) {
	columns, err := organizationColumns(change)
	if err != nil {
		return ports.OrganizationRecord{}, err
	}
	if !domain.IsID(orgID) {
		return ports.OrganizationRecord{}, organizationNotFound(orgID)
	}
	orgID = canonicalID(orgID)
	var row organizationRecordRow
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if len(columns) > 0 {
			if err := tx.Table(tableOrganizations).Where("id = ?", orgID).Updates(columns).Error; err != nil {
				return err
			}
		}
		err := organizationRecords(tx).Where("o.id = ?", orgID).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return organizationNotFound(orgID)
		}
		if err != nil {
			return fmt.Errorf("read organization back: %w", err)
		}
		return nil
	})
	if err != nil {
		return ports.OrganizationRecord{}, wrap("update organization", err)
	}
	return row.toRecord(), nil
}

// organizationColumns checks a change and returns the columns it sets.
func organizationColumns(change ports.OrganizationChange) (map[string]any, error) {
	columns := map[string]any{}
	if change.Plan != "" {
		if _, err := domain.ParsePlan(string(change.Plan)); err != nil {
			return nil, err
		}
		columns["plan"] = string(change.Plan)
	}
	switch {
	case change.BucketLimit != nil && change.ClearBucketLimit:
		return nil, domain.Errorf(domain.KindInvalidInput, "give a new bucket limit or clear it, not both")
	case change.BucketLimit != nil && *change.BucketLimit < 0:
		return nil, domain.Errorf(domain.KindInvalidInput, "bucket limit %d is negative; use 0 or more, or clear the limit for the plan's default", *change.BucketLimit)
	case change.BucketLimit != nil:
		columns["bucket_limit"] = *change.BucketLimit
	case change.ClearBucketLimit:
		columns["bucket_limit"] = nil
	}
	return columns, nil
}

// requireOrganization returns a KindNotFound error unless the organization exists.
func requireOrganization(db *gorm.DB, orgID string) error {
	if !domain.IsID(orgID) {
		return organizationNotFound(orgID)
	}
	found, err := exists(db, "SELECT 1 FROM organizations WHERE id = ?", canonicalID(orgID))
	if err != nil {
		return fmt.Errorf("look up organization: %w", err)
	}
	if !found {
		return organizationNotFound(orgID)
	}
	return nil
}

// workspaceRecordRow is a workspace with its member and live bucket counts.
type workspaceRecordRow struct {
	ID        string    `gorm:"column:id"`
	OrgID     string    `gorm:"column:org_id"`
	Name      string    `gorm:"column:name"`
	CreatedAt time.Time `gorm:"column:created_at"`
	Members   int       `gorm:"column:members"`
	Buckets   int       `gorm:"column:buckets"`
}

// ListWorkspaces returns an organization's live workspaces with their member and live bucket
// counts, oldest first; an unknown organization is a KindNotFound error.
func (s *Store) ListWorkspaces(ctx context.Context, orgID string) ([]ports.WorkspaceRecord, error) {
	db := s.db.WithContext(ctx)
	if err := requireOrganization(db, orgID); err != nil {
		return nil, wrap("list workspaces", err)
	}
	out, err := workspaceRecords(db, canonicalID(orgID))
	return out, wrap("list workspaces", err)
}

// workspaceRecords reads the live workspaces of an organization that db selects, with their
// counts, oldest first.
func workspaceRecords(db *gorm.DB, orgID string) ([]ports.WorkspaceRecord, error) {
	var rows []workspaceRecordRow
	err := db.Table(tableWorkspaces+" AS w").
		Select("w.id, w.org_id, w.name, w.created_at, "+
			"(SELECT count(*) FROM workspace_members AS m WHERE m.workspace_id = w.id) AS members, "+
			"(SELECT count(*) FROM buckets AS b WHERE b.org_id = w.org_id AND b.workspace_id = w.id AND b.deleted_at IS NULL) AS buckets").
		Where("w.org_id = ? AND w."+liveWorkspace, orgID).
		Order("w.created_at, w.id").
		Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]ports.WorkspaceRecord, len(rows))
	for i, r := range rows {
		out[i] = ports.WorkspaceRecord{
			Workspace: domain.Workspace{ID: r.ID, OrgID: r.OrgID, Name: r.Name},
			CreatedAt: r.CreatedAt.UTC(),
			Members:   r.Members,
			Buckets:   r.Buckets,
		}
	}
	return out, nil
}
