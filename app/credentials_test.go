package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/mocks"
)

const apiKeyID = "0190f5c2-0000-7000-8000-0000000000c1"

// scopedVault seals a value as its scope and plaintext, and opens only in the same scope, so
// a test sees that every value was sealed where it is used and nothing else.
type scopedVault struct{}

func (scopedVault) Seal(_ context.Context, v domain.Secret, s ports.SecretScope) ([]byte, error) {
	return []byte(fmt.Sprintf("%s|%s|%s|%s", s.OrgID, s.BucketID, s.Field, v.Reveal())), nil
}

func (scopedVault) Open(_ context.Context, sealed []byte, s ports.SecretScope) (domain.Secret, error) {
	prefix := fmt.Sprintf("%s|%s|%s|", s.OrgID, s.BucketID, s.Field)
	if !strings.HasPrefix(string(sealed), prefix) {
		return domain.Secret{}, errors.New("opened in another scope")
	}
	return domain.NewSecret(strings.TrimPrefix(string(sealed), prefix)), nil
}

// credentialFixture is a Buckets service with a credential store and authenticator over mocks
// and the scoped vault.
type credentialFixture struct {
	store *mocks.MockBucketStore
	creds *mocks.MockCredentialStore
	auth  *mocks.MockCredentialAuthenticator
	s3    *mocks.MockCredentialValidator
	svc   *app.Buckets
}

func newCredentialFixture(t *testing.T) *credentialFixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := &credentialFixture{store: mocks.NewMockBucketStore(ctrl), creds: mocks.NewMockCredentialStore(ctrl),
		auth: mocks.NewMockCredentialAuthenticator(ctrl), s3: mocks.NewMockCredentialValidator(ctrl)}
	svc, err := app.NewBuckets(app.BucketsDeps{Store: f.store, Vault: scopedVault{}, Audit: &auditSpy{},
		Validators:     map[domain.StorageType]ports.CredentialValidator{domain.StorageS3: f.s3},
		Credentials:    f.creds,
		Authenticators: map[domain.StorageType]ports.CredentialAuthenticator{domain.StorageS3: f.auth},
		Fingerprinter:  fingerprinterFunc(fakeFingerprint),
		Logger:         slog.New(slog.DiscardHandler), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

// storedCredential is an S3 credential of wsID, sealed by scopedVault, at secret version 3.
func storedCredential(secret string) domain.StoredCredential {
	c := domain.StoredCredential{ID: apiKeyID, OrgID: orgID, WorkspaceID: wsID, StorageType: domain.StorageS3,
		ProviderSpelling: "AWS", Kind: domain.CredentialKeySecret, Endpoint: "https://s3.example.com", SecretVersion: 3}
	c.SealedKey, _ = scopedVault{}.Seal(context.Background(), domain.NewSecret(accessKey), ports.SecretScope{OrgID: orgID, BucketID: apiKeyID, Field: ports.FieldCredentialKey})
	c.SealedSecret, _ = scopedVault{}.Seal(context.Background(), domain.NewSecret(secret), ports.SecretScope{OrgID: orgID, BucketID: apiKeyID, Field: ports.FieldCredentialSecret})
	return c
}

func TestCreateCredentialAuthenticatesThenSeals(t *testing.T) {
	f := newCredentialFixture(t)
	var stored domain.StoredCredential
	gomock.InOrder(
		f.store.EXPECT().WorkspaceInOrg(gomock.Any(), orgID, wsID).Return(true, nil),
		f.auth.EXPECT().Authenticate(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tg domain.CredentialTarget) error {
			if tg.Credentials.Key.Reveal() != accessKey || tg.Credentials.Secret.Reveal() != secretKey || tg.Endpoint != "https://s3.example.com" {
				t.Errorf("authenticated %+v", tg)
			}
			return nil
		}),
		f.creds.EXPECT().InsertCredential(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, c domain.StoredCredential) error {
			stored = c
			return nil
		}),
	)

	c, err := f.svc.CreateCredential(t.Context(), admin, app.CredentialInput{WorkspaceID: wsID, Provider: "aws",
		Key: domain.NewSecret(accessKey), Secret: domain.NewSecret(secretKey), Endpoint: " https://s3.example.com "})

	if err != nil {
		t.Fatal(err)
	}
	if stored.ID != c.ID || stored.StorageType != domain.StorageS3 || stored.KeyHint != domain.NewSecret(accessKey).Hint() ||
		stored.SecretFingerprint != fakeFingerprint(secretKey) || stored.SecretVersion != 1 || len(stored.SealedSessionToken) != 0 {
		t.Errorf("stored %+v", stored)
	}
	secret, err := scopedVault{}.Open(t.Context(), stored.SealedSecret, ports.SecretScope{OrgID: orgID, BucketID: c.ID, Field: ports.FieldCredentialSecret})
	if err != nil || secret.Reveal() != secretKey {
		t.Errorf("the secret is not sealed in the credential's own scope: %v", err)
	}
}

func TestCreateCredentialRefusesBeforeTheProvider(t *testing.T) {
	for name, tc := range map[string]struct {
		in   app.CredentialInput
		want string
	}{
		"unknown provider":        {app.CredentialInput{Provider: "OPENAI", Key: domain.NewSecret(accessKey)}, `provider "OPENAI" is not one of`},
		"no secret":               {app.CredentialInput{Provider: "S3", Key: domain.NewSecret(accessKey)}, "secret must not be empty"},
		"a kind of another cloud": {app.CredentialInput{Provider: "AWS", Kind: "AZURE_SAS", Key: domain.NewSecret(accessKey)}, "is for AZURE buckets"},
		"a session without token": {app.CredentialInput{Provider: "AWS", Kind: "AWS_SESSION", Key: domain.NewSecret(accessKey),
			Secret: domain.NewSecret(secretKey)}, "sessionToken must not be empty"},
		"a role with a secret": {app.CredentialInput{Provider: "AWS", Kind: "AWS_ROLE", Key: domain.NewSecret("arn:aws:iam::1:role/r"),
			Secret: domain.NewSecret(secretKey)}, "has no secret"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newCredentialFixture(t)
			f.store.EXPECT().WorkspaceInOrg(gomock.Any(), orgID, wsID).Return(true, nil)
			tc.in.WorkspaceID = wsID
			_, err := f.svc.CreateCredential(t.Context(), admin, tc.in)
			wantKind(t, err, domain.KindInvalidInput, tc.want)
		})
	}
}

// TestCreateBucketUsesTheCredential checks a bucket by reference: its checks use the opened
// credential at the credential's endpoint, and it stores no sealed values of its own.
func TestCreateBucketUsesTheCredential(t *testing.T) {
	f := newCredentialFixture(t)
	var stored domain.Bucket
	f.creds.EXPECT().GetCredential(gomock.Any(), orgID, apiKeyID).Return(storedCredential(secretKey), nil)
	f.store.EXPECT().PrecheckCreate(gomock.Any(), orgID, wsID, "Backups").Return(ports.CreatePrecheck{WorkspaceInOrg: true,
		Quota: domain.Quota{Plan: domain.PlanFreeTrial, Limit: 10}}, nil)
	f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tg domain.ValidationTarget) (domain.ValidationReport, error) {
		if tg.Credentials.Secret.Reveal() != secretKey || tg.Endpoint != "https://s3.example.com" {
			t.Errorf("validated %+v", tg)
		}
		return domain.ValidationReport{}, nil
	})
	f.store.EXPECT().InsertWithinQuota(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, b domain.Bucket, _ domain.AuditEvent) error {
		stored = b
		return nil
	})

	_, err := f.svc.Create(t.Context(), admin, app.BucketInput{Name: "Backups", Bucket: "backups", StorageType: "S3", Region: "us-east-1",
		WorkspaceID: wsID, APIKeyID: apiKeyID})

	if err != nil {
		t.Fatal(err)
	}
	if stored.CredentialID != apiKeyID || stored.CredentialVersion != 3 || len(stored.SealedKey) != 0 || len(stored.SealedSecret) != 0 ||
		stored.Endpoint != "https://s3.example.com" {
		t.Errorf("stored %+v; want it to use the credential at version 3, with no sealed values of its own", stored)
	}
}

// TestBucketRefusesForeignCredentials checks that another workspace's credential answers like
// an unknown one, and that a provider mismatch and a key beside apiKeyUuid are refused.
func TestBucketRefusesForeignCredentials(t *testing.T) {
	gcs := storedCredential(secretKey)
	gcs.StorageType = domain.StorageGCS
	elsewhere := storedCredential(secretKey)
	elsewhere.WorkspaceID = "another-ws"
	for name, tc := range map[string]struct {
		stored  *domain.StoredCredential
		withKey bool
		want    string
	}{
		"unknown":             {nil, false, "is not an API key of this workspace"},
		"another workspace's": {&elsewhere, false, "is not an API key of this workspace"},
		"another provider's":  {&gcs, false, "is an API key for GCS and cannot reach a bucket of storage type S3"},
		"with a key as well":  {&gcs, true, "give either apiKeyUuid or key and secret, not both"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newCredentialFixture(t)
			if !tc.withKey {
				if tc.stored == nil {
					f.creds.EXPECT().GetCredential(gomock.Any(), orgID, apiKeyID).Return(domain.StoredCredential{}, domain.Errorf(domain.KindNotFound, "no"))
				} else {
					f.creds.EXPECT().GetCredential(gomock.Any(), orgID, apiKeyID).Return(*tc.stored, nil)
				}
			}
			in := app.BucketInput{Name: "B", Bucket: "backups", StorageType: "S3", WorkspaceID: wsID, APIKeyID: apiKeyID}
			if tc.withKey {
				in.Key = domain.NewSecret(accessKey)
			}
			_, err := f.svc.Create(t.Context(), admin, in)
			wantKind(t, err, domain.KindInvalidInput, tc.want)
		})
	}
}

// credentialBuckets are two buckets of wsID that use the credential.
func credentialBuckets() []domain.Bucket {
	var out []domain.Bucket
	for i, name := range []string{"Alpha", "Beta"} {
		out = append(out, domain.Bucket{ID: fmt.Sprintf("0190f5c2-0000-7000-8000-0000000000b%d", i), OrgID: orgID, WorkspaceID: wsID,
			Name: name, Bucket: strings.ToLower(name), StorageType: domain.StorageS3, Endpoint: "https://s3.example.com",
			CredentialID: apiKeyID, CredentialVersion: 3})
	}
	return out
}

// TestRotationProvesEveryBucketFirst checks that a rotation validates the new secret against
// every bucket, concurrently, and stores it only when all pass; a failure names the bucket and
// writes nothing.
func TestRotationProvesEveryBucketFirst(t *testing.T) {
	for name, failing := range map[string]string{"all pass": "", "one fails": "beta"} {
		t.Run(name, func(t *testing.T) {
			f := newCredentialFixture(t)
			f.creds.EXPECT().GetCredential(gomock.Any(), orgID, apiKeyID).Return(storedCredential(secretKey), nil)
			f.auth.EXPECT().Authenticate(gomock.Any(), gomock.Any()).Return(nil)
			f.creds.EXPECT().CredentialBuckets(gomock.Any(), orgID, apiKeyID).Return(credentialBuckets(), nil)
			var mu sync.Mutex
			seen := map[string]string{}
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Times(2).DoAndReturn(func(_ context.Context, tg domain.ValidationTarget) (domain.ValidationReport, error) {
				mu.Lock()
				seen[tg.Bucket] = tg.Credentials.Secret.Reveal()
				mu.Unlock()
				if tg.Bucket == failing {
					return domain.ValidationReport{}, domain.Errorf(domain.KindAccessDenied, "list: access denied")
				}
				return domain.ValidationReport{}, nil
			})
			var change ports.CredentialChange
			if failing == "" {
				f.creds.EXPECT().UpdateCredential(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, ch ports.CredentialChange) error {
					change = ch
					return nil
				})
			}

			err := f.svc.UpdateCredential(t.Context(), admin, apiKeyID, app.CredentialUpdate{Secret: ptrSecret("new-secret-value")})

			if seen["alpha"] != "new-secret-value" || seen["beta"] != "new-secret-value" {
				t.Errorf("validated with %v; want the new secret for both buckets", seen)
			}
			if failing != "" {
				var refused *app.RotationRefused
				if !errors.As(err, &refused) || len(refused.Failures) != 1 || refused.Failures[0].Name != "Beta" ||
					domain.KindOf(err) != domain.KindRotationRefused || !strings.Contains(err.Error(), "access denied") {
					t.Fatalf("UpdateCredential = %v; want a refusal naming Beta and why", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !change.Rotated || len(change.Validated) != 2 || change.Next.SecretFingerprint != fakeFingerprint("new-secret-value") {
				t.Errorf("change = %+v", change)
			}
			if secret, _ := (scopedVault{}).Open(t.Context(), change.Next.SealedSecret, ports.SecretScope{OrgID: orgID, BucketID: apiKeyID,
				Field: ports.FieldCredentialSecret}); secret.Reveal() != "new-secret-value" {
				t.Error("the new secret is not what was sealed")
			}
		})
	}
}

// TestRevalidateGoesThroughTheCredential checks that a stored bucket that uses a credential is
// validated with the credential's values, as the health job does.
func TestRevalidateGoesThroughTheCredential(t *testing.T) {
	f := newCredentialFixture(t)
	b := credentialBuckets()[0]
	f.store.EXPECT().Get(gomock.Any(), orgID, b.ID).Return(b, nil)
	f.creds.EXPECT().GetCredential(gomock.Any(), orgID, apiKeyID).Return(storedCredential("rotated-secret"), nil).AnyTimes()
	f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tg domain.ValidationTarget) (domain.ValidationReport, error) {
		if tg.Credentials.Secret.Reveal() != "rotated-secret" {
			t.Errorf("validated with %q; want the credential's secret", tg.Credentials.Secret.Reveal())
		}
		return domain.ValidationReport{}, nil
	})
	f.store.EXPECT().RecordStatus(gomock.Any(), orgID, b.ID, b.Version, recordedAt(domain.StatusOnline, "")).Return(nil)

	res, err := f.svc.Revalidate(t.Context(), admin, b.ID, app.RevalidateInput{})

	if err != nil || res.Status != domain.StatusOnline {
		t.Fatalf("Revalidate = %+v, %v", res, err)
	}
}

func ptrSecret(s string) *domain.Secret {
	v := domain.NewSecret(s)
	return &v
}

func TestDeleteCredentialOfAnotherWorkspaceIsNotFound(t *testing.T) {
	f := newCredentialFixture(t)
	c := storedCredential(secretKey)
	c.WorkspaceID = "hidden-ws"
	f.creds.EXPECT().GetCredential(gomock.Any(), orgID, apiKeyID).Return(c, nil)
	err := f.svc.DeleteCredential(t.Context(), wsMember, apiKeyID)
	wantKind(t, err, domain.KindNotFound, "no API key")
}
