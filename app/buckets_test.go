package app_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/mocks"
)

const (
	orgID = "0190f5c2-0000-7000-8000-000000000001"
	wsID  = "0190f5c2-0000-7000-8000-00000000000a"
)

// clock is the fixed time every service under test reads.
var clock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

var (
	admin  = domain.Principal{UserID: "u-admin", OrgID: orgID, Role: domain.RoleAdmin}
	member = domain.Principal{UserID: "u-member", OrgID: orgID, Role: domain.RoleMember, Workspaces: map[string]domain.WorkspaceRole{"another-ws": domain.WorkspaceWrite}}
)

// bucketsFixture is a Buckets service over mocks. The controller fails the test on any call
// that was not expected, which is how the tests prove that a refusal stops the sequence.
type bucketsFixture struct {
	store *mocks.MockBucketStore
	vault *mocks.MockVault
	s3    *mocks.MockCredentialValidator
	azure *mocks.MockCredentialValidator
	logs  *bytes.Buffer
	audit *auditSpy
	svc   *app.Buckets
}

// newBucketsFixture configures S3 and AZURE validators only, so GCS is an unsupported type.
func newBucketsFixture(t *testing.T) *bucketsFixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := &bucketsFixture{
		store: mocks.NewMockBucketStore(ctrl),
		vault: mocks.NewMockVault(ctrl),
		s3:    mocks.NewMockCredentialValidator(ctrl),
		azure: mocks.NewMockCredentialValidator(ctrl),
		logs:  &bytes.Buffer{},
		audit: &auditSpy{},
	}
	svc, err := app.NewBuckets(app.BucketsDeps{
		Store:         f.store,
		Vault:         f.vault,
		Audit:         f.audit,
		Fingerprinter: fingerprinterFunc(fakeFingerprint),
		Validators: map[domain.StorageType]ports.CredentialValidator{
			domain.StorageS3:    f.s3,
			domain.StorageAzure: f.azure,
		},
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil)),
		Now:    func() time.Time { return clock },
	})
	if err != nil {
		t.Fatalf("NewBuckets: %v", err)
	}
	f.svc = svc
	return f
}

func TestNewBucketsRejectsMissingDependencies(t *testing.T) {
	ctrl := gomock.NewController(t)
	store, vault, v := mocks.NewMockBucketStore(ctrl), mocks.NewMockVault(ctrl), mocks.NewMockCredentialValidator(ctrl)
	valid := func() app.BucketsDeps {
		return app.BucketsDeps{Store: store, Vault: vault, Audit: &auditSpy{},
			Validators: map[domain.StorageType]ports.CredentialValidator{domain.StorageS3: v}}
	}
	tests := []struct {
		name   string
		change func(*app.BucketsDeps)
		want   string
	}{
		{"nil store", func(d *app.BucketsDeps) { d.Store = nil }, "Store is nil"},
		{"nil vault", func(d *app.BucketsDeps) { d.Vault = nil }, "Vault is nil"},
		{"nil audit", func(d *app.BucketsDeps) { d.Audit = nil }, "Audit is nil"},
		{"no validators", func(d *app.BucketsDeps) { d.Validators = nil }, "Validators is empty"},
		{"nil validator", func(d *app.BucketsDeps) { d.Validators[domain.StorageAzure] = nil }, "validator for AZURE is nil"},
		{"alias as key", func(d *app.BucketsDeps) { d.Validators["BLOB"] = v }, `"BLOB" is not a canonical storage type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps := valid()
			tt.change(&deps)
			svc, err := app.NewBuckets(deps)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewBuckets error = %v, want it to contain %q", err, tt.want)
			}
			if svc != nil {
				t.Errorf("NewBuckets returned a service along with the error")
			}
		})
	}
	if _, err := app.NewBuckets(valid()); err != nil {
		t.Fatalf("NewBuckets with every dependency: %v", err)
	}
}

// wantKind fails the test unless err carries kind and, when given, a message containing want.
func wantKind(t *testing.T, err error, kind domain.Kind, want string) {
	t.Helper()
	if !domain.IsKind(err, kind) {
		t.Fatalf("error = %v (kind %s), want kind %s", err, domain.KindOf(err), kind)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}
