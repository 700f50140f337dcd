package app_test

import (
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Stored credentials are only ever sent where they were registered: a request that points a
// bucket elsewhere must bring the key and the secret for that place itself.

const (
	// elsewhere is an endpoint the stored credentials were not registered with.
	elsewhere = "https://collector.attacker.test"
	// movedRefusal is what the refusal of a move without both credentials says.
	movedRefusal = "needs key and secret in the same request"
)

// partialCredentials are the ways a request can leave out at least one credential.
var partialCredentials = map[string]struct{ key, secret *domain.Secret }{
	"no credentials":   {},
	"only the key":     {key: newKeyPtr()},
	"only the secret":  {secret: newSecretPtr()},
	"stored key alone": {key: ptr(domain.NewSecret(oldKey))},
}

func TestUpdateToAnotherPlaceWithoutBothCredentialsOpensAndSendsNothing(t *testing.T) {
	moves := map[string]app.UpdateInput{
		"new endpoint":           {Endpoint: ptr(elsewhere)},
		"new endpoint in spaces": {Endpoint: ptr(" " + elsewhere + " ")},
		"endpoint removed":       {Endpoint: ptr("")},
		"storage type GCS":       {StorageType: ptr("GCS")},
		"storage type AZURE":     {StorageType: ptr("AZURE")},
		"storage type BLOB":      {StorageType: ptr("BLOB")},
		"new endpoint and name":  {Endpoint: ptr(elsewhere), Name: ptr("Archive")},
	}
	for moveName, move := range moves {
		for credsName, creds := range partialCredentials {
			t.Run(moveName+"/"+credsName, func(t *testing.T) {
				f := newBucketsFixture(t) // only the read: no vault Open, no validator, no write
				f.expectGet()
				in := move
				in.Key, in.Secret = creds.key, creds.secret

				_, err := f.svc.Update(t.Context(), admin, bucketID, in)

				wantKind(t, err, domain.KindInvalidInput, movedRefusal)
			})
		}
	}
}

func TestUpdateToAnotherPlaceWithBothCredentialsValidatesThere(t *testing.T) {
	tests := []struct {
		name   string
		in     app.UpdateInput
		azure  bool // the new storage type's validator is the Azure one
		target func(*domain.ValidationTarget)
		change func(*domain.Bucket)
	}{
		{"new endpoint", app.UpdateInput{Endpoint: ptr(" " + elsewhere + "\n")}, false,
			func(tg *domain.ValidationTarget) { tg.Endpoint = elsewhere },
			func(b *domain.Bucket) { b.Endpoint = elsewhere }},
		{"endpoint removed", app.UpdateInput{Endpoint: ptr("")}, false,
			func(tg *domain.ValidationTarget) { tg.Endpoint = "" },
			func(b *domain.Bucket) { b.Endpoint = "" }},
		{"storage type BLOB", app.UpdateInput{StorageType: ptr("BLOB")}, true,
			func(tg *domain.ValidationTarget) { tg.StorageType = domain.StorageAzure },
			func(b *domain.Bucket) {
				b.StorageType, b.StorageTypeSpelling = domain.StorageAzure, domain.BlobSpelling
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t) // no Open expectation: nothing stored is needed
			validator := f.s3
			if tt.azure {
				validator = f.azure
			}
			target := storedTarget()
			target.Credentials = domain.Credentials{Key: domain.NewSecret(newKey), Secret: domain.NewSecret(newSecret)}
			tt.target(&target)
			var written domain.Bucket
			gomock.InOrder(
				f.expectGet(),
				validator.EXPECT().Validate(gomock.Any(), target).Return(passed, nil),
				f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(newKey), storedScope(ports.FieldKey)).Return([]byte("sealed-new-key"), nil),
				f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(newSecret), storedScope(ports.FieldSecret)).Return([]byte("sealed-new-secret"), nil),
				f.expectWrite(&written),
			)
			in := tt.in
			in.Key, in.Secret = newKeyPtr(), newSecretPtr()

			if _, err := f.svc.Update(t.Context(), admin, bucketID, in); err != nil {
				t.Fatalf("Update: %v", err)
			}
			wantWritten(t, written, refreshed(func(b *domain.Bucket) {
				b.SealedKey, b.SealedSecret, b.KeyHint = []byte("sealed-new-key"), []byte("sealed-new-secret"), "AKIA…E002"
				secretReplaced(b)
				tt.change(b)
			}))
		})
	}
}

// BLOB is another name of AZURE: on an Azure bucket it changes nothing but the spelling the
// bucket answers, so the stored credentials go where they were registered.
func TestUpdateAzureBucketSpelledBLOBNeedsNoCredentials(t *testing.T) {
	for _, spelling := range []string{"BLOB", "AZURE"} {
		t.Run(spelling, func(t *testing.T) {
			f := newBucketsFixture(t)
			stored := storedBucket()
			stored.StorageType = domain.StorageAzure
			target := storedTarget()
			target.StorageType = domain.StorageAzure
			var written domain.Bucket
			gomock.InOrder(
				f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(stored, nil),
				f.expectOpen(ports.FieldKey),
				f.expectOpen(ports.FieldSecret),
				f.azure.EXPECT().Validate(gomock.Any(), target).Return(passed, nil),
				f.expectWrite(&written),
			)

			if _, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{StorageType: ptr(spelling)}); err != nil {
				t.Fatalf("Update: %v", err)
			}
			wantWritten(t, written, refreshed(func(b *domain.Bucket) {
				b.StorageType, b.StorageTypeSpelling = domain.StorageAzure, spelling
			}))
		})
	}
}

func TestRevalidateAgainstAnotherEndpointWithoutBothCredentialsOpensAndSendsNothing(t *testing.T) {
	for endpointName, endpoint := range map[string]string{"new endpoint": elsewhere, "endpoint removed": ""} {
		for credsName, creds := range partialCredentials {
			t.Run(endpointName+"/"+credsName, func(t *testing.T) {
				f := newBucketsFixture(t) // only the read: no vault Open, no validator, no RecordStatus
				f.expectGet()

				_, err := f.svc.Revalidate(t.Context(), admin, bucketID,
					app.RevalidateInput{Endpoint: ptr(endpoint), Key: creds.key, Secret: creds.secret, Bucket: ptr("my-backups")})

				wantKind(t, err, domain.KindInvalidInput, movedRefusal)
			})
		}
	}
}
