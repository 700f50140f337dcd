package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Workspaces runs the workspace use cases for an authenticated principal: it decides what the
// caller may do and then runs the operator's use cases (Admin), which do the work, the log
// line and the audit event for the command line and the API alike.
//
// Who may do what: an organization ADMIN manages every workspace of the organization and its
// memberships; a member sees the workspaces it is a member of, and a workspace ADMIN also
// manages that workspace's memberships. Creating, renaming and deleting workspaces is the
// organization ADMIN's alone. A workspace of another organization is KindNotFound, exactly like
// an unknown id, so ids cannot be probed; a workspace of the caller's own organization that a
// member may not act on is KindForbidden, naming what the member lacks.
type Workspaces struct {
	admin *Admin
}

// NewWorkspaces wraps the operator's use cases for API callers.
func NewWorkspaces(admin *Admin) (*Workspaces, error) {
	if admin == nil {
		return nil, errors.New("app.NewWorkspaces: admin is nil")
	}
	return &Workspaces{admin: admin}, nil
}

// WorkspaceView is a workspace with its members, as the API answers it.
type WorkspaceView struct {
	domain.Workspace
	Members []ports.WorkspaceMember
}

// List returns the workspaces the caller may see, oldest first, with their members: every
// workspace of the organization for an organization ADMIN, the member's own for a member.
func (w *Workspaces) List(ctx context.Context, p domain.Principal) ([]WorkspaceView, error) {
	views, err := w.views(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	visible := views[:0]
	for _, v := range views {
		if p.MayUseWorkspace(v.ID) {
			visible = append(visible, v)
		}
	}
	return visible, nil
}

// Get returns one workspace of the caller's organization with its members.
func (w *Workspaces) Get(ctx context.Context, p domain.Principal, workspaceID string) (WorkspaceView, error) {
	views, err := w.views(ctx, p.OrgID)
	if err != nil {
		return WorkspaceView{}, err
	}
	for _, v := range views {
		if v.ID == canonicalWorkspaceID(workspaceID) {
			if !p.MayUseWorkspace(v.ID) {
				return WorkspaceView{}, notMember(v.ID)
			}
			return v, nil
		}
	}
	return WorkspaceView{}, workspaceNotFound(workspaceID)
}

// Create adds a workspace to the caller's organization; organization ADMINs only.
func (w *Workspaces) Create(ctx context.Context, p domain.Principal, name string) (domain.Workspace, error) {
	if p.Role != domain.RoleAdmin {
		return domain.Workspace{}, needsOrgAdmin("creating a workspace")
	}
	return w.admin.createWorkspace(ctx, p.UserID, p.OrgID, name)
}

// Update renames a workspace of the caller's organization; organization ADMINs only. A nil name
// changes nothing and answers the workspace as it is.
func (w *Workspaces) Update(ctx context.Context, p domain.Principal, workspaceID string, name *string) (domain.Workspace, error) {
	id, err := w.authorize(ctx, p, workspaceID, "renaming a workspace", false)
	if err != nil {
		return domain.Workspace{}, err
	}
	if name == nil {
		v, err := w.Get(ctx, p, id)
		return v.Workspace, err
	}
	record, err := w.admin.renameWorkspace(ctx, p.UserID, p.OrgID, id, *name)
	return record.Workspace, err
}

// Delete deletes an empty workspace of the caller's organization; organization ADMINs only.
func (w *Workspaces) Delete(ctx context.Context, p domain.Principal, workspaceID string) error {
	id, err := w.authorize(ctx, p, workspaceID, "deleting a workspace", false)
	if err != nil {
		return err
	}
	return w.admin.deleteWorkspace(ctx, p.UserID, p.OrgID, id)
}

// AddUser makes a user of the caller's organization a member of a workspace with a role. A user
// who already is a member is KindConflict naming the role it has: a role changes with SetRole.
func (w *Workspaces) AddUser(ctx context.Context, p domain.Principal, workspaceID, userID, role string) error {
	id, user, err := w.authorizeMembership(ctx, p, workspaceID, userID)
	if err != nil {
		return err
	}
	change, err := w.admin.addMember(ctx, p.UserID, user, id, role)
	if err == nil && !change.Changed {
		return domain.Errorf(domain.KindConflict,
			"user %s already is a member of workspace %s; change the role with PUT /workspace/%s/users/%s", user.ID, id, id, user.ID)
	}
	return err
}

// SetRole changes the role of a member of a workspace of the caller's organization.
func (w *Workspaces) SetRole(ctx context.Context, p domain.Principal, workspaceID, userID, role string) error {
	id, user, err := w.authorizeMembership(ctx, p, workspaceID, userID)
	if err != nil {
		return err
	}
	_, err = w.admin.setMemberRole(ctx, p.UserID, user, id, role)
	return err
}

// RemoveUser ends a membership of a workspace of the caller's organization; a user who is not a
// member is KindNotFound.
func (w *Workspaces) RemoveUser(ctx context.Context, p domain.Principal, workspaceID, userID string) error {
	id, user, err := w.authorizeMembership(ctx, p, workspaceID, userID)
	if err != nil {
		return err
	}
	change, err := w.admin.removeMember(ctx, p.UserID, user, id)
	if err == nil && !change.Changed {
		return domain.Errorf(domain.KindNotFound, "user %s is not a member of workspace %s", user.ID, id)
	}
	return err
}

// authorize finds a live workspace of the caller's organization (KindNotFound otherwise) and
// checks that the caller may manage it: an organization ADMIN always, a workspace ADMIN when
// memberships is set (they manage that workspace's memberships). It returns the canonical id.
func (w *Workspaces) authorize(ctx context.Context, p domain.Principal, workspaceID, action string, memberships bool) (string, error) {
	records, err := w.admin.workspaces.ListWorkspaces(ctx, p.OrgID)
	if err != nil {
		return "", fmt.Errorf("list workspaces of organization %s: %w", p.OrgID, err)
	}
	id := canonicalWorkspaceID(workspaceID)
	for _, r := range records {
		if r.ID != id {
			continue
		}
		switch {
		case p.Role == domain.RoleAdmin:
			return id, nil
		case memberships && p.MayInWorkspace(id, domain.WorkspaceAdmin):
			return id, nil
		case memberships:
			return "", domain.Errorf(domain.KindForbidden,
				"%s needs the organization's ADMIN role or the ADMIN role in workspace %s; yours is %s; ask an admin",
				action, id, roleIn(p, id))
		}
		return "", needsOrgAdmin(action)
	}
	return "", workspaceNotFound(workspaceID)
}

// authorizeMembership authorizes a membership change of workspaceID and finds the user, who
// must belong to the caller's organization (KindNotFound otherwise, like an unknown id).
func (w *Workspaces) authorizeMembership(ctx context.Context, p domain.Principal, workspaceID, userID string) (string, domain.User, error) {
	id, err := w.authorize(ctx, p, workspaceID, "managing a workspace's members", true)
	if err != nil {
		return "", domain.User{}, err
	}
	user, err := w.admin.users.UserInOrg(ctx, p.OrgID, canonicalWorkspaceID(userID))
	if err != nil {
		return "", domain.User{}, err
	}
	return id, user, nil
}

// views reads the organization's live workspaces and their memberships, two statements.
func (w *Workspaces) views(ctx context.Context, orgID string) ([]WorkspaceView, error) {
	records, err := w.admin.workspaces.ListWorkspaces(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list workspaces of organization %s: %w", orgID, err)
	}
	members, err := w.admin.workspaces.WorkspaceMembers(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list workspace members of organization %s: %w", orgID, err)
	}
	byWorkspace := map[string][]ports.WorkspaceMember{}
	for _, m := range members {
		byWorkspace[m.WorkspaceID] = append(byWorkspace[m.WorkspaceID], m)
	}
	views := make([]WorkspaceView, len(records))
	for i, r := range records {
		views[i] = WorkspaceView{Workspace: r.Workspace, Members: byWorkspace[r.ID]}
	}
	return views, nil
}

// canonicalWorkspaceID is an id in the lowercase form ids are minted in.
func canonicalWorkspaceID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

func roleIn(p domain.Principal, workspaceID string) string {
	if r, ok := p.Workspaces[workspaceID]; ok {
		return string(r)
	}
	return "none (not a member)"
}

func needsOrgAdmin(action string) error {
	return domain.Errorf(domain.KindForbidden,
		"%s needs the organization's ADMIN role; you are a MEMBER; ask an admin of your organization", action)
}

func notMember(workspaceID string) error {
	return domain.Errorf(domain.KindForbidden,
		"you are not a member of workspace %s; ask an admin of your organization to add you", workspaceID)
}

func workspaceNotFound(workspaceID string) error {
	return domain.Errorf(domain.KindNotFound, "workspace %q not found in this organization", workspaceID)
}
