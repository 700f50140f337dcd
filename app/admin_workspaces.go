package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// CreateWorkspace adds a workspace with the given name to an existing organization.
func (a *Admin) CreateWorkspace(ctx context.Context, orgID, name string) (domain.Workspace, error) {
	orgID, err := parseID("organization", orgID)
	if err != nil {
		return domain.Workspace{}, err
	}
	ws := domain.Workspace{ID: domain.NewID(), OrgID: orgID}
	if ws.Name, err = normalizeLabel("workspace", name); err != nil {
		return domain.Workspace{}, err
	}
	if err := a.workspaces.CreateWorkspace(ctx, ws); err != nil {
		return domain.Workspace{}, fmt.Errorf("create workspace %q in organization %s: %w", ws.Name, orgID, err)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "create workspace", slog.String("org_id", orgID), slog.String("workspace_id", ws.ID))
	return ws, nil
}

// ListWorkspaces returns an organization's workspaces with their member and bucket counts,
// oldest first.
func (a *Admin) ListWorkspaces(ctx context.Context, orgID string) ([]ports.WorkspaceRecord, error) {
	orgID, err := parseID("organization", orgID)
	if err != nil {
		return nil, err
	}
	workspaces, err := a.workspaces.ListWorkspaces(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list workspaces of organization %s: %w", orgID, err)
	}
	return workspaces, nil
}
