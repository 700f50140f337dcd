package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// The workspace use cases the command line and the API share. The exported methods are the
// operator's (actor ""); Workspaces checks an API caller's rights and then runs the same
// unexported ones with the caller as the actor. Each leaves one log line and one audit event.

// CreateWorkspace adds a workspace with the given name to an existing organization.
func (a *Admin) CreateWorkspace(ctx context.Context, orgID, name string) (domain.Workspace, error) {
	orgID, err := parseID("organization", orgID)
	if err != nil {
		return domain.Workspace{}, err
	}
	return a.createWorkspace(ctx, "", orgID, name)
}

// RenameWorkspace gives a live workspace of an organization a new name, which no other live
// workspace of the organization may have.
func (a *Admin) RenameWorkspace(ctx context.Context, orgID, workspaceID, name string) (ports.WorkspaceRecord, error) {
	orgID, workspaceID, err := parseWorkspaceOf(orgID, workspaceID)
	if err != nil {
		return ports.WorkspaceRecord{}, err
	}
	return a.renameWorkspace(ctx, "", orgID, workspaceID, name)
}

// DeleteWorkspace deletes an empty workspace of an organization with its memberships; a
// workspace holding live buckets, or the organization's last, stays.
func (a *Admin) DeleteWorkspace(ctx context.Context, orgID, workspaceID string) error {
	orgID, workspaceID, err := parseWorkspaceOf(orgID, workspaceID)
	if err != nil {
		return err
	}
	return a.deleteWorkspace(ctx, "", orgID, workspaceID)
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

func (a *Admin) createWorkspace(ctx context.Context, actorID, orgID, name string) (domain.Workspace, error) {
	ws := domain.Workspace{ID: domain.NewID(), OrgID: orgID}
	var err error
	if ws.Name, err = normalizeLabel("workspace", name); err == nil {
		if err = a.workspaces.CreateWorkspace(ctx, ws); err != nil {
			err = fmt.Errorf("create workspace %q in organization %s: %w", ws.Name, orgID, err)
		}
	}
	if err != nil {
		// A workspace that was not created has no id to record.
		a.workspaceOutcome(ctx, "create workspace", domain.AuditWorkspaceCreate, actorID, orgID, "", err)
		return domain.Workspace{}, err
	}
	a.workspaceOutcome(ctx, "create workspace", domain.AuditWorkspaceCreate, actorID, orgID, ws.ID, nil)
	return ws, nil
}

func (a *Admin) renameWorkspace(ctx context.Context, actorID, orgID, workspaceID, name string) (ports.WorkspaceRecord, error) {
	var record ports.WorkspaceRecord
	name, err := normalizeLabel("workspace", name)
	if err == nil {
		if record, err = a.workspaces.RenameWorkspace(ctx, orgID, workspaceID, name); err != nil {
			err = fmt.Errorf("rename workspace %s to %q: %w", workspaceID, name, err)
		}
	}
	a.workspaceOutcome(ctx, "rename workspace", domain.AuditWorkspaceRename, actorID, orgID, workspaceID, err)
	return record, err
}

func (a *Admin) deleteWorkspace(ctx context.Context, actorID, orgID, workspaceID string) error {
	err := a.workspaces.DeleteWorkspace(ctx, orgID, workspaceID, a.now())
	if err != nil {
		err = fmt.Errorf("delete workspace %s: %w", workspaceID, err)
	}
	a.workspaceOutcome(ctx, "delete workspace", domain.AuditWorkspaceDelete, actorID, orgID, workspaceID, err)
	return err
}

// workspaceOutcome logs a workspace use case and records its audit event.
func (a *Admin) workspaceOutcome(ctx context.Context, op string, action domain.AuditAction, actorID, orgID, workspaceID string, err error) {
	a.logWorkspaceOutcome(ctx, op, orgID, workspaceID, err)
	e := domain.NewAuditEvent(ctx, a.now(), action, orgID, actorID, "", err)
	e.WorkspaceID = workspaceID
	a.recordAudit(ctx, e)
}

// logWorkspaceOutcome writes a workspace or membership use case's log line: info with the
// message the caller got when the caller can fix it, error with the whole cause otherwise.
func (a *Admin) logWorkspaceOutcome(ctx context.Context, op, orgID, workspaceID string, err error, attrs ...slog.Attr) {
	level, outcome := slog.LevelInfo, domain.AuditOK
	if err != nil {
		outcome = domain.KindOf(err).String()
		detail := err.Error()
		var de *domain.Error
		if domain.KindOf(err) == domain.KindInternal {
			level = slog.LevelError
		} else if errors.As(err, &de) {
			detail = de.Message
		}
		attrs = append(attrs, slog.String("error", detail))
	}
	attrs = append(attrs, slog.String("org_id", orgID), slog.String("workspace_id", workspaceID), slog.String("outcome", outcome))
	a.log.LogAttrs(ctx, level, op, attrs...)
}

// recordAudit records an event when the Admin has an audit trail.
func (a *Admin) recordAudit(ctx context.Context, e domain.AuditEvent) {
	if a.audit != nil {
		recordAudit(ctx, a.audit, a.log, e)
	}
}

// parseWorkspaceOf checks an organization id and the id of one of its workspaces.
func parseWorkspaceOf(orgID, workspaceID string) (string, string, error) {
	orgID, err := parseID("organization", orgID)
	if err != nil {
		return "", "", err
	}
	workspaceID, err = parseID("workspace", workspaceID)
	return orgID, workspaceID, err
}
