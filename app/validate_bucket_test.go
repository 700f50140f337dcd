package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
)

// dryRun is a validation request without workspace and name, as a dry run may be sent.
func dryRun() app.BucketInput {
	in := validCreate()
	in.WorkspaceID, in.Name = "", ""
	return in
}

func TestValidateTouchesNeitherStoreNorVault(t *testing.T) {
	f := newBucketsFixture(t) // no repo or vault expectations: any call fails the test
	f.s3.EXPECT().Validate(gomock.Any(), gomock.Cond(func(tg domain.ValidationTarget) bool {
		return tg.Bucket == "my-backups" && tg.Mode == domain.ValidateReadOnly && tg.Credentials.Secret.Reveal() == secretKey
	})).Return(passed, nil)
	out, err := f.svc.Validate(context.Background(), admin, dryRun())
	if err != nil || out.Failure != nil {
		t.Fatalf("Validate() = %+v, %v; want a passing outcome", out, err)
	}
	if len(out.Report.Checks) != len(passed.Checks) || out.Report.Latency != passed.Latency {
		t.Errorf("report = %+v, want the validator's", out.Report)
	}
}

func TestValidateReturnsProviderVerdictsAsOutcome(t *testing.T) {
	for _, kind := range []domain.Kind{domain.KindInvalidCredentials, domain.KindAccessDenied, domain.KindBucketNotFound,
		domain.KindRegionMismatch, domain.KindEndpointNotAllowed, domain.KindEndpointUnreachable,
		domain.KindProviderError, domain.KindProviderTimeout} {
		t.Run(kind.String(), func(t *testing.T) {
			f := newBucketsFixture(t)
			failed := domain.ValidationReport{Checks: []domain.Check{{Name: "authenticate", Status: domain.CheckFail}}}
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(failed, domain.Errorf(kind, "authenticate: no"))
			out, err := f.svc.Validate(context.Background(), admin, dryRun())
			if err != nil {
				t.Fatalf("a provider verdict must not be an error, got %v", err)
			}
			if out.Failure == nil || out.Failure.Kind != kind || out.Report.Checks[0].Status != domain.CheckFail {
				t.Errorf("outcome = %+v, want failure of kind %v with the report", out, kind)
			}
		})
	}
}

func TestValidateReturnsInternalFailuresAsErrors(t *testing.T) {
	for name, cause := range map[string]error{
		"unclassified": errors.New("sdk exploded"),
		"internal":     domain.Errorf(domain.KindInternal, "wiring bug"),
	} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t)
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(domain.ValidationReport{}, cause)
			if _, err := f.svc.Validate(context.Background(), admin, dryRun()); !errors.Is(err, cause) {
				t.Errorf("error = %v, want %v", err, cause)
			}
		})
	}
}

func TestValidateChecksAGivenWorkspace(t *testing.T) {
	f := newBucketsFixture(t)
	f.store.EXPECT().WorkspaceInOrg(gomock.Any(), orgID, wsID).Return(false, nil)
	in := dryRun()
	in.WorkspaceID = wsID
	_, err := f.svc.Validate(context.Background(), admin, in)
	wantKind(t, err, domain.KindWorkspaceNotFound, wsID)

	f = newBucketsFixture(t)
	f.store.EXPECT().WorkspaceInOrg(gomock.Any(), orgID, wsID).Return(true, nil)
	_, err = f.svc.Validate(context.Background(), member, in)
	wantKind(t, err, domain.KindForbidden, wsID)
}

func TestValidateAppliesFieldRulesBeforeTheProvider(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(*app.BucketInput)
		want   string
	}{
		"bad name when given": {func(in *app.BucketInput) { in.Name = "a\x00b" }, "a control character"},
		"bad bucket":          {func(in *app.BucketInput) { in.Bucket = "ab" }, `bucket "ab"`},
		"empty secret":        {func(in *app.BucketInput) { in.Secret = domain.Secret{} }, "secret must not be empty"},
		"bad mode":            {func(in *app.BucketInput) { in.Mode = "write-only" }, "validation"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t) // the validator must not be called
			in := dryRun()
			tc.change(&in)
			_, err := f.svc.Validate(context.Background(), admin, in)
			wantKind(t, err, domain.KindInvalidInput, tc.want)
		})
	}
}

func TestValidateLogsVerdictWithoutCredentials(t *testing.T) {
	f := newBucketsFixture(t)
	f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(domain.ValidationReport{}, domain.Errorf(domain.KindAccessDenied, "list: denied"))
	if _, err := f.svc.Validate(context.Background(), admin, dryRun()); err != nil {
		t.Fatal(err)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"outcome":"access denied"`) || strings.Contains(logs, secretKey) || strings.Contains(logs, accessKey) {
		t.Errorf("log = %s; want the verdict as the outcome and no credentials", logs)
	}
}
