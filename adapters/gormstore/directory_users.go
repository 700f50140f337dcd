package gormstore

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// ListUsers returns an organization's users with the ids of their workspaces, oldest first; an
// unknown organization is a KindNotFound error.
func (s *Store) ListUsers(ctx context.Context, orgID string) ([]ports.UserRecord, error) {
	db := s.db.WithContext(ctx)
	if err := requireOrganization(db, orgID); err != nil {
		return nil, wrap("list users", err)
	}
	orgID = canonicalID(orgID)
	var users []userRow
	if err := db.Where("org_id = ?", orgID).Order("created_at, id").Find(&users).Error; err != nil {
		return nil, wrap("list users", err)
	}
	var members []workspaceMemberRow
	err := db.Table(tableWorkspaceMembers+" AS m").Select("m.user_id, m.workspace_id").
		Joins("JOIN users AS u ON u.id = m.user_id").
		Where("u.org_id = ?", orgID).
		Order("m.workspace_id").
		Scan(&members).Error
	if err != nil {
		return nil, wrap("list workspace memberships", err)
	}
	workspaces := map[string][]string{}
	for _, m := range members {
		workspaces[m.UserID] = append(workspaces[m.UserID], m.WorkspaceID)
	}
	out := make([]ports.UserRecord, len(users))
	for i, u := range users {
		out[i] = ports.UserRecord{User: u.toDomain(), CreatedAt: u.CreatedAt.UTC(), Workspaces: workspaces[u.ID]}
	}
	return out, nil
}

// SetRole changes a user's role. Authenticate reads the role on every request, so the change
// applies to the user's next request; an unknown user is a KindNotFound error.
func (s *Store) SetRole(ctx context.Context, userID string, role domain.Role) error {
	if err := checkRole(role); err != nil {
		return err
	}
	if !domain.IsID(userID) {
		return userNotFound(userID)
	}
	res := s.db.WithContext(ctx).Table(tableUsers).Where("id = ?", canonicalID(userID)).Update("role", string(role))
	if res.Error != nil {
		return wrap("set role", res.Error)
	}
	if res.RowsAffected == 0 {
		return userNotFound(userID)
	}
	return nil
}

// AddMembership makes a user a member of a live workspace of the user's own organization with
// a role and reports whether it was not one already; an existing membership keeps its role. A
// workspace of another organization is a KindWorkspaceNotFound error, an unknown user a
// KindNotFound error.
func (s *Store) AddMembership(ctx context.Context, userID, workspaceID string, role domain.WorkspaceRole) (bool, error) {
	if _, err := domain.ParseWorkspaceRole(string(role)); err != nil {
		return false, err
	}
	var added bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		member, err := membership(tx, userID, workspaceID)
		if err != nil {
			return err
		}
		member.Role = string(role)
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&member)
		added = res.RowsAffected == 1
		return res.Error
	})
	return added, wrap("add workspace membership", err)
}

// RemoveMembership ends a user's membership of a workspace of the user's own organization and
// reports whether there was one. A workspace of another organization is a
// KindWorkspaceNotFound error, an unknown user a KindNotFound error.
func (s *Store) RemoveMembership(ctx context.Context, userID, workspaceID string) (bool, error) {
	var removed bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		member, err := membership(tx, userID, workspaceID)
		if err != nil {
			return err
		}
		res := tx.Where("user_id = ? AND workspace_id = ?", member.UserID, member.WorkspaceID).Delete(&workspaceMemberRow{})
		removed = res.RowsAffected == 1
		return res.Error
	})
	return removed, wrap("remove workspace membership", err)
}

// membership checks that the user exists and the workspace belongs to the user's organization,
// and returns the membership row that joins them.
func membership(tx *gorm.DB, userID, workspaceID string) (workspaceMemberRow, error) {
	if !domain.IsID(userID) {
		return workspaceMemberRow{}, userNotFound(userID)
	}
	var orgIDs []string
	if err := tx.Table(tableUsers).Where("id = ?", canonicalID(userID)).Pluck("org_id", &orgIDs).Error; err != nil {
		return workspaceMemberRow{}, fmt.Errorf("look up user: %w", err)
	}
	if len(orgIDs) == 0 {
		return workspaceMemberRow{}, userNotFound(userID)
	}
	workspaceID = canonicalID(workspaceID)
	if err := checkWorkspacesInOrg(tx, orgIDs[0], []string{workspaceID}); err != nil {
		return workspaceMemberRow{}, err
	}
	return workspaceMemberRow{UserID: canonicalID(userID), WorkspaceID: workspaceID}, nil
}

func userNotFound(userID string) error {
	return domain.Errorf(domain.KindNotFound, "user %s does not exist", userID)
}
