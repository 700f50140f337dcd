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

// liveWorkspace is the condition that keeps deleted workspaces out of every read.
const liveWorkspace = "deleted_at IS NULL"

// CreateWorkspace adds a workspace to an existing organization; a missing organization is a
// KindNotFound error, a name a live workspace of the organization has (domain.NameKey) a
// KindNameTaken error. It holds the organization's row locked, as every workspace write does,
// so that two writes cannot both find a name free.
func (s *Store) CreateWorkspace(ctx context.Context, ws domain.Workspace) error {
	if !domain.IsID(ws.OrgID) {
		return organizationNotFound(ws.OrgID)
	}
	ws.ID, ws.OrgID = canonicalID(ws.ID), canonicalID(ws.OrgID)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := lockOrganization(tx, ws.OrgID, s.dialect); err != nil {
			return err
		}
		if err := checkWorkspaceNameFree(tx, ws.OrgID, "", ws.Name); err != nil {
			return err
		}
		return insertWorkspace(tx, ws, time.Now().UTC())
	})
	return wrap("create workspace", err)
}

// RenameWorkspace renames a live workspace of the organization under the organization's lock
// and returns it with its counts.
func (s *Store) RenameWorkspace(ctx context.Context, orgID, workspaceID, name string) (ports.WorkspaceRecord, error) {
	if !domain.IsID(orgID) || !domain.IsID(workspaceID) {
		return ports.WorkspaceRecord{}, workspaceNotFound(workspaceID)
	}
	orgID, workspaceID = canonicalID(orgID), canonicalID(workspaceID)
	var record ports.WorkspaceRecord
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := lockOrganization(tx, orgID, s.dialect); err != nil {
			return notFoundAsWorkspace(err, workspaceID)
		}
		if err := checkWorkspaceNameFree(tx, orgID, workspaceID, name); err != nil {
			return err
		}
		res := tx.Table(tableWorkspaces).Where("id = ? AND org_id = ? AND "+liveWorkspace, workspaceID, orgID).Update("name", name)
		if res.Error != nil {
			return fmt.Errorf("rename workspace: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return workspaceNotFound(workspaceID)
		}
		records, err := workspaceRecords(tx.Where("w.id = ?", workspaceID), orgID)
		if err != nil || len(records) == 0 {
			return fmt.Errorf("read workspace back: %w", err)
		}
		record = records[0]
		return nil
	})
	return record, wrap("rename workspace", err)
}

// DeleteWorkspace soft-deletes a live workspace of the organization and deletes its memberships,
// in one transaction that first locks the organization's row. Every bucket insert takes that
// lock before it inserts, so the live bucket count read here is final until the commit, and an
// insert that waited for the lock finds the workspace deleted (migration 0011's trigger refuses
// it as an unknown workspace).
func (s *Store) DeleteWorkspace(ctx context.Context, orgID, workspaceID string, at time.Time) error {
	if !domain.IsID(orgID) || !domain.IsID(workspaceID) {
		return workspaceNotFound(workspaceID)
	}
	orgID, workspaceID = canonicalID(orgID), canonicalID(workspaceID)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := lockOrganization(tx, orgID, s.dialect); err != nil {
			return notFoundAsWorkspace(err, workspaceID)
		}
		var counts struct {
			Found   bool `gorm:"column:found"`
			Live    int  `gorm:"column:live"`
			Buckets int  `gorm:"column:buckets"`
		}
		err := tx.Raw("SELECT EXISTS (SELECT 1 FROM workspaces WHERE id = ? AND org_id = ? AND "+liveWorkspace+") AS found, "+
			"(SELECT count(*) FROM workspaces WHERE org_id = ? AND "+liveWorkspace+") AS live, "+
			"(SELECT count(*) FROM buckets WHERE org_id = ? AND workspace_id = ? AND deleted_at IS NULL) AS buckets",
			workspaceID, orgID, orgID, orgID, workspaceID).Scan(&counts).Error
		switch {
		case err != nil:
			return fmt.Errorf("count the workspace's buckets: %w", err)
		case !counts.Found:
			return workspaceNotFound(workspaceID)
		case counts.Buckets > 0:
			return domain.Errorf(domain.KindConflict,
				"workspace %s holds %d live bucket(s); delete them first, then delete the workspace", workspaceID, counts.Buckets)
		case counts.Live <= 1:
			return domain.Errorf(domain.KindConflict,
				"workspace %s is the organization's last workspace, and buckets need one; create another workspace first", workspaceID)
		}
		if err := tx.Where("workspace_id = ?", workspaceID).Delete(&workspaceMemberRow{}).Error; err != nil {
			return fmt.Errorf("delete the workspace's memberships: %w", err)
		}
		if err := tx.Table(tableWorkspaces).Where("id = ?", workspaceID).Update("deleted_at", at.UTC()).Error; err != nil {
			return fmt.Errorf("mark the workspace deleted: %w", err)
		}
		return nil
	})
	return wrap("delete workspace", err)
}

// WorkspaceMembers returns the memberships of the organization's live workspaces with their
// users, by workspace id then email.
func (s *Store) WorkspaceMembers(ctx context.Context, orgID string) ([]ports.WorkspaceMember, error) {
	if !domain.IsID(orgID) {
		return nil, organizationNotFound(orgID)
	}
	var rows []struct {
		WorkspaceID string `gorm:"column:workspace_id"`
		MemberRole  string `gorm:"column:member_role"`
		UserID      string `gorm:"column:user_id"`
		OrgID       string `gorm:"column:org_id"`
		Email       string `gorm:"column:email"`
		UserRole    string `gorm:"column:user_role"`
	}
	err := s.db.WithContext(ctx).Table(tableWorkspaceMembers+" AS m").
		Select("m.workspace_id, m.role AS member_role, u.id AS user_id, u.org_id, u.email, u.role AS user_role").
		Joins("JOIN "+tableWorkspaces+" AS w ON w.id = m.workspace_id").
		Joins("JOIN "+tableUsers+" AS u ON u.id = m.user_id").
		Where("w.org_id = ? AND w."+liveWorkspace, canonicalID(orgID)).
		Order("m.workspace_id, u.email").
		Scan(&rows).Error
	if err != nil {
		return nil, wrap("list workspace members", err)
	}
	out := make([]ports.WorkspaceMember, len(rows))
	for i, r := range rows {
		out[i] = ports.WorkspaceMember{WorkspaceID: r.WorkspaceID, Role: domain.WorkspaceRole(r.MemberRole),
			User: domain.User{ID: r.UserID, OrgID: r.OrgID, Email: r.Email, Role: domain.Role(r.UserRole)}}
	}
	return out, nil
}

// UserInOrg finds a user of the organization by id.
func (s *Store) UserInOrg(ctx context.Context, orgID, userID string) (domain.User, error) {
	if !domain.IsID(orgID) || !domain.IsID(userID) {
		return domain.User{}, userNotInOrg(userID)
	}
	var row userRow
	err := s.db.WithContext(ctx).Where("id = ? AND org_id = ?", canonicalID(userID), canonicalID(orgID)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.User{}, userNotInOrg(userID)
	}
	if err != nil {
		return domain.User{}, wrap("find user", err)
	}
	return row.toDomain(), nil
}

// SetMembershipRole changes a member's role in a workspace of the user's own organization and
// returns the role it had.
func (s *Store) SetMembershipRole(ctx context.Context, userID, workspaceID string, role domain.WorkspaceRole) (domain.WorkspaceRole, error) {
	if _, err := domain.ParseWorkspaceRole(string(role)); err != nil {
		return "", err
	}
	var previous domain.WorkspaceRole
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		member, err := membership(tx, userID, workspaceID)
		if err != nil {
			return err
		}
		var roles []string
		where := tx.Table(tableWorkspaceMembers).Where("user_id = ? AND workspace_id = ?", member.UserID, member.WorkspaceID)
		if err := where.Pluck("role", &roles).Error; err != nil {
			return fmt.Errorf("read the membership: %w", err)
		}
		if len(roles) == 0 {
			return domain.Errorf(domain.KindNotFound, "user %s is not a member of workspace %s; add them first", userID, workspaceID)
		}
		previous = domain.WorkspaceRole(roles[0])
		return tx.Table(tableWorkspaceMembers).Where("user_id = ? AND workspace_id = ?", member.UserID, member.WorkspaceID).
			Update("role", string(role)).Error
	})
	return previous, wrap("set workspace role", err)
}

// checkWorkspaceNameFree returns a KindNameTaken error when a live workspace of the organization
// other than except has a name with name's key. The names are compared in Go, where
// domain.NameKey is defined; an organization has few workspaces.
func checkWorkspaceNameFree(tx *gorm.DB, orgID, except, name string) error {
	var names []string
	err := tx.Table(tableWorkspaces).Where("org_id = ? AND id <> ? AND "+liveWorkspace, orgID, nullableID(except)).Pluck("name", &names).Error
	if err != nil {
		return fmt.Errorf("read the organization's workspace names: %w", err)
	}
	key := domain.NameKey(name)
	for _, n := range names {
		if domain.NameKey(n) == key {
			return domain.Errorf(domain.KindNameTaken,
				"workspace name %q is already used by workspace %q of this organization; choose another name", name, n)
		}
	}
	return nil
}

// nullableID is an id to compare with, or a value no id equals: "" is not a uuid PostgreSQL
// accepts.
func nullableID(id string) any {
	if id == "" {
		return "00000000-0000-0000-0000-000000000000"
	}
	return id
}

// notFoundAsWorkspace answers a missing organization as the workspace the caller named: a
// caller only ever names workspaces of its own organization.
func notFoundAsWorkspace(err error, workspaceID string) error {
	if domain.IsKind(err, domain.KindNotFound) {
		return workspaceNotFound(workspaceID)
	}
	return err
}

func workspaceNotFound(workspaceID string) error {
	return domain.Errorf(domain.KindNotFound, "workspace %s not found in this organization", workspaceID)
}

func userNotInOrg(userID string) error {
	return domain.Errorf(domain.KindNotFound, "user %s not found in this organization", userID)
}
