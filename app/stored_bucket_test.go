package app_test

import (
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// A stored bucket and the credentials it was sealed with. The plaintexts differ from the ones
// create_bucket_test.go uses, so a test can tell stored credentials from new ones.
const (
	bucketID       = "0190f5c2-0000-7000-8000-0000000000b1"
	storedEndpoint = "https://s3.eu.example.test"
	oldKey         = "AKIAOLDKEYEXAMPLE001"
	oldSecret      = "old/Secret+Access/Key/EXAMPLE00000000000001"
	newKey         = "AKIANEWKEYEXAMPLE002"
	newSecret      = "new/Secret+Access/Key/EXAMPLE00000000000002"
)

var (
	created     = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	lastChecked = time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	// wsMember is a member of the stored bucket's workspace (and of another one).
	wsMember = domain.Principal{UserID: "u-ws-member", OrgID: orgID, Role: domain.RoleMember, Workspaces: map[string]domain.WorkspaceRole{"another-ws": domain.WorkspaceWrite, wsID: domain.WorkspaceWrite}}
	// sealedOld maps each field to the ciphertext the stored bucket carries for it.
	sealedOld = map[string][]byte{ports.FieldKey: []byte("sealed-old-key"), ports.FieldSecret: []byte("sealed-old-secret")}
	// plainOld maps each field to the plaintext the vault opens from sealedOld.
	plainOld = map[string]string{ports.FieldKey: oldKey, ports.FieldSecret: oldSecret}
)

// storedOfflineMessage is why the stored bucket is OFFLINE.
const storedOfflineMessage = "authenticate: the secret does not match key AKIA…E001 (SignatureDoesNotMatch); check the secret access key"

// storedBucket is the bucket the store returns: OFFLINE since its last check, saying why, with
// a custom endpoint, so a test sees every field an update must carry over or replace.
func storedBucket() domain.Bucket {
	checked := lastChecked
	return domain.Bucket{
		ID:                   bucketID,
		OrgID:                orgID,
		WorkspaceID:          wsID,
		Name:                 "Backups",
		Bucket:               "my-backups",
		StorageType:          domain.StorageS3,
		Region:               "eu-west-1",
		Endpoint:             storedEndpoint,
		KeyHint:              "AKIA…E001",
		Status:               domain.StatusOffline,
		StatusMessage:        storedOfflineMessage,
		LastStatusAt:         &checked,
		CreatedAt:            created,
		UpdatedAt:            created,
		SealedKey:            sealedOld[ports.FieldKey],
		SealedSecret:         sealedOld[ports.FieldSecret],
		Version:              7,
		SecretFingerprint:    fakeFingerprint(oldSecret),
		SecretVersion:        3,
		CredentialsUpdatedAt: &created,
	}
}

// secretReplaced and keyReplaced are what replacing the stored bucket's secret or key at clock
// changes besides the sealed value.
func secretReplaced(b *domain.Bucket) {
	at := clock
	b.SecretFingerprint, b.SecretVersion, b.CredentialsUpdatedAt = fakeFingerprint(newSecret), 4, &at
}

func keyReplaced(b *domain.Bucket) {
	at := clock
	b.CredentialsUpdatedAt = &at
}

// storedScope is where the stored bucket's field is sealed: its organization, its id, the field.
func storedScope(field string) ports.SecretScope {
	return ports.SecretScope{OrgID: orgID, BucketID: bucketID, Field: field}
}

// storedTarget is the validation target of the stored bucket with its stored credentials.
func storedTarget() domain.ValidationTarget {
	return domain.ValidationTarget{
		StorageType: domain.StorageS3,
		Bucket:      "my-backups",
		Region:      "eu-west-1",
		Endpoint:    storedEndpoint,
		Credentials: domain.Credentials{Key: domain.NewSecret(oldKey), Secret: domain.NewSecret(oldSecret)},
		Mode:        domain.ValidateReadOnly,
	}
}

// expectGet expects the store to return the stored bucket once.
func (f *bucketsFixture) expectGet() *gomock.Call {
	return f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(storedBucket(), nil)
}

// expectOpen expects the vault to open the stored ciphertext of one field, in its own scope.
func (f *bucketsFixture) expectOpen(field string) *gomock.Call {
	return f.vault.EXPECT().Open(gomock.Any(), sealedOld[field], storedScope(field)).Return(domain.NewSecret(plainOld[field]), nil)
}

// refreshed is the stored bucket as a successful provider-checked update writes it: ONLINE
// with no status message, checked and updated at the clock's time, with change applied.
func refreshed(change func(*domain.Bucket)) domain.Bucket {
	b := storedBucket()
	at := clock
	b.Status, b.StatusMessage, b.LastStatusAt, b.UpdatedAt = domain.StatusOnline, "", &at, clock
	change(&b)
	return b
}

// recordedAt is the status record a validation at the clock's time stores.
func recordedAt(status domain.Status, message string) domain.StatusRecord {
	return domain.StatusRecord{Status: status, Message: message, At: clock}
}

// ptr returns a pointer to v, for the optional fields of update and revalidate inputs.
func ptr[T any](v T) *T { return &v }

// newKeyPtr and newSecretPtr are the new credentials as optional update and revalidate fields.
func newKeyPtr() *domain.Secret    { return ptr(domain.NewSecret(newKey)) }
func newSecretPtr() *domain.Secret { return ptr(domain.NewSecret(newSecret)) }
