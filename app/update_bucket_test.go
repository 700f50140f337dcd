package app_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// expectWrite expects one writer.Update and returns where the written bucket will be.
func (f *bucketsFixture) expectWrite(written *domain.Bucket) *gomock.Call {
	return f.store.EXPECT().Update(gomock.Any(), gomock.Any()).Do(func(_ context.Context, b domain.Bucket) { *written = b })
}

// wantWritten compares the written bucket with want field by field, via DeepEqual.
func wantWritten(t *testing.T, got, want domain.Bucket) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("written bucket\n got %+v\nwant %+v", got, want)
	}
}

// wantWrapped fails the test unless err wraps cause, keeps its kind and says what failed.
func wantWrapped(t *testing.T, err, cause error, says string) {
	t.Helper()
	if !errors.Is(err, cause) || domain.KindOf(err) != domain.KindOf(cause) {
		t.Fatalf("error = %v (kind %s), want %v wrapped with its kind %s", err, domain.KindOf(err), cause, domain.KindOf(cause))
	}
	if !strings.Contains(err.Error(), says) {
		t.Errorf("error %q does not say %q", err, says)
	}
}

func TestUpdateRenameOnlyNeedsNoProvider(t *testing.T) {
	tests := []struct {
		name string
		p    domain.Principal
		in   app.UpdateInput
	}{
		{"admin", admin, app.UpdateInput{Name: ptr("  Archive\t")}},
		{"member of its workspace", wsMember, app.UpdateInput{Name: ptr("Archive")}},
		{"with its own workspace id", admin, app.UpdateInput{Name: ptr("Archive"), WorkspaceID: ptr(" " + wsID + " ")}},
		// A mode alone asks for nothing to validate.
		{"with a validation mode", admin, app.UpdateInput{Name: ptr("Archive"), Mode: domain.ValidateReadWrite}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t) // no vault or validator expectations: any call fails the test
			var written domain.Bucket
			gomock.InOrder(f.expectGet(), f.expectWrite(&written))

			res, err := f.svc.Update(t.Context(), tt.p, bucketID, tt.in)

			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			want := storedBucket()
			want.Name, want.UpdatedAt = "Archive", clock
			wantWritten(t, written, want)
			if res != (app.UpdateResult{BucketID: bucketID, Status: domain.StatusOffline}) {
				t.Errorf("result = %+v, want the bucket's unchanged status and no latency", res)
			}
		})
	}
}

func TestUpdateRejectsAnInvalidNameWithoutWriting(t *testing.T) {
	for name, tc := range map[string]struct{ name, want string }{
		"empty":             {"", "name must not be empty"},
		"blank":             {" \t ", "name must not be empty"},
		"control character": {"a\x00b", "a control character"},
		"too long":          {strings.Repeat("n", 129), "name is 129 characters long"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t) // no Update expectation
			f.expectGet()

			_, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Name: ptr(tc.name)})

			wantKind(t, err, domain.KindInvalidInput, tc.want)
		})
	}
}

func TestUpdatePassesTheStoresRefusalOfARenameThrough(t *testing.T) {
	f := newBucketsFixture(t)
	taken := domain.Errorf(domain.KindNameTaken, "name taken")
	gomock.InOrder(f.expectGet(), f.store.EXPECT().Update(gomock.Any(), gomock.Any()).Return(taken))

	_, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Name: ptr("Archive")})

	if !errors.Is(err, taken) {
		t.Fatalf("error = %v, want the store's NameTaken", err)
	}
}

func TestUpdateRefusesToMoveABucket(t *testing.T) {
	for name, in := range map[string]app.UpdateInput{
		"rename":        {Name: ptr("Archive"), WorkspaceID: ptr("another-ws")},
		"secret change": {Secret: ptr(domain.NewSecret(newSecret)), WorkspaceID: ptr("another-ws")},
	} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t) // nothing after the read: no vault, no validator, no write
			f.expectGet()

			_, err := f.svc.Update(t.Context(), admin, bucketID, in)

			wantKind(t, err, domain.KindInvalidInput, "belongs to workspace "+wsID+" and cannot move")
		})
	}
}

func TestUpdateStopsWhenGetRefuses(t *testing.T) {
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
			f := newBucketsFixture(t)
			f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(tt.stored, tt.err)

			_, err := f.svc.Update(t.Context(), tt.p, bucketID, app.UpdateInput{Secret: ptr(domain.NewSecret(newSecret))})

			wantKind(t, err, tt.kind, "")
		})
	}
}

func TestUpdateSecretValidatesMergedTargetThenSealsOnlyTheSecret(t *testing.T) {
	f := newBucketsFixture(t)
	target := storedTarget()
	target.Credentials.Secret = domain.NewSecret(newSecret)
	var written domain.Bucket
	gomock.InOrder(
		f.expectGet(),
		f.expectOpen(ports.FieldKey),
		f.s3.EXPECT().Validate(gomock.Any(), target).Return(passed, nil),
		f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(newSecret), storedScope(ports.FieldSecret)).Return([]byte("sealed-new-secret"), nil),
		f.expectWrite(&written),
	)

	res, err := f.svc.Update(t.Context(), wsMember, bucketID, app.UpdateInput{Secret: ptr(domain.NewSecret(newSecret))})

	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	wantWritten(t, written, refreshed(func(b *domain.Bucket) { b.SealedSecret = []byte("sealed-new-secret"); secretReplaced(b) }))
	if res != (app.UpdateResult{BucketID: bucketID, Status: domain.StatusOnline, Latency: passed.Latency}) {
		t.Errorf("result = %+v, want ONLINE with the validation's latency", res)
	}
}

func TestUpdateKeyOpensOnlyTheSecretAndSealsOnlyTheKey(t *testing.T) {
	f := newBucketsFixture(t)
	target := storedTarget()
	target.Credentials.Key = domain.NewSecret(newKey)
	var written domain.Bucket
	gomock.InOrder(
		f.expectGet(),
		f.expectOpen(ports.FieldSecret),
		f.s3.EXPECT().Validate(gomock.Any(), target).Return(passed, nil),
		f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(newKey), storedScope(ports.FieldKey)).Return([]byte("sealed-new-key"), nil),
		f.expectWrite(&written),
	)

	if _, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Key: ptr(domain.NewSecret(newKey))}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	wantWritten(t, written, refreshed(func(b *domain.Bucket) {
		b.SealedKey, b.KeyHint = []byte("sealed-new-key"), "AKIA…E002"
		keyReplaced(b)
	}))
}

func TestUpdateBothCredentialsOpensNothing(t *testing.T) {
	f := newBucketsFixture(t)
	target := storedTarget()
	target.Credentials = domain.Credentials{Key: domain.NewSecret(newKey), Secret: domain.NewSecret(newSecret)}
	var written domain.Bucket
	gomock.InOrder(
		f.expectGet(),
		f.s3.EXPECT().Validate(gomock.Any(), target).Return(passed, nil),
		f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(newKey), storedScope(ports.FieldKey)).Return([]byte("sealed-new-key"), nil),
		f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(newSecret), storedScope(ports.FieldSecret)).Return([]byte("sealed-new-secret"), nil),
		f.expectWrite(&written),
	)

	in := app.UpdateInput{Key: ptr(domain.NewSecret(newKey)), Secret: ptr(domain.NewSecret(newSecret))}
	if _, err := f.svc.Update(t.Context(), admin, bucketID, in); err != nil {
		t.Fatalf("Update: %v", err)
	}
	wantWritten(t, written, refreshed(func(b *domain.Bucket) {
		b.SealedKey, b.SealedSecret, b.KeyHint = []byte("sealed-new-key"), []byte("sealed-new-secret"), "AKIA…E002"
		secretReplaced(b)
	}))
}

func TestUpdateLocationValidatesWithStoredCredentialsAndKeepsThemSealed(t *testing.T) {
	tests := []struct {
		name   string
		in     app.UpdateInput
		target func(*domain.ValidationTarget)
		change func(*domain.Bucket)
	}{
		{"region", app.UpdateInput{Region: ptr(" eu-central-1 ")},
			func(tg *domain.ValidationTarget) { tg.Region = "eu-central-1" },
			func(b *domain.Bucket) { b.Region = "eu-central-1" }},
		{"region with read-write checks", app.UpdateInput{Region: ptr("eu-central-1"), Mode: domain.ValidateReadWrite},
			func(tg *domain.ValidationTarget) { tg.Region, tg.Mode = "eu-central-1", domain.ValidateReadWrite },
			func(b *domain.Bucket) { b.Region = "eu-central-1" }},
		{"bucket", app.UpdateInput{Bucket: ptr("new-bucket")},
			func(tg *domain.ValidationTarget) { tg.Bucket = "new-bucket" },
			func(b *domain.Bucket) { b.Bucket = "new-bucket" }},
		// Where the credentials were registered is no move, however it is spelled.
		{"stored endpoint", app.UpdateInput{Endpoint: ptr(storedEndpoint), Region: ptr("eu-central-1")},
			func(tg *domain.ValidationTarget) { tg.Region = "eu-central-1" },
			func(b *domain.Bucket) { b.Region = "eu-central-1" }},
		{"stored endpoint with spaces", app.UpdateInput{Endpoint: ptr(" \t" + storedEndpoint + "\n")},
			func(*domain.ValidationTarget) {}, func(*domain.Bucket) {}},
		{"same storage type", app.UpdateInput{StorageType: ptr("S3")},
			func(*domain.ValidationTarget) {}, func(b *domain.Bucket) { b.StorageTypeSpelling = "S3" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t) // no Seal expectation: unchanged credentials are not sealed again
			target := storedTarget()
			tt.target(&target)
			var written domain.Bucket
			gomock.InOrder(
				f.expectGet(),
				f.expectOpen(ports.FieldKey),
				f.expectOpen(ports.FieldSecret),
				f.s3.EXPECT().Validate(gomock.Any(), target).Return(passed, nil),
				f.expectWrite(&written),
			)

			res, err := f.svc.Update(t.Context(), admin, bucketID, tt.in)

			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			wantWritten(t, written, refreshed(tt.change))
			if res.Status != domain.StatusOnline || res.Latency != passed.Latency {
				t.Errorf("result = %+v, want ONLINE with the validation's latency", res)
			}
		})
	}
}

func TestUpdateChangesNothingWhenValidationFails(t *testing.T) {
	for name, failure := range map[string]error{
		"invalid credentials": domain.Errorf(domain.KindInvalidCredentials, "authenticate: the secret access key was not accepted"),
		"region mismatch":     domain.Errorf(domain.KindRegionMismatch, "region: the bucket is in us-west-2"),
		"unclassified":        errors.New("sdk exploded"),
	} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t) // no Seal and no Update expectation
			gomock.InOrder(
				f.expectGet(),
				f.expectOpen(ports.FieldKey),
				f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(domain.ValidationReport{}, failure),
			)

			_, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Secret: ptr(domain.NewSecret(newSecret))})

			if err != failure { // identity: the validator's error comes back unchanged
				t.Fatalf("error = %v, want the validator's error unchanged", err)
			}
		})
	}
}

func TestUpdateRenameWithCredentialsChecksTheNameBeforeTheProvider(t *testing.T) {
	f := newBucketsFixture(t) // no validator expectation: a taken name must not cost a provider call
	gomock.InOrder(
		f.expectGet(),
		f.expectOpen(ports.FieldKey),
		f.store.EXPECT().NameTaken(gomock.Any(), orgID, "Archive").Return(true, nil),
	)

	_, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Name: ptr(" Archive "), Secret: ptr(domain.NewSecret(newSecret))})

	wantKind(t, err, domain.KindNameTaken, `name "Archive" is already used`)
}

func TestUpdateRenameWithCredentialsToAFreeName(t *testing.T) {
	f := newBucketsFixture(t)
	var written domain.Bucket
	gomock.InOrder(
		f.expectGet(),
		f.expectOpen(ports.FieldKey),
		f.store.EXPECT().NameTaken(gomock.Any(), orgID, "Archive").Return(false, nil),
		f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil),
		f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(newSecret), storedScope(ports.FieldSecret)).Return([]byte("sealed-new-secret"), nil),
		f.expectWrite(&written),
	)

	if _, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Name: ptr("Archive"), Secret: ptr(domain.NewSecret(newSecret))}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	wantWritten(t, written, refreshed(func(b *domain.Bucket) {
		b.Name, b.SealedSecret = "Archive", []byte("sealed-new-secret")
		secretReplaced(b)
	}))
}

func TestUpdateCaseOnlyRenameSkipsTheNameCheck(t *testing.T) {
	f := newBucketsFixture(t) // no NameTaken expectation: the bucket's own name is not "taken"
	var written domain.Bucket
	gomock.InOrder(
		f.expectGet(),
		f.expectOpen(ports.FieldKey),
		f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil),
		f.vault.EXPECT().Seal(gomock.Any(), gomock.Any(), storedScope(ports.FieldSecret)).Return([]byte("sealed-new-secret"), nil),
		f.expectWrite(&written),
	)

	if _, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Name: ptr("BACKUPS"), Secret: ptr(domain.NewSecret(newSecret))}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if written.Name != "BACKUPS" {
		t.Errorf("written name = %q, want BACKUPS", written.Name)
	}
}

func TestUpdateLookalikeRenameSkipsTheNameCheck(t *testing.T) {
	f := newBucketsFixture(t) // no NameTaken expectation: a name with its own name key is its own
	var written domain.Bucket
	gomock.InOrder(
		f.expectGet(),
		f.expectOpen(ports.FieldKey),
		f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil),
		f.vault.EXPECT().Seal(gomock.Any(), gomock.Any(), storedScope(ports.FieldSecret)).Return([]byte("sealed-new-secret"), nil),
		f.expectWrite(&written),
	)

	if _, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Name: ptr("ＢＡＣＫＵＰＳ"), Secret: newSecretPtr()}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if written.Name != "ＢＡＣＫＵＰＳ" {
		t.Errorf("written name = %q, want ＢＡＣＫＵＰＳ", written.Name)
	}
}

// A name stored before the rules refused it (here with a zero-width space) stays usable: new
// credentials are checked and stored under it, and only a request that names it again is
// refused.
func TestUpdateKeepsAStoredNameTheRulesNowRefuse(t *testing.T) {
	f := newBucketsFixture(t)
	stored := storedBucket()
	stored.Name = "Backups\u200b"
	var written domain.Bucket
	gomock.InOrder(
		f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(stored, nil),
		f.expectOpen(ports.FieldKey),
		f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil),
		f.vault.EXPECT().Seal(gomock.Any(), gomock.Any(), storedScope(ports.FieldSecret)).Return([]byte("sealed-new-secret"), nil),
		f.expectWrite(&written),
	)
	if _, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Secret: newSecretPtr()}); err != nil {
		t.Fatalf("Update of the credentials: %v", err)
	}
	if written.Name != stored.Name {
		t.Errorf("written name = %+q, want the stored %+q", written.Name, stored.Name)
	}

	gomock.InOrder(
		f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(stored, nil),
		f.expectOpen(ports.FieldKey),
	)
	_, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Name: ptr(stored.Name), Secret: newSecretPtr()})
	wantKind(t, err, domain.KindInvalidInput, "name: character 8 is U+200B ZERO WIDTH SPACE")
}

func TestUpdateAppliesFieldRulesToTheMergedBucket(t *testing.T) {
	tests := []struct {
		name  string
		in    app.UpdateInput
		opens []string
		want  string
	}{
		{"bad region", app.UpdateInput{Region: ptr("US-EAST-1")}, []string{ports.FieldKey, ports.FieldSecret}, `region "US-EAST-1"`},
		{"empty key", app.UpdateInput{Key: ptr(domain.NewSecret(""))}, []string{ports.FieldSecret}, "key must not be empty"},
		{"empty secret", app.UpdateInput{Secret: ptr(domain.Secret{})}, []string{ports.FieldKey}, "secret must not be empty"},
		{"unknown storage type", app.UpdateInput{StorageType: ptr("FTP"), Key: newKeyPtr(), Secret: newSecretPtr()}, nil, `storageType "FTP"`},
		{"storage type without validator", app.UpdateInput{StorageType: ptr("GCS"), Key: newKeyPtr(), Secret: newSecretPtr()}, nil, "storageType GCS is not supported"},
		{"bad name with new credentials", app.UpdateInput{Name: ptr("a\x00b"), Secret: newSecretPtr()}, []string{ports.FieldKey}, "a control character"},
		{"bucket too short for AWS once the endpoint is removed", app.UpdateInput{Bucket: ptr("ab"), Endpoint: ptr(""), Key: newKeyPtr(), Secret: newSecretPtr()},
			nil, `bucket "ab" must be 3 to 63`},
		{"bad mode", app.UpdateInput{Region: ptr("eu-central-1"), Mode: "write"}, []string{ports.FieldKey, ports.FieldSecret}, `validation "write"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t) // no validator, Seal or Update expectation
			f.expectGet()
			for _, field := range tt.opens {
				f.expectOpen(field)
			}

			_, err := f.svc.Update(t.Context(), admin, bucketID, tt.in)

			wantKind(t, err, domain.KindInvalidInput, tt.want)
		})
	}
}

func TestUpdateStopsWhenTheVaultFails(t *testing.T) {
	vaultDown := errors.New("vault: key ring unavailable")
	t.Run("open", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			in    app.UpdateInput
			field string
		}{
			{"key, for a new secret", app.UpdateInput{Secret: ptr(domain.NewSecret(newSecret))}, ports.FieldKey},
			{"secret, for a new key", app.UpdateInput{Key: ptr(domain.NewSecret(newKey))}, ports.FieldSecret},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f := newBucketsFixture(t) // no validator expectation
				gomock.InOrder(
					f.expectGet(),
					f.vault.EXPECT().Open(gomock.Any(), sealedOld[tt.field], storedScope(tt.field)).Return(domain.Secret{}, vaultDown),
				)

				_, err := f.svc.Update(t.Context(), admin, bucketID, tt.in)

				wantWrapped(t, err, vaultDown, "open "+tt.field+" of bucket "+bucketID)
			})
		}
	})
	t.Run("seal", func(t *testing.T) {
		f := newBucketsFixture(t) // no Update expectation
		gomock.InOrder(
			f.expectGet(),
			f.expectOpen(ports.FieldKey),
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil),
			f.vault.EXPECT().Seal(gomock.Any(), gomock.Any(), storedScope(ports.FieldSecret)).Return(nil, vaultDown),
		)

		_, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Secret: ptr(domain.NewSecret(newSecret))})

		wantWrapped(t, err, vaultDown, "seal secret of bucket "+bucketID)
	})
}

func TestUpdatePassesTheStoresFailureAfterValidationThrough(t *testing.T) {
	f := newBucketsFixture(t)
	lost := domain.Errorf(domain.KindNameTaken, "another bucket took the name meanwhile")
	gomock.InOrder(
		f.expectGet(),
		f.expectOpen(ports.FieldKey),
		f.expectOpen(ports.FieldSecret),
		f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil),
		f.store.EXPECT().Update(gomock.Any(), gomock.Any()).Return(lost),
	)

	_, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Region: ptr("eu-central-1")})

	wantWrapped(t, err, lost, "store bucket "+bucketID)
}
