package app_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Stored credential ids of the key tests, in id order.
const (
	credentialA = "0190f5c2-0000-7000-8000-0000000000c1"
	credentialB = "0190f5c2-0000-7000-8000-0000000000c2"
)

// fakeSealedCredentials is an in-memory credentials table that checks the secret version on
// every re-seal, as the store does. beforeReseal, when set, runs before each re-seal is
// checked, as a concurrent PUT /apikeys would.
type fakeSealedCredentials struct {
	records      []ports.SealedCredentialRecord
	reseals      int
	beforeReseal func(f *fakeSealedCredentials)
}

func (f *fakeSealedCredentials) CredentialSealedBatch(_ context.Context, afterID string, limit int) ([]ports.SealedCredentialRecord, error) {
	var out []ports.SealedCredentialRecord
	for _, r := range f.records {
		if r.CredentialID > afterID && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeSealedCredentials) ReadCredentialSealed(_ context.Context, id string) (ports.SealedCredentialRecord, error) {
	if i := f.index(id); i >= 0 {
		return f.records[i], nil
	}
	return ports.SealedCredentialRecord{}, domain.Errorf(domain.KindNotFound, "no API key %s", id)
}

func (f *fakeSealedCredentials) ResealCredential(_ context.Context, rec ports.SealedCredentialRecord, next ports.ResealedCredential) error {
	if f.beforeReseal != nil {
		f.beforeReseal(f)
	}
	i := f.index(rec.CredentialID)
	switch {
	case i < 0:
		return domain.Errorf(domain.KindNotFound, "no API key %s", rec.CredentialID)
	case f.records[i].SecretVersion != rec.SecretVersion || next.SecretFingerprint != "" && f.records[i].SecretFingerprint != "":
		return domain.Errorf(domain.KindConflict, "API key %s changed", rec.CredentialID)
	}
	f.reseals++
	cur := &f.records[i]
	cur.SealedKey, cur.SealedSecret, cur.SealedSessionToken = next.SealedKey, next.SealedSecret, next.SealedSessionToken
	if next.SecretFingerprint != "" {
		cur.SecretFingerprint = next.SecretFingerprint
	}
	return nil
}

func (f *fakeSealedCredentials) index(id string) int {
	return slices.IndexFunc(f.records, func(r ports.SealedCredentialRecord) bool { return r.CredentialID == id })
}

// sealedCredential is a credential whose key and secret are sealed under keyKey and secretKey
// ("" for a kind without a secret), with the fingerprint of its secret, and no session token.
func sealedCredential(id string, version int64, keyKey, secretKey string) ports.SealedCredentialRecord {
	rec := ports.SealedCredentialRecord{OrgID: orgID, CredentialID: id, SecretVersion: version, SealedSessionToken: []byte{},
		SealedKey: fakeSealed(keyKey, scopeFor(id, ports.FieldCredentialKey), plaintextOf(id, ports.FieldCredentialKey))}
	rec.SealedSecret = []byte{}
	if secretKey != "" {
		rec.SealedSecret = fakeSealed(secretKey, scopeFor(id, ports.FieldCredentialSecret), plaintextOf(id, ports.FieldCredentialSecret))
		rec.SecretFingerprint = fakeFingerprint(plaintextOf(id, ports.FieldCredentialSecret))
	}
	return rec
}

// withFakeVault makes the fixture's vault open a fake ciphertext only in its own scope and
// seal under the active key, whatever the calls.
func (f *keysFixture) withFakeVault() {
	f.vault.EXPECT().Open(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, sealed []byte, scope ports.SecretScope) (domain.Secret, error) {
			parts := strings.SplitN(string(sealed), "|", 5)
			if len(parts) != 5 || parts[1] != scope.OrgID || parts[2] != scope.BucketID || parts[3] != scope.Field {
				return domain.Secret{}, domain.Errorf(domain.KindInvalidInput, "does not open in scope %+v", scope)
			}
			return domain.NewSecret(parts[4]), nil
		}).AnyTimes()
	f.vault.EXPECT().Seal(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, plaintext domain.Secret, scope ports.SecretScope) ([]byte, error) {
			return fakeSealed(activeKey, scope, plaintext.Reveal()), nil
		}).AnyTimes()
}

// TestKeyStatusCountsStoredCredentials counts the credentials' values beside the buckets':
// a key that seals only a credential's value is not removable, and an empty value (a kind
// without a secret) is no value.
func TestKeyStatusCountsStoredCredentials(t *testing.T) {
	f := newKeysFixture(t, 10, "k1", "k0")
	f.expectBatches(10, 1, []ports.SealedRecord{record(bucketA, 1, "k2", "k2")})
	withoutFingerprint := sealedCredential(credentialB, 1, "k2", "k2")
	withoutFingerprint.SecretFingerprint = ""
	f.credentials.records = []ports.SealedCredentialRecord{sealedCredential(credentialA, 3, "k1", ""), withoutFingerprint}

	got, err := f.svc.Status(t.Context())

	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	want := app.KeyStatus{ActiveKeyID: "k2", Buckets: 1, Credentials: 2, Keys: []app.KeyUsage{
		{KeyID: "k2", Active: true, InRing: true, Buckets: 1, Credentials: 1, Values: 4},
		{KeyID: "k1", InRing: true, Credentials: 1, Values: 1},
		{KeyID: "k0", InRing: true},
	}, CredentialsWithoutFingerprint: 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Status = %+v;\nwant %+v", got, want)
	}
	if got.ToMove() != 1 || !reflect.DeepEqual(got.Removable(), []string{"k0"}) {
		t.Errorf("ToMove() = %d, Removable() = %v; want 1 and only k0: k1 still seals an API key's value", got.ToMove(), got.Removable())
	}
}

// TestRotateResealsStoredCredentials re-seals every credential value under an older key in its
// own scope, leaves an absent secret absent, keeps the secret version (the buckets that use
// the credential stay attached at it), and leaves nothing under k1.
func TestRotateResealsStoredCredentials(t *testing.T) {
	f := newKeysFixture(t, 1, "k1")
	f.withFakeVault()
	f.expectBatches(1, 3, nil) // counted, re-sealed, counted again
	session := sealedCredential(credentialB, 7, "k2", "k1")
	session.SealedSessionToken = fakeSealed("k1", scopeFor(credentialB, ports.FieldCredentialSessionToken), "token")
	f.credentials.records = []ports.SealedCredentialRecord{sealedCredential(credentialA, 3, "k1", ""), session}

	res, err := f.svc.Rotate(t.Context(), nil)

	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if want := (app.RotateResult{ActiveKeyID: "k2", Values: 3, Credentials: 2}); res != want {
		t.Errorf("Rotate = %+v, want %+v", res, want)
	}
	a, b := f.credentials.records[0], f.credentials.records[1]
	if len(a.SealedSecret) != 0 || len(a.SealedSessionToken) != 0 || a.SecretVersion != 3 || b.SecretVersion != 7 {
		t.Errorf("records after the rotation = %+v: want absent values still absent and the secret versions unchanged", f.credentials.records)
	}
	if want := fakeSealed("k2", scopeFor(credentialB, ports.FieldCredentialSessionToken), "token"); string(b.SealedSessionToken) != string(want) {
		t.Errorf("session token = %q, want %q: re-sealed under k2 in its own scope", b.SealedSessionToken, want)
	}
	status, err := f.svc.Status(t.Context())
	if err != nil || status.ToMove() != 0 || !reflect.DeepEqual(status.Removable(), []string{"k1"}) {
		t.Errorf("Status after the rotation = %+v, %v; want nothing to move and k1 removable", status, err)
	}
}

// TestRotateNeverOverwritesAConcurrentCredentialRotation lets PUT /apikeys rotate the
// credential between the re-seal's read and its write: the write conflicts, the credential is
// read again, its new values are already under the active key, and they stay as PUT stored them.
func TestRotateNeverOverwritesAConcurrentCredentialRotation(t *testing.T) {
	f := newKeysFixture(t, 10, "k1")
	f.withFakeVault()
	f.expectBatches(10, 2, nil)
	f.credentials.records = []ports.SealedCredentialRecord{sealedCredential(credentialA, 1, "k1", "k1")}
	rotated := sealedCredential(credentialA, 2, "k2", "k2")
	rotated.SealedSecret = fakeSealed("k2", scopeFor(credentialA, ports.FieldCredentialSecret), "the new secret")
	f.credentials.beforeReseal = func(fc *fakeSealedCredentials) {
		fc.records[0], fc.beforeReseal = rotated, nil
	}

	res, err := f.svc.Rotate(t.Context(), nil)

	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if res.Conflicts != 1 || res.Values != 0 || f.credentials.reseals != 0 {
		t.Errorf("Rotate = %+v with %d re-seals stored, want one conflict and nothing written over the rotated values", res, f.credentials.reseals)
	}
	if !reflect.DeepEqual(f.credentials.records[0], rotated) {
		t.Errorf("credential = %+v, want the values PUT /apikeys stored: %+v", f.credentials.records[0], rotated)
	}
}

// TestRotateFillsInACredentialsMissingFingerprint fills in the fingerprint of a credential's
// secret, and counts none for a credential without a secret.
func TestRotateFillsInACredentialsMissingFingerprint(t *testing.T) {
	f := newFingerprintingKeysFixture(t, 10)
	f.withFakeVault()
	f.expectBatches(10, 2, nil)
	missing := sealedCredential(credentialA, 4, "k2", "k2")
	missing.SecretFingerprint = ""
	f.credentials.records = []ports.SealedCredentialRecord{missing, sealedCredential(credentialB, 1, "k2", "")}

	res, err := f.svc.Rotate(t.Context(), nil)

	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if want := (app.RotateResult{ActiveKeyID: "k2", Fingerprinted: 1}); res != want {
		t.Errorf("Rotate = %+v, want %+v", res, want)
	}
	if got, want := f.credentials.records[0].SecretFingerprint, fakeFingerprint(plaintextOf(credentialA, ports.FieldCredentialSecret)); got != want {
		t.Errorf("fingerprint = %q, want %q", got, want)
	}
}
