package domain

// Role is what a user may do inside their organization.
type Role string

// Roles. Admins reach every workspace of their organization; members only their own.
const (
	RoleAdmin  Role = "ADMIN"
	RoleMember Role = "MEMBER"
)

// Principal is the authenticated caller behind a bearer token.
type Principal struct {
	UserID string
	OrgID  string
	Role   Role
	// Workspaces lists the workspaces the user is a member of.
	Workspaces []string
}

// MayUseWorkspace reports whether the principal may act on a workspace of its organization.
// Whether the workspace belongs to the organization at all is the store's question.
func (p Principal) MayUseWorkspace(workspaceID string) bool {
	if p.Role == RoleAdmin {
		return true
	}
	for _, w := range p.Workspaces {
		if w == workspaceID {
			return true
		}
	}
	return false
}
