package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/bucketd/bucketd/app"
)

// workspaceJSON is a workspace in --json output; the counts and the creation time are only
// known to lists.
type workspaceJSON struct {
	ID        string     `json:"id"`
	OrgID     string     `json:"orgId"`
	Name      string     `json:"name"`
	Members   *int       `json:"members,omitempty"`
	Buckets   *int       `json:"buckets,omitempty"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
}

func adminWorkspaceCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var orgID, name string
	fs := newAdminFlags("workspace create")
	fs.StringVar(&orgID, "org", "", "id of the organization (required)")
	fs.StringVar(&name, "name", "", "name of the new workspace (required)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		ws, err := a.CreateWorkspace(ctx, orgID, name)
		if err != nil {
			return err
		}
		return printResult(stdout, fs.asJSON, workspaceJSON{ID: ws.ID, OrgID: ws.OrgID, Name: ws.Name},
			fmt.Sprintf("workspace %s (%s) created in organization %s\n", ws.ID, ws.Name, ws.OrgID))
	})
}

func adminWorkspaceList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var orgID string
	fs := newAdminFlags("workspace list")
	fs.StringVar(&orgID, "org", "", "id of the organization (required)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		workspaces, err := a.ListWorkspaces(ctx, orgID)
		if err != nil {
			return err
		}
		if fs.asJSON {
			out := make([]workspaceJSON, len(workspaces))
			for i, w := range workspaces {
				out[i] = workspaceJSON{ID: w.ID, OrgID: w.OrgID, Name: w.Name, Members: &w.Members, Buckets: &w.Buckets, CreatedAt: &w.CreatedAt}
			}
			return printJSON(stdout, out)
		}
		rows := make([][]string, len(workspaces))
		for i, w := range workspaces {
			rows[i] = []string{w.ID, w.Name, strconv.Itoa(w.Members), strconv.Itoa(w.Buckets), timeText(&w.CreatedAt)}
		}
		return printTable(stdout, []string{"ID", "NAME", "MEMBERS", "BUCKETS", "CREATED"}, rows)
	})
}

func adminWorkspaceRename(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var orgID, workspaceID, name string
	fs := newAdminFlags("workspace rename")
	fs.StringVar(&orgID, "org", "", "id of the organization (required)")
	fs.StringVar(&workspaceID, "workspace", "", "id of the workspace (required)")
	fs.StringVar(&name, "name", "", "the workspace's new name (required)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		w, err := a.RenameWorkspace(ctx, orgID, workspaceID, name)
		if err != nil {
			return err
		}
		return printResult(stdout, fs.asJSON, workspaceJSON{ID: w.ID, OrgID: w.OrgID, Name: w.Name, Members: &w.Members, Buckets: &w.Buckets, CreatedAt: &w.CreatedAt},
			fmt.Sprintf("workspace %s is now named %s\n", w.ID, w.Name))
	})
}

func adminWorkspaceDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var orgID, workspaceID string
	fs := newAdminFlags("workspace delete")
	fs.StringVar(&orgID, "org", "", "id of the organization (required)")
	fs.StringVar(&workspaceID, "workspace", "", "id of the workspace (required)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		if err := a.DeleteWorkspace(ctx, orgID, workspaceID); err != nil {
			return err
		}
		return printResult(stdout, fs.asJSON, struct {
			ID      string `json:"id"`
			Deleted bool   `json:"deleted"`
		}{workspaceID, true}, fmt.Sprintf("workspace %s deleted, with its memberships\n", workspaceID))
	})
}
