package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/bucketd/bucketd/domain"
)

// ValidationOutcome is what a dry run found: the report of every check and, when a check
// failed, the classified failure of the first one. A failed check is an answer, not an error.
type ValidationOutcome struct {
	Report  domain.ValidationReport
	Failure *domain.Error
}

// Validate runs the provider checks on a bucket's credentials without storing anything (a dry
// run of Create). The workspace is checked only when given; quota and name uniqueness are not
// checked, because nothing is created. The error is reserved for requests that cannot be
// validated at all (field rules, workspace access, an internal failure); every provider verdict,
// passing or failing, comes back in the outcome.
func (s *Buckets) Validate(ctx context.Context, p domain.Principal, in BucketInput) (ValidationOutcome, error) {
	start := s.now()
	out, err := s.validate(ctx, p, in)
	attrs := []slog.Attr{
		slog.String("org_id", p.OrgID),
		slog.String("storage_type", in.StorageType),
		slog.Duration("duration", s.now().Sub(start)),
	}
	if err == nil {
		verdict := "pass"
		if out.Failure != nil {
			verdict = out.Failure.Kind.String()
		}
		attrs = append(attrs, slog.String("verdict", verdict))
	}
	s.logOutcome(ctx, "validate bucket", err, attrs...)
	return out, err
}

func (s *Buckets) validate(ctx context.Context, p domain.Principal, in BucketInput) (ValidationOutcome, error) {
	if workspaceID := strings.TrimSpace(in.WorkspaceID); workspaceID != "" {
		if err := s.authorizeWorkspace(ctx, p, workspaceID); err != nil {
			return ValidationOutcome{}, err
		}
	}
	f, err := s.checkFields(in, nameOptional)
	if err != nil {
		return ValidationOutcome{}, err
	}
	return verdict(f.validator.Validate(ctx, f.target()))
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
