package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// BucketsDeps are what the bucket use cases need. Store, Vault, Audit and at least one
// validator are required; Fingerprinter, Logger and Now are optional.
type BucketsDeps struct {
	// Store creates, reads and changes the organizations' buckets.
	Store ports.BucketStore
	Vault ports.Vault
	// Audit records every use case that acts on a bucket or proves credentials.
	Audit ports.AuditLog
	// Validators maps each canonical storage type this server supports to its provider check.
	// A type without a validator is refused, because its credentials could not be proved.
	Validators map[domain.StorageType]ports.CredentialValidator
	// Fingerprinter names each stored secret for drift detection; nil stores no fingerprint.
	Fingerprinter ports.Fingerprinter
	// Credentials keeps the stored credentials (API keys) buckets may use by reference;
	// Authenticators prove a credential alone, by canonical storage type. Without a store the
	// server keeps no API keys and refuses apiKeyUuid.
	Credentials    ports.CredentialStore
	Authenticators map[domain.StorageType]ports.CredentialAuthenticator
	// ExternalIDs reads the organizations' ExternalIds for AWS roles; nil refuses roles.
	ExternalIDs ports.ExternalIDs
	// Logger receives one line per use-case outcome; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for timestamps and durations; nil means the wall clock in UTC.
	Now func() time.Time
}

// Buckets runs the bucket use cases for an authenticated principal.
type Buckets struct {
	store      ports.BucketStore
	vault      ports.Vault
	audit      ports.AuditLog
	validators map[domain.StorageType]ports.CredentialValidator
	// fingerprinter is nil when the server has no fingerprint key.
	fingerprinter ports.Fingerprinter
	// credentialStore is nil on a server that keeps no API keys.
	credentialStore ports.CredentialStore
	authenticators  map[domain.StorageType]ports.CredentialAuthenticator
	// externalIDs is nil when the server does not assume AWS roles.
	externalIDs ports.ExternalIDs
	// supported lists the configured storage types for error messages, sorted.
	supported string
	log       *slog.Logger
	now       func() time.Time
}

// NewBuckets checks the dependencies once, at wiring time, so a missing one fails the start-up
// instead of the first request.
func NewBuckets(deps BucketsDeps) (*Buckets, error) {
	if deps.Store == nil {
		return nil, errors.New("app.NewBuckets: Store is nil")
	}
	if deps.Vault == nil {
		return nil, errors.New("app.NewBuckets: Vault is nil")
	}
	if deps.Audit == nil {
		return nil, errors.New("app.NewBuckets: Audit is nil")
	}
	if len(deps.Validators) == 0 {
		return nil, errors.New("app.NewBuckets: Validators is empty; configure at least one storage type")
	}
	validators := make(map[domain.StorageType]ports.CredentialValidator, len(deps.Validators))
	types := make([]string, 0, len(deps.Validators))
	for t, v := range deps.Validators {
		if parsed, err := domain.ParseStorageType(string(t)); err != nil || parsed != t {
			return nil, fmt.Errorf("app.NewBuckets: Validators key %q is not a canonical storage type (S3, GCS, AZURE)", t)
		}
		if v == nil {
			return nil, fmt.Errorf("app.NewBuckets: the validator for %s is nil", t)
		}
		validators[t] = v
		types = append(types, string(t))
	}
	slices.Sort(types)
	logger, now := withDefaults(deps.Logger, deps.Now)
	return &Buckets{
		store:           deps.Store,
		vault:           deps.Vault,
		audit:           deps.Audit,
		validators:      validators,
		fingerprinter:   deps.Fingerprinter,
		credentialStore: deps.Credentials,
		authenticators:  deps.Authenticators,
		externalIDs:     deps.ExternalIDs,
		supported:       strings.Join(types, ", "),
		log:             logger,
		now:             now,
	}, nil
}

// authorizeWorkspace asks the store before the principal: a workspace outside the caller's
// organization gets the same answer whether it exists elsewhere or not, so ids of other
// organizations cannot be probed, and only then may a member be told it lacks the workspace.
// need is the workspace role the action needs (see domain.WorkspaceRole).
func (s *Buckets) authorizeWorkspace(ctx context.Context, p domain.Principal, workspaceID string, need domain.WorkspaceRole) error {
	if err := requireWorkspaceID(workspaceID); err != nil {
		return err
	}
	inOrg, err := s.store.WorkspaceInOrg(ctx, p.OrgID, workspaceID)
	if err != nil {
		return fmt.Errorf("look up workspace %q of organization %s: %w", workspaceID, p.OrgID, err)
	}
	return mayUseWorkspace(p, workspaceID, inOrg, need)
}

func requireWorkspaceID(workspaceID string) error {
	if workspaceID == "" {
		return domain.Errorf(domain.KindInvalidInput, "workspaceId must not be empty; give the id of one of your organization's workspaces")
	}
	return nil
}

// mayUseWorkspace decides, once the store has said whether the workspace is the organization's
// (inOrg), whether the principal has the role need in it.
func mayUseWorkspace(p domain.Principal, workspaceID string, inOrg bool, need domain.WorkspaceRole) error {
	if !inOrg {
		return domain.Errorf(domain.KindWorkspaceNotFound,
			"workspaceId %q is not a workspace of your organization; use the id of one of your organization's workspaces", workspaceID)
	}
	if !p.MayUseWorkspace(workspaceID) {
		return domain.Errorf(domain.KindForbidden,
			"you are not a member of workspace %q; ask an admin of your organization to add you to it", workspaceID)
	}
	return mayWriteBuckets(p, workspaceID, need)
}

// mayWriteBuckets refuses a member whose role in the workspace is below need, naming the role
// it has and the one it lacks.
func mayWriteBuckets(p domain.Principal, workspaceID string, need domain.WorkspaceRole) error {
	if p.MayInWorkspace(workspaceID, need) {
		return nil
	}
	return domain.Errorf(domain.KindForbidden,
		"your role in workspace %s is %s, which only reads its buckets; creating, changing, re-validating and deleting them, "+
			"and a readwrite validation, need %s; ask an admin of the workspace", workspaceID, p.Workspaces[workspaceID], need)
}

// validatorFor refuses a storage type the server has no validator for, because a bucket whose
// credentials cannot be proved is never stored.
func (s *Buckets) validatorFor(t domain.StorageType) (ports.CredentialValidator, error) {
	v, ok := s.validators[t]
	if !ok {
		return nil, domain.Errorf(domain.KindInvalidInput,
			"storageType %s is not supported by this server yet; use one of %s", t, s.supported)
	}
	return v, nil
}

// logOutcome writes the one line a use case leaves per call, with the caller's organization and
// the bucket, and records the matching audit event. Failures the caller can fix are routine:
// logged at info with the message the caller got (the provider's raw answer is in the
// validator's debug log). Anything unclassified is logged at error with its whole cause.
func (s *Buckets) logOutcome(ctx context.Context, op string, p domain.Principal, bucketID string, err error, attrs ...slog.Attr) {
	level, outcome := slog.LevelInfo, "ok"
	if err != nil {
		var de *domain.Error
		kind := domain.KindOf(err)
		outcome = kind.String()
		detail := err.Error()
		if kind == domain.KindInternal {
			level = slog.LevelError
		} else if errors.As(err, &de) {
			detail = de.Message
		}
		attrs = append(attrs, slog.String("error", detail))
	}
	attrs = append(attrs, slog.String("org_id", p.OrgID))
	if bucketID != "" {
		attrs = append(attrs, slog.String("bucket_id", bucketID))
	}
	s.log.LogAttrs(ctx, level, op, append(attrs, slog.String("outcome", outcome))...)
	// A successful create's event was stored with the bucket (InsertWithinQuota).
	if action, ok := auditActions[op]; ok && !(action == domain.AuditCreate && err == nil) {
		recordAudit(ctx, s.audit, s.log, domain.NewAuditEvent(ctx, s.now(), action, p.OrgID, p.UserID, bucketID, err))
	}
}

// auditActions maps the use cases logOutcome reports to the actions of the audit trail.
var auditActions = map[string]domain.AuditAction{
	"create bucket":     domain.AuditCreate,
	"validate bucket":   domain.AuditValidate,
	"update bucket":     domain.AuditUpdate,
	"delete bucket":     domain.AuditDelete,
	"revalidate bucket": domain.AuditRevalidate,
}

// recordAudit writes an audit event. A failed write does not fail the action, which has
// already happened: bucketd favours availability over a complete trail here, and the action's
// own log line, written before, is the backstop that still tells what happened. The failure is
// logged at error so that an operator sees the trail has a hole.
func recordAudit(ctx context.Context, audit ports.AuditLog, log *slog.Logger, e domain.AuditEvent) {
	if err := audit.Record(ctx, e); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "audit event lost", slog.String("action", string(e.Action)),
			slog.String("org_id", e.OrgID), slog.String("bucket_id", e.BucketID), slog.String("outcome", e.Outcome),
			slog.String("error", err.Error()))
	}
}
