package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// DefaultWorkspaceName names an organization's first workspace when the operator gives none.
const DefaultWorkspaceName = "default"

// AdminDeps are what the operator use cases need. Organizations, Workspaces, Users and Tokens
// are required; Audit, Logger and Now are optional.
type AdminDeps struct {
	Organizations ports.Organizations
	Workspaces    ports.Workspaces
	Users         ports.Users
	Tokens        ports.Tokens
	// Audit is the audit trail AuditTrail reads; nil leaves AuditTrail refusing.
	Audit ports.AuditLog
	// Accounts and Hasher set passwords; nil leaves SetPassword refusing.
	Accounts ports.Accounts
	Hasher   ports.PasswordHasher
	// Logger receives one line per use-case outcome; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for token timestamps; nil means the wall clock in UTC.
	Now func() time.Time
}

// Admin runs the operator use cases behind the command line: organizations and their plans and
// limits, workspaces, users, memberships and roles, and bearer tokens. It trusts its caller,
// who has shell access to the server, and checks every input so that a typo is a clear error
// naming what was typed rather than a changed row.
type Admin struct {
	orgs       ports.Organizations
	workspaces ports.Workspaces
	users      ports.Users
	tokens     ports.Tokens
	audit      ports.AuditLog
	accounts   ports.Accounts
	hasher     ports.PasswordHasher
	log        *slog.Logger
	now        func() time.Time
}

// NewAdmin checks the dependencies once, at wiring time.
func NewAdmin(deps AdminDeps) (*Admin, error) {
	switch {
	case deps.Organizations == nil:
		return nil, errors.New("app.NewAdmin: Organizations is nil")
	case deps.Workspaces == nil:
		return nil, errors.New("app.NewAdmin: Workspaces is nil")
	case deps.Users == nil:
		return nil, errors.New("app.NewAdmin: Users is nil")
	case deps.Tokens == nil:
		return nil, errors.New("app.NewAdmin: Tokens is nil")
	}
	logger, now := withDefaults(deps.Logger, deps.Now)
	return &Admin{orgs: deps.Organizations, workspaces: deps.Workspaces, users: deps.Users, tokens: deps.Tokens,
		audit: deps.Audit, accounts: deps.Accounts, hasher: deps.Hasher, log: logger, now: now}, nil
}

// BootstrapOrg describes a new organization and its first admin.
type BootstrapOrg struct {
	OrgName string
	Email   string
	// Plan is FREE_TRIAL, TEAM or ENTERPRISE; empty means FREE_TRIAL.
	Plan string
	// BucketLimit overrides the plan's bucket limit when set.
	BucketLimit *int
	// WorkspaceName names the first workspace; empty means DefaultWorkspaceName.
	WorkspaceName string
}

// BootstrapResult identifies what Bootstrap created. Token is shown to the operator once and
// stored nowhere: only its digest is kept.
type BootstrapResult struct {
	OrgID       string
	WorkspaceID string
	UserID      string
	Token       domain.Secret
}

// Bootstrap creates an organization with its first workspace and an admin user, all or
// nothing, then issues the admin's first token so the organization is usable at once.
func (a *Admin) Bootstrap(ctx context.Context, req BootstrapOrg) (BootstrapResult, error) {
	org, ws, admin, err := newOrganization(req)
	if err != nil {
		return BootstrapResult{}, err
	}
	if err := a.orgs.CreateOrganization(ctx, org, ws, admin); err != nil {
		return BootstrapResult{}, fmt.Errorf("create organization %q: %w", org.Name, err)
	}
	issued, err := a.issueToken(ctx, admin.ID, 0)
	if err != nil {
		return BootstrapResult{}, fmt.Errorf("organization %s was created, but its admin has no token yet; create one for %s: %w",
			org.ID, admin.Email, err)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "bootstrap organization",
		slog.String("org_id", org.ID), slog.String("workspace_id", ws.ID), slog.String("user_id", admin.ID),
		slog.String("plan", string(org.Plan)))
	return BootstrapResult{OrgID: org.ID, WorkspaceID: ws.ID, UserID: admin.ID, Token: issued.Token}, nil
}
