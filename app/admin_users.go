package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// NewUser describes a user to add to an existing organization.
type NewUser struct {
	OrgID string
	Email string
	// Role is ADMIN (every workspace of the organization) or MEMBER (only WorkspaceIDs).
	Role string
	// WorkspaceIDs are the workspaces of the organization the user becomes a member of.
	WorkspaceIDs []string
}

// AddedUser is the user AddUser created, with the ids of its workspaces, sorted and without
// repeats.
type AddedUser struct {
	User       domain.User
	Workspaces []string
}

// AddUser adds a user to an existing organization, as a member of the given workspaces, all or
// nothing. The user has no token yet: CreateToken issues one.
func (a *Admin) AddUser(ctx context.Context, req NewUser) (AddedUser, error) {
	user, workspaces, err := newUser(req)
	if err != nil {
		return AddedUser{}, err
	}
	if err := a.users.AddUser(ctx, user, workspaces); err != nil {
		return AddedUser{}, fmt.Errorf("add user %s to organization %s: %w", user.Email, user.OrgID, err)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "add user", slog.String("org_id", user.OrgID), slog.String("user_id", user.ID),
		slog.String("role", string(user.Role)), slog.Any("workspace_ids", workspaces))
	return AddedUser{User: user, Workspaces: workspaces}, nil
}

// newUser checks an AddUser request and builds the user, with a fresh id.
func newUser(req NewUser) (domain.User, []string, error) {
	var (
		user domain.User
		err  error
	)
	if user.OrgID, err = parseID("organization", req.OrgID); err != nil {
		return user, nil, err
	}
	if user.Email, err = normalizeEmail(req.Email); err != nil {
		return user, nil, err
	}
	if user.Role, err = parseRole(req.Role); err != nil {
		return user, nil, err
	}
	workspaces, err := parseIDs("workspace", req.WorkspaceIDs)
	if err != nil {
		return user, nil, err
	}
	slices.Sort(workspaces)
	user.ID = domain.NewID()
	return user, slices.Compact(workspaces), nil
}

// ListUsers returns an organization's users with their workspaces, oldest first.
func (a *Admin) ListUsers(ctx context.Context, orgID string) ([]ports.UserRecord, error) {
	orgID, err := parseID("organization", orgID)
	if err != nil {
		return nil, err
	}
	users, err := a.users.ListUsers(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list users of organization %s: %w", orgID, err)
	}
	return users, nil
}

// RoleChange is a user after SetRole, and the role it had before.
type RoleChange struct {
	User     domain.User
	Previous domain.Role
}

// SetRole gives the user with the given email a role. It applies from the user's next request:
// an ADMIN reaches every workspace of the organization, a MEMBER only its own. Setting the
// role the user has changes nothing.
func (a *Admin) SetRole(ctx context.Context, email, role string) (RoleChange, error) {
	newRole, err := parseRole(role)
	if err != nil {
		return RoleChange{}, err
	}
	user, err := a.userByEmail(ctx, email)
	if err != nil {
		return RoleChange{}, err
	}
	change := RoleChange{User: user, Previous: user.Role}
	if user.Role == newRole {
		return change, nil
	}
	if err := a.users.SetRole(ctx, user.ID, newRole); err != nil {
		return RoleChange{}, fmt.Errorf("set the role of %s: %w", user.Email, err)
	}
	change.User.Role = newRole
	a.log.LogAttrs(ctx, slog.LevelInfo, "set role", slog.String("org_id", user.OrgID), slog.String("user_id", user.ID),
		slog.String("role", string(newRole)), slog.String("previous_role", string(user.Role)))
	return change, nil
}

// MembershipChange is the outcome of AddMember, SetMemberRole or RemoveMember: whether the user
// is now a member of the workspace and with which role, and whether that changed.
type MembershipChange struct {
	User        domain.User
	WorkspaceID string
	Member      bool
	// Role is the member's role after the change; Previous the role before a role change.
	Role, Previous domain.WorkspaceRole
	Changed        bool
}

// AddMember makes the user with the given email a member of a workspace of the user's own
// organization with a role (READ, WRITE or ADMIN; empty means domain.DefaultWorkspaceRole).
// Adding a member again changes nothing, not even the role.
func (a *Admin) AddMember(ctx context.Context, workspaceID, email, role string) (MembershipChange, error) {
	return a.memberByEmail(ctx, workspaceID, email, func(user domain.User, workspaceID string) (MembershipChange, error) {
		return a.addMember(ctx, "", user, workspaceID, role)
	})
}

// SetMemberRole changes the role of a member of a workspace of the user's own organization.
func (a *Admin) SetMemberRole(ctx context.Context, workspaceID, email, role string) (MembershipChange, error) {
	return a.memberByEmail(ctx, workspaceID, email, func(user domain.User, workspaceID string) (MembershipChange, error) {
		return a.setMemberRole(ctx, "", user, workspaceID, role)
	})
}

// RemoveMember ends the membership of the user with the given email in a workspace of the
// user's own organization; the user's next request no longer reaches it, unless the user is
// an ADMIN. Removing a non-member changes nothing.
func (a *Admin) RemoveMember(ctx context.Context, workspaceID, email string) (MembershipChange, error) {
	return a.memberByEmail(ctx, workspaceID, email, func(user domain.User, workspaceID string) (MembershipChange, error) {
		return a.removeMember(ctx, "", user, workspaceID)
	})
}

// memberByEmail checks the operator's workspace id and email and runs change on them.
func (a *Admin) memberByEmail(ctx context.Context, workspaceID, email string,
	change func(user domain.User, workspaceID string) (MembershipChange, error),
) (MembershipChange, error) {
	workspaceID, err := parseID("workspace", workspaceID)
	if err != nil {
		return MembershipChange{}, err
	}
	user, err := a.userByEmail(ctx, email)
	if err != nil {
		return MembershipChange{}, err
	}
	return change(user, workspaceID)
}

// addMember, setMemberRole and removeMember are the membership use cases the command line and
// the API share, once the workspace id is checked and the user found; actorID is the user who
// asked, "" for the operator. Each leaves a log line and an audit event.
func (a *Admin) addMember(ctx context.Context, actorID string, user domain.User, workspaceID, role string) (MembershipChange, error) {
	change := MembershipChange{User: user, WorkspaceID: workspaceID, Member: true}
	var err error
	if change.Role, err = parseWorkspaceRole(role); err == nil {
		change.Changed, err = a.users.AddMembership(ctx, user.ID, workspaceID, change.Role)
	}
	return change, a.membershipOutcome(ctx, "add workspace member", domain.AuditMemberAdd, actorID, change, err)
}

func (a *Admin) setMemberRole(ctx context.Context, actorID string, user domain.User, workspaceID, role string) (MembershipChange, error) {
	change := MembershipChange{User: user, WorkspaceID: workspaceID, Member: true}
	var err error
	if change.Role, err = domain.ParseWorkspaceRole(role); err == nil {
		change.Previous, err = a.users.SetMembershipRole(ctx, user.ID, workspaceID, change.Role)
		change.Changed = change.Previous != change.Role
	}
	return change, a.membershipOutcome(ctx, "set workspace role", domain.AuditMemberRole, actorID, change, err)
}

func (a *Admin) removeMember(ctx context.Context, actorID string, user domain.User, workspaceID string) (MembershipChange, error) {
	change := MembershipChange{User: user, WorkspaceID: workspaceID}
	changed, err := a.users.RemoveMembership(ctx, user.ID, workspaceID)
	change.Changed = changed
	return change, a.membershipOutcome(ctx, "remove workspace member", domain.AuditMemberRemove, actorID, change, err)
}

// membershipOutcome logs a membership use case and records its audit event, naming the
// workspace, the member and the role given, and returns err with what was attempted.
func (a *Admin) membershipOutcome(ctx context.Context, op string, action domain.AuditAction, actorID string, m MembershipChange, err error) error {
	if err != nil {
		err = fmt.Errorf("%s %s in workspace %s: %w", op, m.User.Email, m.WorkspaceID, err)
	}
	a.logWorkspaceOutcome(ctx, op, m.User.OrgID, m.WorkspaceID, err, slog.String("user_id", m.User.ID),
		slog.String("role", string(m.Role)), slog.Bool("changed", m.Changed))
	// A membership that did not change is no event; a refusal is, so the trail shows attempts.
	if err != nil || m.Changed {
		e := domain.NewAuditEvent(ctx, a.now(), action, m.User.OrgID, actorID, "", err)
		e.WorkspaceID, e.SubjectUserID, e.Detail = m.WorkspaceID, m.User.ID, string(m.Role)
		a.recordAudit(ctx, e)
	}
	return err
}

// parseWorkspaceRole reads a membership's role; empty means domain.DefaultWorkspaceRole.
func parseWorkspaceRole(role string) (domain.WorkspaceRole, error) {
	if role == "" {
		return domain.DefaultWorkspaceRole, nil
	}
	return domain.ParseWorkspaceRole(role)
}

// userByEmail checks an email and finds its user.
func (a *Admin) userByEmail(ctx context.Context, email string) (domain.User, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return domain.User{}, err
	}
	user, err := a.users.UserByEmail(ctx, email)
	if err != nil {
		return domain.User{}, fmt.Errorf("find user %s: %w", email, err)
	}
	return user, nil
}
