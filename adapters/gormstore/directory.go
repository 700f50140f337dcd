package gormstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
)

// CreateOrganization stores an organization, its first workspace and its admin, who becomes a
// member of the workspace, in one transaction. ws and admin must name org as their
// organization and admin must have the ADMIN role. An organization without a plan gets the
// free trial. An email already in use is a KindInvalidInput error.
func (s *Store) CreateOrganization(ctx context.Context, org domain.Organization, ws domain.Workspace, admin domain.User) error {
	if org.Plan == "" {
		org.Plan = domain.PlanFreeTrial
	}
	if _, err := domain.ParsePlan(string(org.Plan)); err != nil {
		return err
	}
	if org.BucketLimit != nil && *org.BucketLimit < 0 {
		return domain.Errorf(domain.KindInvalidInput, "bucket limit %d is negative; use 0 or more, or no limit for the plan's default", *org.BucketLimit)
	}
	if ws.OrgID != org.ID || admin.OrgID != org.ID {
		return fmt.Errorf("create organization %s: the workspace and the admin must belong to it", org.ID)
	}
	if admin.Role != domain.RoleAdmin {
		return fmt.Errorf("create organization %s: the first user must have role %s, not %q", org.ID, domain.RoleAdmin, admin.Role)
	}
	now := time.Now().UTC()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		externalID := org.ExternalID
		if externalID == "" {
			externalID = domain.NewExternalID()
		}
		row := organizationRow{ID: org.ID, Name: org.Name, Plan: string(org.Plan), BucketLimit: org.BucketLimit,
			ExternalID: externalID, CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("insert organization: %w", err)
		}
		if err := insertWorkspace(tx, ws, now); err != nil {
			return err
		}
		return insertUser(tx, admin, []string{ws.ID}, domain.WorkspaceAdmin, now)
	})
	if violatesUnique(err, indexUserEmail) {
		return emailTaken(admin.Email)
	}
	return wrap("create organization", err)
}

// AddUser adds a user to an existing organization as a member of the given workspaces, which
// must belong to that organization (KindWorkspaceNotFound otherwise). An email already in use
// is a KindInvalidInput error; a missing organization is a KindNotFound error.
func (s *Store) AddUser(ctx context.Context, user domain.User, workspaceIDs []string) error {
	if err := checkRole(user.Role); err != nil {
		return err
	}
	if !domain.IsID(user.OrgID) {
		return organizationNotFound(user.OrgID)
	}
	user.ID, user.OrgID = canonicalID(user.ID), canonicalID(user.OrgID)
	ids := canonicalIDs(workspaceIDs)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkWorkspacesInOrg(tx, user.OrgID, ids); err != nil {
			return err
		}
		return insertUser(tx, user, ids, domain.DefaultWorkspaceRole, time.Now().UTC())
	})
	switch {
	case violatesUnique(err, indexUserEmail):
		return emailTaken(user.Email)
	case violatesForeignKey(err):
		return organizationNotFound(user.OrgID)
	}
	return wrap("add user", err)
}

// UserByEmail finds a user by email, ignoring case, or returns a KindNotFound error.
func (s *Store) UserByEmail(ctx context.Context, email string) (domain.User, error) {
	var row userRow
	err := s.db.WithContext(ctx).Where("lower(email) = lower(?)", email).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.User{}, domain.Errorf(domain.KindNotFound, "no user has the email %q; check the address", email)
	}
	if err != nil {
		return domain.User{}, wrap("find user by email", err)
	}
	return row.toDomain(), nil
}

// InsertToken stores a token's digest for a user; a missing user is a KindNotFound error.
func (s *Store) InsertToken(ctx context.Context, token domain.APIToken) error {
	created := token.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	row := apiTokenRow{
		ID:        token.ID,
		UserID:    token.UserID,
		Digest:    token.Digest,
		CreatedAt: created.UTC(),
		ExpiresAt: utcPtr(token.ExpiresAt),
	}
	// An API token has no session; leaving the column out keeps the insert valid on a schema
	// migrated only up to a version before sessions, as the migration tests build.
	err := s.db.WithContext(ctx).Omit("session_id").Create(&row).Error
	if violatesForeignKey(err) {
		return userNotFound(token.UserID)
	}
	return wrap("insert API token", err)
}

func insertWorkspace(tx *gorm.DB, ws domain.Workspace, now time.Time) error {
	row := workspaceRow{ID: ws.ID, OrgID: ws.OrgID, Name: ws.Name, CreatedAt: now}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("insert workspace: %w", err)
	}
	return nil
}

// insertUser stores a user and the user's workspace memberships, each with role.
func insertUser(tx *gorm.DB, user domain.User, workspaceIDs []string, role domain.WorkspaceRole, now time.Time) error {
	row := userRow{ID: user.ID, OrgID: user.OrgID, Email: user.Email, Role: string(user.Role), CreatedAt: now}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	if len(workspaceIDs) == 0 {
		return nil
	}
	members := make([]workspaceMemberRow, len(workspaceIDs))
	for i, ws := range workspaceIDs {
		members[i] = workspaceMemberRow{UserID: user.ID, WorkspaceID: ws, Role: string(role)}
	}
	if err := tx.Create(&members).Error; err != nil {
		return fmt.Errorf("insert workspace memberships: %w", err)
	}
	return nil
}

// checkWorkspacesInOrg returns a KindWorkspaceNotFound error naming the ids that are not live
// workspaces of the organization, if any. A malformed id is one of them; it is not sent to the
// database, whose uuid type would reject it.
func checkWorkspacesInOrg(tx *gorm.DB, orgID string, ids []string) error {
	valid := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !domain.IsID(id) })
	var found []string
	if len(valid) > 0 {
		err := tx.Model(&workspaceRow{}).Where("org_id = ? AND id IN ? AND "+liveWorkspace, orgID, valid).Pluck("id", &found).Error
		if err != nil {
			return fmt.Errorf("check workspaces: %w", err)
		}
	}
	missing := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(found, id) })
	if len(missing) == 0 {
		return nil
	}
	return domain.Errorf(domain.KindWorkspaceNotFound,
		"workspace %s does not exist in organization %s; use the id of one of its workspaces", strings.Join(missing, ", "), orgID)
}

// checkRole rejects a role bucketd does not know.
func checkRole(role domain.Role) error {
	if role != domain.RoleAdmin && role != domain.RoleMember {
		return domain.Errorf(domain.KindInvalidInput, "role %q is not one of %s, %s", role, domain.RoleAdmin, domain.RoleMember)
	}
	return nil
}

// canonicalIDs lowercases ids and drops duplicates, so a repeated id is one membership.
func canonicalIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, canonicalID(id))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func emailTaken(email string) error {
	return domain.Errorf(domain.KindInvalidInput, "a user with the email %q already exists; use another email address", email)
}

// IsEmpty reports whether no organization exists yet; `bucketd serve --dev` bootstraps a dev
// organization only then.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&organizationRow{}).Limit(1).Count(&n).Error; err != nil {
		return false, wrap("count organizations", err)
	}
	return n == 0, nil
}
