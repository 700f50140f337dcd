package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
)

// userJSON is a user in --json output; the creation time is only known to lists.
type userJSON struct {
	ID         string     `json:"id"`
	OrgID      string     `json:"orgId"`
	Email      string     `json:"email"`
	Role       string     `json:"role"`
	Workspaces []string   `json:"workspaces"`
	CreatedAt  *time.Time `json:"createdAt,omitempty"`
}

func newUserJSON(u domain.User, workspaces []string, created *time.Time) userJSON {
	if workspaces == nil {
		workspaces = []string{} // [] rather than null: the user has no workspace
	}
	return userJSON{ID: u.ID, OrgID: u.OrgID, Email: u.Email, Role: string(u.Role), Workspaces: workspaces, CreatedAt: created}
}

// workspacesText lists workspace ids for the text output, or "-" for none.
func workspacesText(ids []string) string {
	if len(ids) == 0 {
		return "-"
	}
	return strings.Join(ids, ",")
}

func adminUserAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		req        app.NewUser
		workspaces repeated
	)
	fs := newAdminFlags("user add")
	fs.StringVar(&req.OrgID, "org", "", "id of the organization (required)")
	fs.StringVar(&req.Email, "email", "", "email of the new user (required)")
	fs.StringVar(&req.Role, "role", "", "ADMIN (every workspace of the organization) or MEMBER (only its own) (required)")
	fs.Var(&workspaces, "workspace", "id of a workspace the user becomes a member of; repeat for several")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	req.WorkspaceIDs = workspaces
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		added, err := a.AddUser(ctx, req)
		if err != nil {
			return err
		}
		u := added.User
		return printResult(stdout, fs.asJSON, newUserJSON(u, added.Workspaces, nil),
			fmt.Sprintf("user %s (%s, %s) added to organization %s; workspaces: %s\n"+
				"(the user has no token yet: %s admin token create --email %s)\n",
				u.ID, u.Email, u.Role, u.OrgID, workspacesText(added.Workspaces), self(), u.Email))
	})
}

func adminUserList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var orgID string
	fs := newAdminFlags("user list")
	fs.StringVar(&orgID, "org", "", "id of the organization (required)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		users, err := a.ListUsers(ctx, orgID)
		if err != nil {
			return err
		}
		if fs.asJSON {
			out := make([]userJSON, len(users))
			for i, u := range users {
				out[i] = newUserJSON(u.User, u.Workspaces, &u.CreatedAt)
			}
			return printJSON(stdout, out)
		}
		rows := make([][]string, len(users))
		for i, u := range users {
			rows[i] = []string{u.ID, u.Email, string(u.Role), workspacesText(u.Workspaces), timeText(&u.CreatedAt)}
		}
		return printTable(stdout, []string{"ID", "EMAIL", "ROLE", "WORKSPACES", "CREATED"}, rows)
	})
}

func adminUserRole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var email, role string
	fs := newAdminFlags("user role")
	fs.StringVar(&email, "email", "", "email of the user (required)")
	fs.StringVar(&role, "role", "", "ADMIN (every workspace of the organization) or MEMBER (only its own) (required)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		change, err := a.SetRole(ctx, email, role)
		if err != nil {
			return err
		}
		u, changed := change.User, change.User.Role != change.Previous
		text := fmt.Sprintf("%s is now %s (was %s); this applies to the user's next request\n", u.Email, u.Role, change.Previous)
		if !changed {
			text = fmt.Sprintf("%s already is %s; nothing changed\n", u.Email, u.Role)
		}
		return printResult(stdout, fs.asJSON, struct {
			UserID       string `json:"userId"`
			Email        string `json:"email"`
			Role         string `json:"role"`
			PreviousRole string `json:"previousRole"`
			Changed      bool   `json:"changed"`
		}{u.ID, u.Email, string(u.Role), string(change.Previous), changed}, text)
	})
}

func adminMemberAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return adminMember(ctx, "member add", "role in the workspace: READ, WRITE or ADMIN (default WRITE)",
		(*app.Admin).AddMember, args, stdout, stderr)
}

func adminMemberRole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return adminMember(ctx, "member role", "the new role in the workspace: READ, WRITE or ADMIN (required)",
		(*app.Admin).SetMemberRole, args, stdout, stderr)
}

func adminMemberRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	remove := func(a *app.Admin, ctx context.Context, workspaceID, email, _ string) (app.MembershipChange, error) {
		return a.RemoveMember(ctx, workspaceID, email)
	}
	return adminMember(ctx, "member remove", "", remove, args, stdout, stderr)
}

// adminMember runs `member add`, `member role` or `member remove` with the use case that
// changes the membership; roleUsage describes --role, "" for a command without it.
func adminMember(ctx context.Context, path, roleUsage string,
	change func(a *app.Admin, ctx context.Context, workspaceID, email, role string) (app.MembershipChange, error),
	args []string, stdout, stderr io.Writer,
) error {
	var workspaceID, email, role string
	fs := newAdminFlags(path)
	fs.StringVar(&workspaceID, "workspace", "", "id of the workspace (required)")
	fs.StringVar(&email, "email", "", "email of the user (required)")
	if roleUsage != "" {
		fs.StringVar(&role, "role", "", roleUsage)
	}
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		m, err := change(a, ctx, workspaceID, email, role)
		if err != nil {
			return err
		}
		return printResult(stdout, fs.asJSON, struct {
			WorkspaceID  string `json:"workspaceId"`
			UserID       string `json:"userId"`
			Email        string `json:"email"`
			Member       bool   `json:"member"`
			Role         string `json:"role,omitempty"`
			PreviousRole string `json:"previousRole,omitempty"`
			Changed      bool   `json:"changed"`
		}{m.WorkspaceID, m.User.ID, m.User.Email, m.Member, string(m.Role), string(m.Previous), m.Changed}, membershipText(m))
	})
}

// membershipText says what a membership change did, and that an ADMIN reaches every workspace
// whatever its memberships.
func membershipText(m app.MembershipChange) string {
	var text string
	switch {
	case m.Previous != "" && m.Changed:
		text = fmt.Sprintf("%s is now %s in workspace %s (was %s)", m.User.Email, m.Role, m.WorkspaceID, m.Previous)
	case m.Previous != "":
		text = fmt.Sprintf("%s already is %s in workspace %s; nothing changed", m.User.Email, m.Role, m.WorkspaceID)
	case m.Member && m.Changed:
		text = fmt.Sprintf("%s is now a member of workspace %s as %s", m.User.Email, m.WorkspaceID, m.Role)
	case m.Member:
		text = fmt.Sprintf("%s already is a member of workspace %s; nothing changed (change a role with `bucketd admin member role`)", m.User.Email, m.WorkspaceID)
	case m.Changed:
		text = fmt.Sprintf("%s is no longer a member of workspace %s", m.User.Email, m.WorkspaceID)
	default:
		text = fmt.Sprintf("%s was not a member of workspace %s; nothing changed", m.User.Email, m.WorkspaceID)
	}
	if m.User.Role == domain.RoleAdmin {
		text += " (as an ADMIN, the user reaches every workspace of its organization regardless)"
	}
	return text + "\n"
}
