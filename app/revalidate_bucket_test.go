package app_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// failedAuth is a report whose authentication check failed.
var failedAuth = domain.ValidationReport{Checks: []domain.Check{{Name: "authenticate", Status: domain.CheckFail, ProviderCode: "InvalidAccessKeyId"}}}

// The stored bucket is OFFLINE with a message: a passing validation records ONLINE without
// one, a failing one records OFFLINE with the failed check's message, which replaces the stored
// one.
func TestRevalidateStoredCredentialsRecordsTheVerdict(t *testing.T) {
	tests := []struct {
		name    string
		report  domain.ValidationReport
		err     *domain.Error
		status  domain.Status
		message string
	}{
		{"pass", passed, nil, domain.StatusOnline, ""},
		{"invalid credentials", failedAuth, domain.Errorf(domain.KindInvalidCredentials, "authenticate: the access key id was not accepted"),
			domain.StatusOffline, "authenticate: the access key id was not accepted"},
		{"provider timeout", domain.ValidationReport{}, domain.Errorf(domain.KindProviderTimeout, "the provider did not answer in 10s"),
			domain.StatusOffline, "the provider did not answer in 10s"},
		// A message over the bound is recorded clipped, on one line.
		{"long message", failedAuth, domain.Errorf(domain.KindInvalidCredentials, "%s", "authenticate:\n"+strings.Repeat("é", domain.MaxStatusMessageBytes)),
			domain.StatusOffline, "authenticate: " + strings.Repeat("é", (domain.MaxStatusMessageBytes-len("authenticate: ")-len("…"))/2) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t)
			target := storedTarget()
			target.Mode = domain.ValidateReadWrite
			var verr error
			if tt.err != nil {
				verr = tt.err
			}
			gomock.InOrder(
				f.expectGet(),
				f.expectOpen(ports.FieldKey),
				f.expectOpen(ports.FieldSecret),
				f.s3.EXPECT().Validate(gomock.Any(), target).Return(tt.report, verr),
				f.store.EXPECT().RecordStatus(gomock.Any(), orgID, bucketID, storedBucket().Version, recordedAt(tt.status, tt.message)).Return(nil),
			)

			res, err := f.svc.Revalidate(t.Context(), wsMember, bucketID, app.RevalidateInput{Mode: domain.ValidateReadWrite})

			if err != nil {
				t.Fatalf("Revalidate: a provider verdict must not be an error, got %v", err)
			}
			if res.Status != tt.status || res.Failure != tt.err || !reflect.DeepEqual(res.Report, tt.report) {
				t.Errorf("result = %+v, want status %s, failure %v and the validator's report", res, tt.status, tt.err)
			}
		})
	}
}

func TestRevalidateRecordsNothingOnAnUnclassifiedError(t *testing.T) {
	for name, cause := range map[string]error{
		"unclassified": errors.New("sdk exploded"),
		"internal":     domain.Errorf(domain.KindInternal, "wiring bug"),
	} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t) // no RecordStatus expectation
			gomock.InOrder(
				f.expectGet(),
				f.expectOpen(ports.FieldKey),
				f.expectOpen(ports.FieldSecret),
				f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(domain.ValidationReport{}, cause),
			)

			_, err := f.svc.Revalidate(t.Context(), admin, bucketID, app.RevalidateInput{})

			if !errors.Is(err, cause) {
				t.Fatalf("error = %v, want %v", err, cause)
			}
		})
	}
}

// Overrides are compared with the stored values, so both stored credentials are always opened.
func TestRevalidateWithDifferentValuesIsADryRun(t *testing.T) {
	tests := []struct {
		name   string
		in     app.RevalidateInput
		target func(*domain.ValidationTarget)
	}{
		{"key", app.RevalidateInput{Key: ptr(domain.NewSecret(newKey))},
			func(tg *domain.ValidationTarget) { tg.Credentials.Key = domain.NewSecret(newKey) }},
		{"secret", app.RevalidateInput{Secret: ptr(domain.NewSecret(newSecret))},
			func(tg *domain.ValidationTarget) { tg.Credentials.Secret = domain.NewSecret(newSecret) }},
		{"key and secret", app.RevalidateInput{Key: ptr(domain.NewSecret(newKey)), Secret: ptr(domain.NewSecret(newSecret))},
			func(tg *domain.ValidationTarget) {
				tg.Credentials = domain.Credentials{Key: domain.NewSecret(newKey), Secret: domain.NewSecret(newSecret)}
			}},
		// Another endpoint needs both credentials in the request: new ones, or the stored ones
		// sent again by a caller who knows them.
		{"endpoint with new credentials", app.RevalidateInput{Endpoint: ptr(" https://gateway.other.test "), Key: newKeyPtr(), Secret: newSecretPtr()},
			func(tg *domain.ValidationTarget) {
				tg.Endpoint = "https://gateway.other.test"
				tg.Credentials = domain.Credentials{Key: domain.NewSecret(newKey), Secret: domain.NewSecret(newSecret)}
			}},
		{"endpoint with the stored credentials sent again", app.RevalidateInput{Endpoint: ptr("https://gateway.other.test"),
			Key: ptr(domain.NewSecret(oldKey)), Secret: ptr(domain.NewSecret(oldSecret)), Bucket: ptr("my-backups")},
			func(tg *domain.ValidationTarget) { tg.Endpoint = "https://gateway.other.test" }},
		{"endpoint removed with new credentials", app.RevalidateInput{Endpoint: ptr(""), Key: newKeyPtr(), Secret: newSecretPtr()},
			func(tg *domain.ValidationTarget) {
				tg.Endpoint = ""
				tg.Credentials = domain.Credentials{Key: domain.NewSecret(newKey), Secret: domain.NewSecret(newSecret)}
			}},
		{"bucket", app.RevalidateInput{Bucket: ptr("other-bucket")},
			func(tg *domain.ValidationTarget) { tg.Bucket = "other-bucket" }},
		{"stored bucket with another secret", app.RevalidateInput{Bucket: ptr("my-backups"), Secret: ptr(domain.NewSecret(newSecret))},
			func(tg *domain.ValidationTarget) { tg.Credentials.Secret = domain.NewSecret(newSecret) }},
	}
	for _, tt := range tests {
		for verdict, verr := range map[string]error{"pass": nil, "fail": domain.Errorf(domain.KindAccessDenied, "list: denied")} {
			t.Run(tt.name+"/"+verdict, func(t *testing.T) {
				f := newBucketsFixture(t) // no RecordStatus expectation: a dry run stores nothing
				target := storedTarget()
				tt.target(&target)
				gomock.InOrder(
					f.expectGet(),
					f.expectOpen(ports.FieldKey),
					f.expectOpen(ports.FieldSecret),
					f.s3.EXPECT().Validate(gomock.Any(), target).Return(passed, verr),
				)

				res, err := f.svc.Revalidate(t.Context(), admin, bucketID, tt.in)

				if err != nil {
					t.Fatalf("Revalidate: %v", err)
				}
				// The stored status is OFFLINE: a passing dry run answers its own verdict, and
				// stores nothing (no RecordStatus expected).
				if want := map[bool]domain.Status{true: domain.StatusOnline, false: domain.StatusOffline}[verr == nil]; res.Status != want {
					t.Errorf("status = %s, want the dry run's own verdict %s", res.Status, want)
				}
				if (res.Failure != nil) != (verr != nil) {
					t.Errorf("failure = %v, want %v", res.Failure, verr)
				}
			})
		}
	}
}

// Flashback's client always sends the bucket (and may send the stored credentials): values
// equal to the stored ones prove the stored bucket, so the verdict is recorded.
func TestRevalidateWithTheStoredValuesRecordsTheVerdict(t *testing.T) {
	for name, in := range map[string]app.RevalidateInput{
		"stored bucket": {Bucket: ptr("my-backups")},
		// The stored endpoint is where the credentials were registered, so it needs none.
		"stored endpoint in spaces": {Endpoint: ptr(" " + storedEndpoint + "\t"), Bucket: ptr("my-backups")},
		"every stored value": {Key: ptr(domain.NewSecret(oldKey)), Secret: ptr(domain.NewSecret(oldSecret)),
			Bucket: ptr("my-backups"), Endpoint: ptr(storedEndpoint)},
	} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t)
			gomock.InOrder(
				f.expectGet(),
				f.expectOpen(ports.FieldKey),
				f.expectOpen(ports.FieldSecret),
				f.s3.EXPECT().Validate(gomock.Any(), storedTarget()).Return(passed, nil),
				f.store.EXPECT().RecordStatus(gomock.Any(), orgID, bucketID, storedBucket().Version, recordedAt(domain.StatusOnline, "")).Return(nil),
			)

			res, err := f.svc.Revalidate(t.Context(), admin, bucketID, in)

			if err != nil || res.Status != domain.StatusOnline {
				t.Fatalf("Revalidate = %+v, %v; want the recorded ONLINE", res, err)
			}
		})
	}
}

func TestRevalidateStopsWhenGetRefuses(t *testing.T) {
	tests := []struct {
		name   string
		p      domain.Principal
		stored domain.Bucket
		err    error
		kind   domain.Kind
	}{
		{"unknown", admin, domain.Bucket{}, errNotFound, domain.KindNotFound},
		{"member outside the workspace", member, storedBucket(), nil, domain.KindForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t) // no vault, validator or writer expectation
			f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(tt.stored, tt.err)

			_, err := f.svc.Revalidate(t.Context(), tt.p, bucketID, app.RevalidateInput{})

			wantKind(t, err, tt.kind, "")
		})
	}
}

func TestRevalidateStopsWhenTheVaultCannotOpen(t *testing.T) {
	f := newBucketsFixture(t) // no validator expectation
	vaultDown := errors.New("vault: key ring unavailable")
	gomock.InOrder(
		f.expectGet(),
		f.vault.EXPECT().Open(gomock.Any(), sealedOld[ports.FieldKey], storedScope(ports.FieldKey)).Return(domain.Secret{}, vaultDown),
	)

	_, err := f.svc.Revalidate(t.Context(), admin, bucketID, app.RevalidateInput{})

	wantWrapped(t, err, vaultDown, "open key of bucket "+bucketID)
}

// A failed RecordStatus keeps its kind: a KindConflict (the bucket was written since it was
// read, so the verdict is about values that are gone) reaches the caller as 409 CONFLICT.
func TestRevalidateWrapsARecordStatusFailure(t *testing.T) {
	f := newBucketsFixture(t)
	failure := domain.Errorf(domain.KindUnavailable, "database unreachable")
	gomock.InOrder(
		f.expectGet(),
		f.expectOpen(ports.FieldKey),
		f.expectOpen(ports.FieldSecret),
		f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil),
		f.store.EXPECT().RecordStatus(gomock.Any(), orgID, bucketID, storedBucket().Version, recordedAt(domain.StatusOnline, "")).Return(failure),
	)
	_, err := f.svc.Revalidate(t.Context(), admin, bucketID, app.RevalidateInput{})
	wantWrapped(t, err, failure, "record status of bucket "+bucketID)
}

// TestRevalidateConflictsWithAChangedBucket: a write between the read and the status, which
// changed what the provider is reached with, makes the verdict stale: 409 CONFLICT.
func TestRevalidateConflictsWithAChangedBucket(t *testing.T) {
	f := newBucketsFixture(t)
	conflict := domain.Errorf(domain.KindConflict, "bucket %s changed since it was read; read it again", bucketID)
	moved := storedBucket()
	moved.Region, moved.Version = "eu-central-1", storedBucket().Version+1
	gomock.InOrder(
		f.expectGet(),
		f.expectOpen(ports.FieldKey),
		f.expectOpen(ports.FieldSecret),
		f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil),
		f.store.EXPECT().RecordStatus(gomock.Any(), orgID, bucketID, storedBucket().Version, recordedAt(domain.StatusOnline, "")).Return(conflict),
		f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(moved, nil),
	)
	_, err := f.svc.Revalidate(t.Context(), admin, bucketID, app.RevalidateInput{})
	wantWrapped(t, err, conflict, "record status of bucket "+bucketID)
}

// TestRevalidateRecordsOnARowOnlyReSealed: a master-key rotation re-seals the row meanwhile;
// the same plaintext credentials are stored, so the verdict is recorded on the fresh row.
func TestRevalidateRecordsOnARowOnlyReSealed(t *testing.T) {
	f := newBucketsFixture(t)
	conflict := domain.Errorf(domain.KindConflict, "bucket %s changed", bucketID)
	resealed := storedBucket()
	resealed.SealedKey, resealed.SealedSecret, resealed.Version = []byte("resealed-key"), []byte("resealed-secret"), storedBucket().Version+1
	gomock.InOrder(
		f.expectGet(),
		f.expectOpen(ports.FieldKey),
		f.expectOpen(ports.FieldSecret),
		f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil),
		f.store.EXPECT().RecordStatus(gomock.Any(), orgID, bucketID, storedBucket().Version, recordedAt(domain.StatusOnline, "")).Return(conflict),
		f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(resealed, nil),
		f.expectOpen(ports.FieldKey),
		f.expectOpen(ports.FieldSecret),
		f.vault.EXPECT().Open(gomock.Any(), resealed.SealedKey, storedScope(ports.FieldKey)).Return(domain.NewSecret(plainOld[ports.FieldKey]), nil),
		f.vault.EXPECT().Open(gomock.Any(), resealed.SealedSecret, storedScope(ports.FieldSecret)).Return(domain.NewSecret(plainOld[ports.FieldSecret]), nil),
		f.store.EXPECT().RecordStatus(gomock.Any(), orgID, bucketID, resealed.Version, recordedAt(domain.StatusOnline, "")).Return(nil),
	)
	res, err := f.svc.Revalidate(t.Context(), admin, bucketID, app.RevalidateInput{})
	if err != nil || res.Status != domain.StatusOnline {
		t.Fatalf("Revalidate = %+v, %v; want ONLINE recorded on the re-sealed row", res, err)
	}
}
