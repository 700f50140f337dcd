package domain

import (
	"maps"
	"slices"
)

// Role is what a user may do inside their organization.
type Role string

// Roles. Admins reach every workspace of their organization and manage its workspaces; members
// reach only the workspaces they are members of, as far as their role in each allows.
const (
	RoleAdmin  Role = "ADMIN"
	RoleMember Role = "MEMBER"
)

// WorkspaceRole is what a member may do inside one workspace (Flashback's AccessType).
type WorkspaceRole string

// Workspace roles, each allowing what the one before allows and more. READ reads the
// workspace's buckets (list, get, available, a dry run that writes nothing); WRITE also creates,
// changes, re-validates and deletes them; ADMIN also manages the workspace's memberships.
const (
	WorkspaceRead  WorkspaceRole = "READ"
	WorkspaceWrite WorkspaceRole = "WRITE"
	WorkspaceAdmin WorkspaceRole = "ADMIN"
)

// DefaultWorkspaceRole is the role of a membership made without one: the role every membership
// had before workspace roles existed, so that existing members keep what they could do.
const DefaultWorkspaceRole = WorkspaceWrite

// workspaceRank orders the roles; a role grants what every lower one grants.
var workspaceRank = map[WorkspaceRole]int{WorkspaceRead: 1, WorkspaceWrite: 2, WorkspaceAdmin: 3}

// ParseWorkspaceRole accepts a role as Flashback spells it.
func ParseWorkspaceRole(s string) (WorkspaceRole, error) {
	r := WorkspaceRole(s)
	if _, ok := workspaceRank[r]; !ok {
		return "", Errorf(KindInvalidInput, "role %q is not one of %s, %s, %s", s, WorkspaceRead, WorkspaceWrite, WorkspaceAdmin)
	}
	return r, nil
}

// Grants reports whether r allows what need allows. An unknown role grants nothing.
func (r WorkspaceRole) Grants(need WorkspaceRole) bool {
	have, ok := workspaceRank[r]
	return ok && have >= workspaceRank[need]
}

// Principal is the authenticated caller behind a bearer token.
type Principal struct {
	UserID string
	OrgID  string
	Role   Role
	// Workspaces maps each workspace the user is a member of to the user's role in it.
	Workspaces map[string]WorkspaceRole
}

// MayUseWorkspace reports whether the principal may read a workspace of its organization.
// Whether the workspace belongs to the organization at all is the store's question.
func (p Principal) MayUseWorkspace(workspaceID string) bool {
	return p.MayInWorkspace(workspaceID, WorkspaceRead)
}

// MayInWorkspace reports whether the principal has at least the role need in a workspace of its
// organization: an organization admin has every role in every workspace.
func (p Principal) MayInWorkspace(workspaceID string, need WorkspaceRole) bool {
	if p.Role == RoleAdmin {
		return true
	}
	return p.Workspaces[workspaceID].Grants(need)
}

// WorkspaceIDs lists the workspaces the principal is a member of, sorted.
func (p Principal) WorkspaceIDs() []string {
	return slices.Sorted(maps.Keys(p.Workspaces))
}
