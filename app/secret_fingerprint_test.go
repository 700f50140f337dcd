package app_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// fingerprinterFunc adapts a function to ports.Fingerprinter.
type fingerprinterFunc func(string) string

func (f fingerprinterFunc) Fingerprint(s domain.Secret) string { return f(s.Reveal()) }

// fakeFingerprint stands in for the server's keyed hash: distinct for distinct secrets.
func fakeFingerprint(secret string) string {
	sum := sha256.Sum256([]byte("test-fingerprint\x00" + secret))
	return "fp-" + hex.EncodeToString(sum[:8])
}

func TestUpdateWithTheStoredSecretKeepsSecretVersionAndTime(t *testing.T) {
	f := newBucketsFixture(t)
	target := storedTarget()
	var written domain.Bucket
	gomock.InOrder(
		f.expectGet(),
		f.vault.EXPECT().Open(gomock.Any(), sealedOld[ports.FieldKey], storedScope(ports.FieldKey)).Return(domain.NewSecret(oldKey), nil),
		f.s3.EXPECT().Validate(gomock.Any(), target).Return(passed, nil),
		f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(oldSecret), storedScope(ports.FieldSecret)).Return([]byte("sealed-again"), nil),
		f.expectWrite(&written),
	)

	if _, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Secret: ptr(domain.NewSecret(oldSecret))}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	// Re-sent, not replaced: fingerprint, secret version and credentials time stay.
	wantWritten(t, written, refreshed(func(b *domain.Bucket) { b.SealedSecret = []byte("sealed-again") }))
}

func TestUpdateOfABucketWithoutFingerprintCountsTheSecretAsNew(t *testing.T) {
	f := newBucketsFixture(t)
	old := storedBucket()
	old.SecretFingerprint, old.SecretVersion, old.CredentialsUpdatedAt = "", 1, nil // stored before fingerprints
	var written domain.Bucket
	gomock.InOrder(
		f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(old, nil),
		f.vault.EXPECT().Open(gomock.Any(), sealedOld[ports.FieldKey], storedScope(ports.FieldKey)).Return(domain.NewSecret(oldKey), nil),
		f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil),
		f.vault.EXPECT().Seal(gomock.Any(), domain.NewSecret(oldSecret), storedScope(ports.FieldSecret)).Return([]byte("sealed-again"), nil),
		f.expectWrite(&written),
	)

	if _, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Secret: ptr(domain.NewSecret(oldSecret))}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if written.SecretFingerprint != fakeFingerprint(oldSecret) || written.SecretVersion != 2 ||
		written.CredentialsUpdatedAt == nil || !written.CredentialsUpdatedAt.Equal(clock) {
		t.Errorf("written fingerprint %q, secret version %d, credentials time %v; want the fingerprint filled in, version 2, %v",
			written.SecretFingerprint, written.SecretVersion, written.CredentialsUpdatedAt, clock)
	}
}
