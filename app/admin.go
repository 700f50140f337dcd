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

// AdminDeps are what the operator use cases need. Directory is required; Logger and Now are
// optional.
type AdminDeps struct {
	Directory ports.Directory
	// Logger receives one line per use-case outcome; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for token timestamps; nil means the wall clock in UTC.
	Now func() time.Time
}

// Admin runs the operator use cases behind the command line: creating organizations and
// issuing tokens. It trusts its caller, who has shell access to the server.
type Admin struct {
	dir ports.Directory
	log *slog.Logger
	now func() time.Time
}

// NewAdmin checks the dependencies once, at wiring time.
func NewAdmin(deps AdminDeps) (*Admin, error) {
	if deps.Directory == nil {
		return nil, errors.New("app.NewAdmin: Directory is nil")
	}
	logger, now := withDefaults(deps.Logger, deps.Now)
	return &Admin{dir: deps.Directory, log: logger, now: now}, nil
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
	if err := a.dir.CreateOrganization(ctx, org, ws, admin); err != nil {
		return BootstrapResult{}, fmt.Errorf("create organization %q: %w", org.Name, err)
	}
	token, err := a.issueToken(ctx, admin.ID, 0)
	if err != nil {
		return BootstrapResult{}, fmt.Errorf("organization %s was created, but its admin has no token yet; create one for %s: %w",
			org.ID, admin.Email, err)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "bootstrap organization",
		slog.String("org_id", org.ID), slog.String("workspace_id", ws.ID), slog.String("user_id", admin.ID),
		slog.String("plan", string(org.Plan)))
	return BootstrapResult{OrgID: org.ID, WorkspaceID: ws.ID, UserID: admin.ID, Token: token}, nil
}

// CreateToken issues a new bearer token for an existing user. A ttl of zero means the token
// does not expire; it can still be revoked.
func (a *Admin) CreateToken(ctx context.Context, email string, ttl time.Duration) (domain.Secret, error) {
	if ttl < 0 {
		return domain.Secret{}, domain.Errorf(domain.KindInvalidInput, "ttl %s is negative; give a positive duration, or 0 for no expiry", ttl)
	}
	email, err := normalizeEmail(email)
	if err != nil {
		return domain.Secret{}, err
	}
	user, err := a.dir.UserByEmail(ctx, email)
	if err != nil {
		return domain.Secret{}, fmt.Errorf("find user %s: %w", email, err)
	}
	token, err := a.issueToken(ctx, user.ID, ttl)
	if err != nil {
		return domain.Secret{}, err
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "create token",
		slog.String("org_id", user.OrgID), slog.String("user_id", user.ID), slog.Duration("ttl", ttl))
	return token, nil
}

// issueToken stores the digest of a fresh token and hands the token itself back, once.
func (a *Admin) issueToken(ctx context.Context, userID string, ttl time.Duration) (domain.Secret, error) {
	token := domain.NewToken()
	now := a.now()
	stored := domain.APIToken{
		ID:        domain.NewID(),
		UserID:    userID,
		Digest:    domain.TokenDigest(token),
		CreatedAt: now,
	}
	if ttl > 0 {
		expires := now.Add(ttl)
		stored.ExpiresAt = &expires
	}
	if err := a.dir.InsertToken(ctx, stored); err != nil {
		return domain.Secret{}, fmt.Errorf("store token of user %s: %w", userID, err)
	}
	return token, nil
}
