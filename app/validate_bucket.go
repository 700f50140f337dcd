package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// ValidationOutcome is what a dry run found: the report of every check and, when a check
// failed, the classified failure of the first one. A failed check is an answer, not an error.
type ValidationOutcome struct {
	Report  domain.ValidationReport
	Failure *domain.Error
}

// Status is the status a validation proves of the values it checked.
func (out ValidationOutcome) Status() domain.Status {
	if out.Failure != nil {
		return domain.StatusOffline
	}
	return domain.StatusOnline
}

// StatusRecord is the record of the status this outcome proves, established at `at`: when a
// check failed, its caller-facing message says why.
func (out ValidationOutcome) StatusRecord(at time.Time) domain.StatusRecord {
	var message string
	if out.Failure != nil {
		message = out.Failure.Message
	}
	return domain.NewStatusRecord(out.Status(), message, at)
}

// Validate runs the provider checks on a bucket's credentials without storing anything (a dry
// run of Create). The workspace is checked only when given; quota and name uniqueness are not
// checked, because nothing is created. The error is reserved for requests that cannot be
// validated at all (field rules, workspace access, an internal failure); every provider verdict,
// passing or failing, comes back in the outcome.
func (s *Buckets) Validate(ctx context.Context, p domain.Principal, in BucketInput) (ValidationOutcome, error) {
	start := s.now()
	out, err := s.validate(ctx, p, in)
	s.logOutcome(ctx, "validate bucket", p, "", outcomeOf(out, err),
		slog.String("storage_type", in.StorageType), slog.Duration("duration", s.now().Sub(start)))
	return out, err
}

func (s *Buckets) validate(ctx context.Context, p domain.Principal, in BucketInput) (ValidationOutcome, error) {
	if workspaceID := strings.TrimSpace(in.WorkspaceID); workspaceID != "" {
		// A readwrite dry run writes a probe object: a READ member may not ask for one in the
		// name of the workspace.
		need := domain.WorkspaceRead
		if in.Mode == domain.ValidateReadWrite {
			need = domain.WorkspaceWrite
		}
		if err := s.authorizeWorkspace(ctx, p, workspaceID, need); err != nil {
			return ValidationOutcome{}, err
		}
	}
	if _, err := s.resolveInput(ctx, p, &in, strings.TrimSpace(in.WorkspaceID)); err != nil {
		return ValidationOutcome{}, err
	}
	f, err := s.checkFields(in, nameOptional)
	if err != nil {
		return ValidationOutcome{}, err
	}
	if err := s.bindOrganization(ctx, p.OrgID, &f); err != nil {
		return ValidationOutcome{}, err
	}
	return verdict(f.validate(ctx))
}

// outcomeOf is what a validation use case reports in its log line and audit event: its error,
// or else the provider's verdict, so a dry run that refused the credentials is not logged "ok".
func outcomeOf(out ValidationOutcome, err error) error {
	if err == nil && out.Failure != nil {
		return out.Failure
	}
	return err
}

// verdict turns a validator's answer into an outcome: a classified provider failure is an
// answer for the caller, anything unclassified stays an error.
func verdict(report domain.ValidationReport, err error) (ValidationOutcome, error) {
	if err == nil {
		return ValidationOutcome{Report: report}, nil
	}
	var failure *domain.Error
	if !errors.As(err, &failure) || failure.Kind == domain.KindInternal {
		return ValidationOutcome{}, err
	}
	return ValidationOutcome{Report: report, Failure: failure}, nil
}
