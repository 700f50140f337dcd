package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

const (
	accessKey = "AKIAIOSFODNN7EXAMPLE"
	secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func validCreate() app.BucketInput {
	return app.BucketInput{
		Name:        "  Backups ",
		Bucket:      "my-backups",
		StorageType: "S3",
		Key:         domain.NewSecret(accessKey),
		Secret:      domain.NewSecret(secretKey),
		Region:      "us-east-1",
		WorkspaceID: wsID,
	}
}

var passed = domain.ValidationReport{
	Checks:  []domain.Check{{Name: "authenticate", Status: domain.CheckPass}, {Name: "bucket", Status: domain.CheckPass}},
	Region:  "us-east-1",
	Latency: 42 * time.Millisecond,
}

// scopeOf matches a seal scope of the test organization for one field and a fresh bucket id.
func scopeOf(field string) gomock.Matcher {
	return gomock.Cond(func(s ports.SecretScope) bool {
		return s.OrgID == orgID && s.Field == field && domain.IsID(s.BucketID)
	})
}

// sealed is what the mock vault returns: recognisable bytes that carry no plaintext.
func sealed(_ context.Context, _ domain.Secret, s ports.SecretScope) ([]byte, error) {
	return []byte("sealed-" + s.Field + "-for-" + s.BucketID), nil
}

// expectChecks expects the early checks (workspace, quota and name, one PrecheckCreate read) to pass and
// returns the call so later expectations can follow it.
func (f *bucketsFixture) expectChecks(name string) *gomock.Call {
	return f.store.EXPECT().PrecheckCreate(gomock.Any(), orgID, wsID, name).
		Return(ports.CreatePrecheck{WorkspaceInOrg: true, Quota: domain.Quota{Plan: domain.PlanFreeTrial, Used: 3, Limit: 10}}, nil)
}

// expectSeals expects both fields to be sealed after prev, key first, and returns the last call.
func (f *bucketsFixture) expectSeals(prev *gomock.Call) *gomock.Call {
	key := f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(accessKey), scopeOf(ports.FieldKey)).DoAndReturn(sealed).After(prev)
	return f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(secretKey), scopeOf(ports.FieldSecret)).DoAndReturn(sealed).After(key)
}

func TestCreateCallsPortsInOrder(t *testing.T) {
	f := newBucketsFixture(t)
	var scopes []ports.SecretScope
	var (
		stored  domain.Bucket
		created domain.AuditEvent
	)
	recordScope := func(ctx context.Context, s domain.Secret, scope ports.SecretScope) ([]byte, error) {
		scopes = append(scopes, scope)
		return sealed(ctx, s, scope)
	}
	gomock.InOrder(
		f.store.EXPECT().PrecheckCreate(gomock.Any(), orgID, wsID, "Backups").Return(ports.CreatePrecheck{WorkspaceInOrg: true, Quota: domain.Quota{Plan: domain.PlanFreeTrial, Used: 9, Limit: 10}}, nil),
		f.s3.EXPECT().Validate(gomock.Any(), domain.ValidationTarget{
			StorageType: domain.StorageS3,
			Bucket:      "my-backups",
			Region:      "us-east-1",
			Credentials: domain.Credentials{Key: domain.NewSecret(accessKey), Secret: domain.NewSecret(secretKey)},
			Mode:        domain.ValidateReadOnly,
		}).Return(passed, nil),
		f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(accessKey), scopeOf(ports.FieldKey)).DoAndReturn(recordScope),
		f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(secretKey), scopeOf(ports.FieldSecret)).DoAndReturn(recordScope),
		f.store.EXPECT().InsertWithinQuota(gomock.Any(), gomock.Any(), gomock.Any()).Do(func(_ context.Context, b domain.Bucket, e domain.AuditEvent) {
			stored, created = b, e
		}),
	)

	res, err := f.svc.Create(t.Context(), admin, validCreate())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}

	id := scopes[0].BucketID
	if scopes[1].BucketID != id {
		t.Fatalf("key sealed for bucket %s, secret for bucket %s; want one id", id, scopes[1].BucketID)
	}
	want := domain.Bucket{
		ID:          id,
		OrgID:       orgID,
		WorkspaceID: wsID,
		Name:        "Backups",
		Bucket:      "my-backups",
		StorageType: domain.StorageS3,
		// The spelling the caller sent, which answers give back.
		StorageTypeSpelling: "S3",
		Region:              "us-east-1",
		KeyHint:             "AKIA…MPLE",
		Status:              domain.StatusOnline,
		LastStatusAt:        &clock,
		CreatedAt:           clock,
		UpdatedAt:           clock,
		SealedKey:           []byte("sealed-key-for-" + id),
		SealedSecret:        []byte("sealed-secret-for-" + id),
		// A new bucket's secret is at its first version, changed when the bucket was created.
		SecretFingerprint:    fakeFingerprint(secretKey),
		SecretVersion:        1,
		CredentialsUpdatedAt: &clock,
	}
	if !reflect.DeepEqual(stored, want) {
		t.Errorf("inserted bucket\n got %+v\nwant %+v", stored, want)
	}
	if res.BucketID != id || res.Status != domain.StatusOnline || res.Validation.Latency != passed.Latency {
		t.Errorf("result = %+v, want bucket %s ONLINE with the validation report", res, id)
	}
	// The creation is audited with the insert, and not once more afterwards.
	wantEvent := domain.AuditEvent{ID: created.ID, At: clock, OrgID: orgID, UserID: admin.UserID, Action: domain.AuditCreate,
		BucketID: id, Outcome: domain.AuditOK, Count: 1}
	if created != wantEvent || !domain.IsID(created.ID) {
		t.Errorf("audit event inserted with the bucket = %+v, want %+v with a UUID", created, wantEvent)
	}
	if events := f.audit.recorded(); len(events) != 0 {
		t.Errorf("audit events recorded after the insert = %+v, want none", events)
	}
}

func TestCreateHidesWorkspacesOfOtherOrganizations(t *testing.T) {
	// Even a principal that lists the workspace gets WORKSPACE_NOT_FOUND when the store says it
	// is not in the principal's organization: the store is asked first.
	stale := domain.Principal{UserID: "u", OrgID: orgID, Role: domain.RoleMember, Workspaces: map[string]domain.WorkspaceRole{wsID: domain.WorkspaceWrite}}
	for name, p := range map[string]domain.Principal{"admin": admin, "member listing it": stale} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t)
			f.store.EXPECT().PrecheckCreate(gomock.Any(), orgID, wsID, "Backups").
				Return(ports.CreatePrecheck{WorkspaceInOrg: false, Quota: domain.Quota{Plan: domain.PlanFreeTrial, Limit: 10}}, nil)

			_, err := f.svc.Create(t.Context(), p, validCreate())

			wantKind(t, err, domain.KindWorkspaceNotFound, `workspaceId "`+wsID+`" is not a workspace of your organization`)
		})
	}
}

func TestCreateForbidsMemberOutsideWorkspace(t *testing.T) {
	f := newBucketsFixture(t)
	f.store.EXPECT().PrecheckCreate(gomock.Any(), orgID, wsID, "Backups").
		Return(ports.CreatePrecheck{WorkspaceInOrg: true, Quota: domain.Quota{Plan: domain.PlanFreeTrial, Limit: 10}}, nil)

	_, err := f.svc.Create(t.Context(), member, validCreate())

	wantKind(t, err, domain.KindForbidden, wsID)
}

func TestCreateRequiresWorkspaceID(t *testing.T) {
	f := newBucketsFixture(t)
	cmd := validCreate()
	cmd.WorkspaceID = "  "

	_, err := f.svc.Create(t.Context(), admin, cmd)

	wantKind(t, err, domain.KindInvalidInput, "workspaceId")
}

func TestCreateFieldRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(*app.BucketInput)
		want   string
	}{
		{"empty name", func(c *app.BucketInput) { c.Name = " \t " }, "name must not be empty"},
		{"control character in name", func(c *app.BucketInput) { c.Name = "a\x00b" }, "name: character 2 is U+0000 NULL, a control character; remove it"},
		{"name too long", func(c *app.BucketInput) { c.Name = strings.Repeat("n", 129) }, "name is 129 characters long"},
		{"unknown storage type", func(c *app.BucketInput) { c.StorageType = "DROPBOX" }, `storageType "DROPBOX"`},
		{"lowercase storage type", func(c *app.BucketInput) { c.StorageType = "s3" }, `storageType "s3"`},
		{"storage type without validator", func(c *app.BucketInput) { c.StorageType, c.Bucket = "GCS", "my-gcs-bucket" },
			"storageType GCS is not supported by this server yet; use one of AZURE, S3"},
		{"uppercase S3 bucket on AWS", func(c *app.BucketInput) { c.Bucket = "My-Backups" }, `bucket "My-Backups"`},
		{"S3 bucket too short", func(c *app.BucketInput) { c.Bucket = "ab" }, `bucket "ab" must be 3 to 63 characters long`},
		{"S3 bucket as IP address", func(c *app.BucketInput) { c.Bucket = "192.168.1.1" }, "IP address"},
		{"Azure container with underscore", func(c *app.BucketInput) { c.StorageType, c.Bucket, c.Region = "AZURE", "my_container", "eastus" }, `bucket "my_container" may contain only`},
		{"empty key", func(c *app.BucketInput) { c.Key = domain.Secret{} }, "key must not be empty; for S3 it is the access key id"},
		{"empty Azure key", func(c *app.BucketInput) { c.StorageType, c.Region, c.Key = "AZURE", "eastus", domain.Secret{} }, "key must not be empty; for AZURE it is the storage account name"},
		{"empty secret", func(c *app.BucketInput) { c.Secret = domain.NewSecret("") }, "secret must not be empty; for S3 it is the secret access key"},
		{"region too long", func(c *app.BucketInput) { c.Region = strings.Repeat("a", 65) }, "region is 65 characters long; the limit is 64"},
		{"uppercase S3 region", func(c *app.BucketInput) { c.Region = "US-EAST-1" }, `region "US-EAST-1" may contain only lowercase letters`},
		{"S3 region with underscore", func(c *app.BucketInput) { c.Region = "us_east_1" }, `region "us_east_1"`},
		{"Azure region with control character", func(c *app.BucketInput) { c.StorageType, c.Bucket, c.Region = "AZURE", "photos", "west\neurope" }, "region must contain only printable characters"},
		{"Azure region not UTF-8", func(c *app.BucketInput) { c.StorageType, c.Bucket, c.Region = "AZURE", "photos", "west\xffeurope" }, "region is not valid UTF-8"},
		{"unknown validation mode", func(c *app.BucketInput) { c.Mode = "write" }, `validation "write" is not one of read, readwrite`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t)
			cmd := validCreate() // refused by the field rules, before any port is asked
			tt.change(&cmd)

			_, err := f.svc.Create(t.Context(), admin, cmd)

			wantKind(t, err, domain.KindInvalidInput, tt.want)
		})
	}
}

func TestCreateAcceptsBlobAsAzure(t *testing.T) {
	f := newBucketsFixture(t)
	cmd := validCreate()
	cmd.StorageType, cmd.Bucket, cmd.Region, cmd.Mode = "BLOB", "photos", "West Europe", domain.ValidateReadWrite
	checked := f.expectChecks("Backups")
	validated := f.azure.EXPECT().Validate(gomock.Any(), gomock.Cond(func(v domain.ValidationTarget) bool {
		return v.StorageType == domain.StorageAzure && v.Bucket == "photos" && v.Region == "West Europe" && v.Mode == domain.ValidateReadWrite
	})).Return(passed, nil).After(checked)
	f.store.EXPECT().InsertWithinQuota(gomock.Any(), gomock.Cond(func(b domain.Bucket) bool {
		return b.StorageType == domain.StorageAzure
	}), gomock.Any()).After(f.expectSeals(validated))

	if _, err := f.svc.Create(t.Context(), admin, cmd); err != nil {
		t.Fatalf("Create with storageType BLOB: %v", err)
	}
}

func TestCreateRelaxesBucketRulesForCustomEndpoint(t *testing.T) {
	f := newBucketsFixture(t)
	cmd := validCreate()
	cmd.Bucket, cmd.Endpoint = "My_Bucket", "  https://gateway.storjshare.io \n"
	const endpoint = "https://gateway.storjshare.io"
	validated := f.s3.EXPECT().Validate(gomock.Any(), gomock.Cond(func(v domain.ValidationTarget) bool {
		return v.Bucket == "My_Bucket" && v.Endpoint == endpoint
	})).Return(passed, nil).After(f.expectChecks("Backups"))
	f.store.EXPECT().InsertWithinQuota(gomock.Any(), gomock.Cond(func(b domain.Bucket) bool {
		return b.Bucket == "My_Bucket" && b.Endpoint == endpoint
	}), gomock.Any()).After(f.expectSeals(validated))

	if _, err := f.svc.Create(t.Context(), admin, cmd); err != nil {
		t.Fatalf("Create with custom endpoint: %v", err)
	}
}

func TestCreateStopsAtFullQuota(t *testing.T) {
	f := newBucketsFixture(t)
	gomock.InOrder(
		f.store.EXPECT().PrecheckCreate(gomock.Any(), orgID, wsID, "Backups").Return(ports.CreatePrecheck{WorkspaceInOrg: true, Quota: domain.Quota{Plan: domain.PlanFreeTrial, Used: 10, Limit: 10}}, nil),
	)

	_, err := f.svc.Create(t.Context(), admin, validCreate())

	wantKind(t, err, domain.KindQuotaExceeded, "10 of 10")
}

func TestCreateStopsAtTakenName(t *testing.T) {
	f := newBucketsFixture(t)
	gomock.InOrder(
		f.store.EXPECT().PrecheckCreate(gomock.Any(), orgID, wsID, "Backups").Return(ports.CreatePrecheck{WorkspaceInOrg: true, Quota: domain.Quota{Plan: domain.PlanFreeTrial, Used: 1, Limit: 10}, NameTaken: true}, nil),
	)

	_, err := f.svc.Create(t.Context(), admin, validCreate())

	wantKind(t, err, domain.KindNameTaken, `name "Backups" is already used by another bucket of this organization; choose another name`)
}

func TestCreatePassesValidationFailureThrough(t *testing.T) {
	for _, kind := range []domain.Kind{domain.KindInvalidCredentials, domain.KindBucketNotFound} {
		t.Run(kind.String(), func(t *testing.T) {
			f := newBucketsFixture(t)
			failure := domain.Errorf(kind, "the provider said no")
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).
				Return(domain.ValidationReport{Checks: []domain.Check{{Name: "authenticate", Status: domain.CheckFail}}}, failure).
				After(f.expectChecks("Backups"))

			_, err := f.svc.Create(t.Context(), admin, validCreate())

			if err != failure { // identity, not errors.Is: the validator's error must come back unchanged
				t.Fatalf("error = %v, want the validator's error unchanged", err)
			}
		})
	}
}

func TestCreateStoresNothingWhenSealingFails(t *testing.T) {
	vaultDown := errors.New("vault: key ring unavailable")
	for _, tt := range []struct {
		name  string
		field string
	}{{"key", ports.FieldKey}, {"secret", ports.FieldSecret}} {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t)
			prev := f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil).After(f.expectChecks("Backups"))
			if tt.field == ports.FieldSecret {
				prev = f.vault.EXPECT().Seal(gomock.Any(), gomock.Any(), scopeOf(ports.FieldKey)).DoAndReturn(sealed).After(prev)
			}
			f.vault.EXPECT().Seal(gomock.Any(), gomock.Any(), scopeOf(tt.field)).Return(nil, vaultDown).After(prev)

			_, err := f.svc.Create(t.Context(), admin, validCreate())

			if !errors.Is(err, vaultDown) || domain.KindOf(err) != domain.KindInternal {
				t.Fatalf("error = %v (kind %s), want the vault failure as internal", err, domain.KindOf(err))
			}
			if !strings.Contains(err.Error(), "seal "+tt.field) {
				t.Errorf("error %q does not say which field failed", err)
			}
		})
	}
}

func TestCreatePassesInsertFailureThrough(t *testing.T) {
	for _, kind := range []domain.Kind{domain.KindQuotaExceeded, domain.KindNameTaken, domain.KindUnavailable} {
		t.Run(kind.String(), func(t *testing.T) {
			f := newBucketsFixture(t)
			lost := domain.Errorf(kind, "lost the race")
			validated := f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil).After(f.expectChecks("Backups"))
			f.store.EXPECT().InsertWithinQuota(gomock.Any(), gomock.Any(), gomock.Any()).Return(lost).After(f.expectSeals(validated))

			_, err := f.svc.Create(t.Context(), admin, validCreate())

			if !errors.Is(err, lost) || !domain.IsKind(err, kind) {
				t.Fatalf("error = %v, want the store's %s error", err, kind)
			}
			// A refused insert stored no event; the refusal is recorded afterwards.
			if events := f.audit.recorded(); len(events) != 1 || events[0].Action != domain.AuditCreate || events[0].Outcome != kind.String() {
				t.Errorf("audit events = %+v, want one create with outcome %s", events, kind)
			}
		})
	}
}

func TestCreateWrapsStoreFailuresOfEarlyChecks(t *testing.T) {
	down := domain.Errorf(domain.KindUnavailable, "database unreachable")
	tests := []struct {
		name   string
		expect func(f *bucketsFixture)
		want   string
	}{
		{"precheck", func(f *bucketsFixture) {
			f.store.EXPECT().PrecheckCreate(gomock.Any(), orgID, wsID, "Backups").Return(ports.CreatePrecheck{}, down)
		}, "read workspace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t)
			tt.expect(f)

			_, err := f.svc.Create(t.Context(), admin, validCreate())

			if !errors.Is(err, down) {
				t.Fatalf("error = %v, want the store failure wrapped", err)
			}
			wantKind(t, err, domain.KindUnavailable, tt.want)
		})
	}
}

func TestCreateLogsOneLineWithoutCredentials(t *testing.T) {
	tests := []struct {
		name    string
		expect  func(f *bucketsFixture)
		outcome string
	}{
		{"created", func(f *bucketsFixture) {
			validated := f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil).After(f.expectChecks("Backups"))
			f.store.EXPECT().InsertWithinQuota(gomock.Any(), gomock.Any(), gomock.Any()).After(f.expectSeals(validated))
		}, "ok"},
		{"rejected by provider", func(f *bucketsFixture) {
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).
				Return(domain.ValidationReport{}, domain.Errorf(domain.KindInvalidCredentials, "the access key id was not accepted")).
				After(f.expectChecks("Backups"))
		}, "invalid credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t)
			tt.expect(f)

			res, _ := f.svc.Create(t.Context(), admin, validCreate())

			out := f.logs.String()
			for _, plaintext := range []string{accessKey, secretKey} {
				if strings.Contains(out, plaintext) {
					t.Fatalf("log contains a credential in plaintext:\n%s", out)
				}
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 1 {
				t.Fatalf("got %d log lines, want 1:\n%s", len(lines), out)
			}
			var line map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
				t.Fatalf("log line is not JSON: %v", err)
			}
			want := map[string]any{
				"level": "INFO", "msg": "create bucket", "outcome": tt.outcome, "org_id": orgID,
				"workspace_id": wsID, "storage_type": "S3", "duration": float64(0),
			}
			if res.BucketID != "" {
				want["bucket_id"] = res.BucketID
			} else if _, logged := line["bucket_id"]; logged {
				t.Errorf("a refused create logs bucket_id %v; want none", line["bucket_id"])
			}
			for k, v := range want {
				if line[k] != v {
					t.Errorf("log %s = %v, want %v", k, line[k], v)
				}
			}
		})
	}
}

// TestCreateHonoursCallerCancellation shows the context reaches the ports: a caller that gives
// up stops the sequence at the port that noticed.
func TestCreateHonoursCallerCancellation(t *testing.T) {
	f := newBucketsFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	f.store.EXPECT().PrecheckCreate(gomock.Any(), orgID, wsID, "Backups").DoAndReturn(func(ctx context.Context, _, _, _ string) (ports.CreatePrecheck, error) {
		cancel()
		return ports.CreatePrecheck{}, ctx.Err()
	})

	_, err := f.svc.Create(ctx, admin, validCreate())

	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}
