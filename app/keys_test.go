package app_test

import (
	"bytes"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/mocks"
)

// Bucket ids of the key tests, in id order.
const (
	bucketA = "0190f5c2-0000-7000-8000-0000000000a1"
	bucketB = "0190f5c2-0000-7000-8000-0000000000a2"
	bucketC = "0190f5c2-0000-7000-8000-0000000000a3"
	bucketD = "0190f5c2-0000-7000-8000-0000000000a4"
)

// keysFixture is a Keys service over mocks whose vault is k2 first, then the given older keys.
// Its fake ciphertexts carry the key id, the scope and the plaintext in the clear, so the fake
// vault refuses to open a value under any scope but its own. It has no Fingerprinter unless
// made by newFingerprintingKeysFixture.
type keysFixture struct {
	store *mocks.MockSealedCredentials
	// credentials holds the stored credentials, none unless a test adds them.
	credentials *fakeSealedCredentials
	vault       *mocks.MockVault
	logs        *bytes.Buffer
	audit       *auditSpy
	svc         *app.Keys
}

const activeKey = "k2"

func newKeysFixture(t *testing.T, batchSize int, olderKeys ...string) *keysFixture {
	t.Helper()
	return newKeysFixtureWith(t, nil, batchSize, olderKeys...)
}

// newFingerprintingKeysFixture is a keysFixture whose rotation fills in missing fingerprints
// with fakeFingerprint, the fingerprint record gives its buckets.
func newFingerprintingKeysFixture(t *testing.T, batchSize int, olderKeys ...string) *keysFixture {
	t.Helper()
	return newKeysFixtureWith(t, fingerprinterFunc(fakeFingerprint), batchSize, olderKeys...)
}

func newKeysFixtureWith(t *testing.T, fingerprinter ports.Fingerprinter, batchSize int, olderKeys ...string) *keysFixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	keys := mocks.NewMockVaultKeys(ctrl)
	keys.EXPECT().ActiveKeyID().Return(activeKey).AnyTimes()
	keys.EXPECT().KeyIDs().DoAndReturn(func() []string { return append([]string{activeKey}, olderKeys...) }).AnyTimes()
	keys.EXPECT().KeyID(gomock.Any()).DoAndReturn(fakeKeyID).AnyTimes()
	f := &keysFixture{store: mocks.NewMockSealedCredentials(ctrl), credentials: &fakeSealedCredentials{}, vault: mocks.NewMockVault(ctrl),
		logs: &bytes.Buffer{}, audit: &auditSpy{}}
	svc, err := app.NewKeys(app.KeysDeps{Store: f.store, Credentials: f.credentials, Vault: f.vault, Keys: keys, Audit: f.audit, Fingerprinter: fingerprinter,
		BatchSize: batchSize, Logger: slog.New(slog.NewJSONHandler(f.logs, nil))})
	if err != nil {
		t.Fatalf("NewKeys: %v", err)
	}
	f.svc = svc
	return f
}

func fakeSealed(keyID string, scope ports.SecretScope, plaintext string) []byte {
	return []byte(strings.Join([]string{keyID, scope.OrgID, scope.BucketID, scope.Field, plaintext}, "|"))
}

func fakeKeyID(sealed []byte) (string, error) {
	id, _, ok := strings.Cut(string(sealed), "|")
	if !ok {
		return "", errors.New("malformed header")
	}
	return id, nil
}

func plaintextOf(bucketID, field string) string { return field + " of " + bucketID }

func scopeFor(bucketID, field string) ports.SecretScope {
	return ports.SecretScope{OrgID: orgID, BucketID: bucketID, Field: field}
}

// record is a bucket whose key is sealed under keyKey and whose secret is under secretKey, with
// the fingerprint of its secret.
func record(bucketID string, version int64, keyKey, secretKey string) ports.SealedRecord {
	return ports.SealedRecord{
		OrgID: orgID, BucketID: bucketID, Version: version,
		SealedKey:         fakeSealed(keyKey, scopeFor(bucketID, ports.FieldKey), plaintextOf(bucketID, ports.FieldKey)),
		SealedSecret:      fakeSealed(secretKey, scopeFor(bucketID, ports.FieldSecret), plaintextOf(bucketID, ports.FieldSecret)),
		SecretFingerprint: fakeFingerprint(plaintextOf(bucketID, ports.FieldSecret)),
	}
}

// unfingerprinted is record without a fingerprint, as a bucket stored before fingerprints
// existed.
func unfingerprinted(bucketID string, version int64, keyKey, secretKey string) ports.SealedRecord {
	rec := record(bucketID, version, keyKey, secretKey)
	rec.SecretFingerprint = ""
	return rec
}

// resealed is what a rotation writes back: the two ciphertexts and a fingerprint, or "".
func resealed(key, secret []byte, fingerprint string) ports.Resealed {
	return ports.Resealed{SealedKey: key, SealedSecret: secret, SecretFingerprint: fingerprint}
}

// expectBatches expects the walk to read these batches, times times over, each after the
// last id of the one before.
func (f *keysFixture) expectBatches(limit, times int, batches ...[]ports.SealedRecord) {
	after := ""
	for _, batch := range batches {
		f.store.EXPECT().SealedBatch(gomock.Any(), after, limit).Return(batch, nil).Times(times)
		if len(batch) > 0 {
			after = batch[len(batch)-1].BucketID
		}
	}
}

// expectReseal expects one value of the bucket to be opened under its own scope and sealed
// under the active key, and returns the new ciphertext.
func (f *keysFixture) expectReseal(sealed []byte, bucketID, field string) []byte {
	scope := scopeFor(bucketID, field)
	plaintext := domain.NewSecret(plaintextOf(bucketID, field))
	resealed := fakeSealed(activeKey, scope, plaintext.Reveal())
	gomock.InOrder(
		f.expectOpen(sealed, bucketID, field),
		f.vault.EXPECT().Seal(gomock.Any(), plaintext, scope).Return(resealed, nil),
	)
	return resealed
}

// expectOpen expects one value of the bucket to be opened, once, under its own scope.
func (f *keysFixture) expectOpen(sealed []byte, bucketID, field string) *gomock.Call {
	return f.vault.EXPECT().Open(gomock.Any(), sealed, scopeFor(bucketID, field)).Return(domain.NewSecret(plaintextOf(bucketID, field)), nil)
}

func TestNewKeysRejectsBadDependencies(t *testing.T) {
	ctrl := gomock.NewController(t)
	valid := func() app.KeysDeps {
		return app.KeysDeps{Store: mocks.NewMockSealedCredentials(ctrl), Credentials: &fakeSealedCredentials{}, Vault: mocks.NewMockVault(ctrl), Keys: mocks.NewMockVaultKeys(ctrl),
			Audit: &auditSpy{}}
	}
	cases := map[string]func(*app.KeysDeps){
		"no store":            func(d *app.KeysDeps) { d.Store = nil },
		"no credentials":      func(d *app.KeysDeps) { d.Credentials = nil },
		"no vault":            func(d *app.KeysDeps) { d.Vault = nil },
		"no keys":             func(d *app.KeysDeps) { d.Keys = nil },
		"no audit":            func(d *app.KeysDeps) { d.Audit = nil },
		"negative batch size": func(d *app.KeysDeps) { d.BatchSize = -1 },
		"batch size too big":  func(d *app.KeysDeps) { d.BatchSize = app.MaxKeyBatch + 1 },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			deps := valid()
			change(&deps)
			if _, err := app.NewKeys(deps); err == nil {
				t.Fatal("NewKeys succeeded; want an error")
			}
		})
	}
	for _, size := range []int{0, 1, app.MaxKeyBatch} {
		deps := valid()
		deps.BatchSize = size
		if _, err := app.NewKeys(deps); err != nil {
			t.Errorf("NewKeys with batch size %d: %v", size, err)
		}
	}
}

func TestKeyStatusCountsValuesPerKey(t *testing.T) {
	f := newKeysFixture(t, 2, "k1", "k3")
	f.expectBatches(2, 1,
		[]ports.SealedRecord{unfingerprinted(bucketA, 1, "k1", "k1"), record(bucketB, 4, "k2", "k1")},
		[]ports.SealedRecord{unfingerprinted(bucketC, 2, "k2", "k2"), record(bucketD, 1, "k0", "k0")},
		nil)

	got, err := f.svc.Status(t.Context())

	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	want := app.KeyStatus{ActiveKeyID: "k2", Buckets: 4, Keys: []app.KeyUsage{
		{KeyID: "k2", Active: true, InRing: true, Buckets: 2, Values: 3},
		{KeyID: "k1", InRing: true, Buckets: 2, Values: 3},
		{KeyID: "k3", InRing: true},
		{KeyID: "k0", Buckets: 1, Values: 2},
	}, WithoutFingerprint: 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Status = %+v;\nwant %+v", got, want)
	}
	if got.ToMove() != 5 {
		t.Errorf("ToMove() = %d, want the 5 values not under k2", got.ToMove())
	}
}

func TestKeyStatusNamesAMalformedValue(t *testing.T) {
	f := newKeysFixture(t, 10, "k1")
	broken := record(bucketA, 1, "k1", "k1")
	broken.SealedSecret = []byte("garbage")
	f.expectBatches(10, 1, []ports.SealedRecord{broken})

	_, err := f.svc.Status(t.Context())

	if err == nil || !strings.Contains(err.Error(), "secret of bucket "+bucketA) || !strings.Contains(err.Error(), "malformed header") {
		t.Fatalf("Status error = %v, want one naming the secret of bucket %s and the reason", err, bucketA)
	}
}

// TestRotateResealsWhatIsNotUnderTheActiveKey walks three buckets in batches of one: values
// under k1 are opened and sealed again under k2 in their own scope, values under k2 are left
// as they are, and each bucket is written once with both of its values. Progress is reported
// before the first write and after each batch that moved something.
func TestRotateResealsWhatIsNotUnderTheActiveKey(t *testing.T) {
	f := newKeysFixture(t, 1, "k1")
	a, b, c := record(bucketA, 1, "k1", "k1"), record(bucketB, 3, "k2", "k2"), record(bucketC, 2, "k2", "k1")
	f.expectBatches(1, 2, []ports.SealedRecord{a}, []ports.SealedRecord{b}, []ports.SealedRecord{c}, nil) // counted, then re-sealed
	gomock.InOrder(
		f.store.EXPECT().Reseal(gomock.Any(), a, resealed(
			f.expectReseal(a.SealedKey, bucketA, ports.FieldKey),
			f.expectReseal(a.SealedSecret, bucketA, ports.FieldSecret), "")).Return(nil),
		f.store.EXPECT().Reseal(gomock.Any(), c, resealed(c.SealedKey, f.expectReseal(c.SealedSecret, bucketC, ports.FieldSecret), "")).Return(nil),
	)
	var progress []app.RotateProgress

	res, err := f.svc.Rotate(t.Context(), func(p app.RotateProgress) { progress = append(progress, p) })

	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if want := (app.RotateResult{ActiveKeyID: "k2", Values: 3, Buckets: 2}); res != want {
		t.Errorf("Rotate = %+v, want %+v", res, want)
	}
	if want := []app.RotateProgress{{ValuesTotal: 3}, {Values: 2, ValuesTotal: 3}, {Values: 3, ValuesTotal: 3}}; !reflect.DeepEqual(progress, want) {
		t.Errorf("progress calls = %v, want %v: one before the first write, then one per batch that moved values, values done of the values to move", progress, want)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "master key rotation finished") {
		t.Errorf("no log line says the rotation finished:\n%s", logs)
	}
	if strings.Contains(logs, " of "+bucketA) || strings.Contains(logs, " of "+bucketC) {
		t.Errorf("the log holds a plaintext credential:\n%s", logs)
	}
}

// TestRotateRetriesAConflictFromAFreshRead lets a server store a new key between the
// rotation's read and its write: the write conflicts, the bucket is read again, and only the
// secret, still under k1, is re-sealed and written at the new version.
func TestRotateRetriesAConflictFromAFreshRead(t *testing.T) {
	f := newKeysFixture(t, 10, "k1")
	first := record(bucketA, 1, "k1", "k1")
	f.expectBatches(10, 2, []ports.SealedRecord{first})
	fresh := first
	fresh.Version = 2
	fresh.SealedKey = fakeSealed("k2", scopeFor(bucketA, ports.FieldKey), plaintextOf(bucketA, ports.FieldKey))
	conflict := domain.Errorf(domain.KindConflict, "bucket %s changed", bucketA)
	gomock.InOrder(
		f.store.EXPECT().Reseal(gomock.Any(), first, resealed(
			f.expectReseal(first.SealedKey, bucketA, ports.FieldKey),
			f.expectReseal(first.SealedSecret, bucketA, ports.FieldSecret), "")).Return(conflict),
		f.store.EXPECT().ReadSealed(gomock.Any(), bucketA).Return(fresh, nil),
		f.store.EXPECT().Reseal(gomock.Any(), fresh, resealed(fresh.SealedKey,
			f.expectReseal(fresh.SealedSecret, bucketA, ports.FieldSecret), "")).Return(nil),
	)

	res, err := f.svc.Rotate(t.Context(), nil)

	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if want := (app.RotateResult{ActiveKeyID: "k2", Values: 1, Buckets: 1, Conflicts: 1}); res != want {
		t.Errorf("Rotate = %+v, want %+v", res, want)
	}
}

// TestRotateSkipsABucketThatIsGone: a bucket that disappears before the write, or before it is
// read again after a conflict, has nothing left to re-seal.
func TestRotateSkipsABucketThatIsGone(t *testing.T) {
	gone := domain.Errorf(domain.KindNotFound, "bucket %s does not exist", bucketA)
	conflict := domain.Errorf(domain.KindConflict, "bucket %s changed", bucketA)
	cases := []struct {
		name          string
		resealErr     error
		readAgain     bool
		wantConflicts int
	}{
		{"gone before the write", gone, false, 0},
		{"gone before the read after a conflict", conflict, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newKeysFixture(t, 10, "k1")
			rec := record(bucketA, 1, "k1", "k1")
			f.expectBatches(10, 2, []ports.SealedRecord{rec})
			f.store.EXPECT().Reseal(gomock.Any(), rec, resealed(
				f.expectReseal(rec.SealedKey, bucketA, ports.FieldKey),
				f.expectReseal(rec.SealedSecret, bucketA, ports.FieldSecret), "")).Return(c.resealErr)
			if c.readAgain {
				f.store.EXPECT().ReadSealed(gomock.Any(), bucketA).Return(ports.SealedRecord{}, gone)
			}

			res, err := f.svc.Rotate(t.Context(), nil)

			if want := (app.RotateResult{ActiveKeyID: "k2", Conflicts: c.wantConflicts}); err != nil || res != want {
				t.Errorf("Rotate = %+v, %v; want %+v, nil", res, err, want)
			}
		})
	}
}

func TestRotateGivesUpOnABucketThatKeepsChanging(t *testing.T) {
	f := newKeysFixture(t, 10, "k1")
	rec := record(bucketA, 1, "k1", "k1")
	f.expectBatches(10, 2, []ports.SealedRecord{rec})
	f.vault.EXPECT().Open(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.NewSecret("x"), nil).AnyTimes()
	f.vault.EXPECT().Seal(gomock.Any(), gomock.Any(), gomock.Any()).Return([]byte("k2|resealed"), nil).AnyTimes()
	f.store.EXPECT().Reseal(gomock.Any(), rec, gomock.Any()).
		Return(domain.Errorf(domain.KindConflict, "bucket %s changed", bucketA)).Times(10)
	f.store.EXPECT().ReadSealed(gomock.Any(), bucketA).Return(rec, nil).Times(9)

	res, err := f.svc.Rotate(t.Context(), nil)

	if !domain.IsKind(err, domain.KindConflict) || !strings.Contains(err.Error(), "changed 10 times") ||
		!strings.Contains(err.Error(), "run the rotation again") {
		t.Fatalf("Rotate error = %v, want a conflict that says to run the rotation again", err)
	}
	if res.Values != 0 || res.Conflicts != 10 {
		t.Errorf("Rotate = %+v, want no value re-sealed and 10 conflicts", res)
	}
	if !strings.Contains(f.logs.String(), "master key rotation stopped") {
		t.Errorf("no log line says the rotation stopped:\n%s", f.logs.String())
	}
}

// TestRotateRefusesValuesUnderKeysOutsideTheRing: values no key of the ring can open stop the
// rotation before it opens or writes anything (the mocks expect no Open, Seal or Reseal).
func TestRotateRefusesValuesUnderKeysOutsideTheRing(t *testing.T) {
	f := newKeysFixture(t, 10, "k1")
	f.expectBatches(10, 1, []ports.SealedRecord{record(bucketA, 1, "k1", "k1"), record(bucketB, 1, "k0", "k0")})

	_, err := f.svc.Rotate(t.Context(), nil)

	if !domain.IsKind(err, domain.KindInvalidInput) || !strings.Contains(err.Error(), "2 under k0") ||
		!strings.Contains(err.Error(), "after the active key k2") {
		t.Fatalf("Rotate error = %v, want an invalid-input error naming the 2 values under k0 and the fix", err)
	}
}

func TestRotateStopsAtAValueThatDoesNotOpen(t *testing.T) {
	f := newKeysFixture(t, 10, "k1")
	rec := record(bucketA, 1, "k1", "k2")
	f.expectBatches(10, 2, []ports.SealedRecord{rec})
	f.vault.EXPECT().Open(gomock.Any(), rec.SealedKey, scopeFor(bucketA, ports.FieldKey)).
		Return(domain.Secret{}, errors.New("authentication failed"))

	_, err := f.svc.Rotate(t.Context(), nil)

	if err == nil || !strings.Contains(err.Error(), "key of bucket "+bucketA) || !strings.Contains(err.Error(), "sealed under key k1") ||
		!strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("Rotate error = %v, want one naming the key of bucket %s, its key id and the cause", err, bucketA)
	}
}

func TestRotateStopsWhenTheStoreFails(t *testing.T) {
	f := newKeysFixture(t, 10, "k1")
	rec := record(bucketA, 1, "k1", "k1")
	unavailable := domain.Errorf(domain.KindUnavailable, "database unavailable; retry shortly")
	gomock.InOrder(
		f.store.EXPECT().SealedBatch(gomock.Any(), "", 10).Return([]ports.SealedRecord{rec}, nil),
		f.store.EXPECT().SealedBatch(gomock.Any(), "", 10).Return(nil, unavailable),
	)

	_, err := f.svc.Rotate(t.Context(), nil)

	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("Rotate error = %v, want the store's unavailable error", err)
	}
}

// TestRotateWithNothingToMove: with every value under the active key, a rotation writes and
// opens nothing and reports no progress, whether it has a fingerprint key and nothing to fill
// in, or has none and says how many buckets it leaves without a fingerprint.
func TestRotateWithNothingToMove(t *testing.T) {
	cases := []struct {
		name    string
		fixture func(*testing.T, int, ...string) *keysFixture
		batch   []ports.SealedRecord
		want    app.RotateResult
	}{
		{"every fingerprint is there", newFingerprintingKeysFixture, []ports.SealedRecord{record(bucketA, 1, "k2", "k2")},
			app.RotateResult{ActiveKeyID: "k2"}},
		{"no fingerprint key", newKeysFixture, []ports.SealedRecord{record(bucketA, 1, "k2", "k2"), unfingerprinted(bucketB, 1, "k2", "k2")},
			app.RotateResult{ActiveKeyID: "k2", NotFingerprinted: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.fixture(t, 10, "k1")
			f.expectBatches(10, 1, c.batch)
			called := false

			res, err := f.svc.Rotate(t.Context(), func(app.RotateProgress) { called = true })

			if err != nil || res != c.want {
				t.Errorf("Rotate = %+v, %v; want %+v, nil", res, err, c.want)
			}
			if called {
				t.Error("Rotate reported progress although it had nothing to do")
			}
		})
	}
}

// TestRotateFillsInMissingFingerprints walks four buckets in batches of one with a fingerprint
// key. A under k1 without a fingerprint: both values re-sealed and the fingerprint of its
// secret filled in, in one write, each value opened once. B under k2 without one: only its
// secret is opened, and written back as it was with its fingerprint. C under k2 with one: left
// alone, but first read again to check the fingerprint key against its stored fingerprint. D
// with its secret under k1 and a fingerprint: re-sealed only.
func TestRotateFillsInMissingFingerprints(t *testing.T) {
	f := newFingerprintingKeysFixture(t, 1, "k1")
	a, b := unfingerprinted(bucketA, 1, "k1", "k1"), unfingerprinted(bucketB, 3, "k2", "k2")
	c, d := record(bucketC, 2, "k2", "k2"), record(bucketD, 5, "k2", "k1")
	f.expectBatches(1, 2, []ports.SealedRecord{a}, []ports.SealedRecord{b}, []ports.SealedRecord{c}, []ports.SealedRecord{d}, nil)
	gomock.InOrder(
		f.store.EXPECT().ReadSealed(gomock.Any(), bucketC).Return(c, nil),
		f.expectOpen(c.SealedSecret, bucketC, ports.FieldSecret),
		f.store.EXPECT().Reseal(gomock.Any(), a, resealed(
			f.expectReseal(a.SealedKey, bucketA, ports.FieldKey),
			f.expectReseal(a.SealedSecret, bucketA, ports.FieldSecret),
			fakeFingerprint(plaintextOf(bucketA, ports.FieldSecret)))).Return(nil),
		f.expectOpen(b.SealedSecret, bucketB, ports.FieldSecret),
		f.store.EXPECT().Reseal(gomock.Any(), b, resealed(b.SealedKey, b.SealedSecret, fakeFingerprint(plaintextOf(bucketB, ports.FieldSecret)))).Return(nil),
		f.store.EXPECT().Reseal(gomock.Any(), d, resealed(d.SealedKey, f.expectReseal(d.SealedSecret, bucketD, ports.FieldSecret), "")).Return(nil),
	)
	var progress []app.RotateProgress

	res, err := f.svc.Rotate(t.Context(), func(p app.RotateProgress) { progress = append(progress, p) })

	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if want := (app.RotateResult{ActiveKeyID: "k2", Values: 3, Buckets: 2, Fingerprinted: 2}); res != want {
		t.Errorf("Rotate = %+v, want %+v", res, want)
	}
	want := []app.RotateProgress{
		{ValuesTotal: 3, FingerprintsTotal: 2},
		{Values: 2, ValuesTotal: 3, Fingerprints: 1, FingerprintsTotal: 2},
		{Values: 2, ValuesTotal: 3, Fingerprints: 2, FingerprintsTotal: 2},
		{Values: 3, ValuesTotal: 3, Fingerprints: 2, FingerprintsTotal: 2},
	}
	if !reflect.DeepEqual(progress, want) {
		t.Errorf("progress calls = %+v,\nwant %+v: one before the first write, then one per batch that changed something", progress, want)
	}
	if logs := f.logs.String(); !strings.Contains(logs, `"fingerprints_filled":2`) || strings.Contains(logs, " of "+bucketA) {
		t.Errorf("the log does not count the fingerprints filled in, or holds a plaintext credential:\n%s", logs)
	}
}

// TestRotateWithoutAFingerprintKeyStillReseals: a bucket without a fingerprint is re-sealed, and
// written back still without one; one under the active key is not even opened. The result says
// how many buckets were left without a fingerprint.
func TestRotateWithoutAFingerprintKeyStillReseals(t *testing.T) {
	f := newKeysFixture(t, 10, "k1")
	a, b := unfingerprinted(bucketA, 1, "k1", "k1"), unfingerprinted(bucketB, 1, "k2", "k2")
	f.expectBatches(10, 2, []ports.SealedRecord{a, b})
	f.store.EXPECT().Reseal(gomock.Any(), a, resealed(
		f.expectReseal(a.SealedKey, bucketA, ports.FieldKey),
		f.expectReseal(a.SealedSecret, bucketA, ports.FieldSecret), "")).Return(nil)

	res, err := f.svc.Rotate(t.Context(), nil)

	if want := (app.RotateResult{ActiveKeyID: "k2", Values: 2, Buckets: 1, NotFingerprinted: 2}); err != nil || res != want {
		t.Errorf("Rotate = %+v, %v; want %+v, nil", res, err, want)
	}
}

// TestRotateFillsFromAFreshReadAfterAConflict lets a server replace a bucket's secret between
// the rotation's read and its fill: the fill conflicts and the bucket is read again. A server
// with the fingerprint key stored the new secret's fingerprint, so nothing is left to do; one
// without stored none, so the new secret is opened and its fingerprint filled in.
func TestRotateFillsFromAFreshReadAfterAConflict(t *testing.T) {
	const newSecret = "the new secret"
	cases := []struct {
		name       string
		freshPrint string
		want       app.RotateResult
	}{
		{"the update stored a fingerprint", fakeFingerprint(newSecret), app.RotateResult{ActiveKeyID: "k2", Conflicts: 1}},
		{"the update stored none", "", app.RotateResult{ActiveKeyID: "k2", Conflicts: 1, Fingerprinted: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFingerprintingKeysFixture(t, 10)
			first := unfingerprinted(bucketA, 1, "k2", "k2")
			f.expectBatches(10, 2, []ports.SealedRecord{first})
			fresh := first
			fresh.Version, fresh.SecretFingerprint = 2, c.freshPrint
			fresh.SealedSecret = fakeSealed("k2", scopeFor(bucketA, ports.FieldSecret), newSecret)
			calls := []any{
				f.expectOpen(first.SealedSecret, bucketA, ports.FieldSecret),
				f.store.EXPECT().Reseal(gomock.Any(), first, resealed(first.SealedKey, first.SealedSecret,
					fakeFingerprint(plaintextOf(bucketA, ports.FieldSecret)))).Return(domain.Errorf(domain.KindConflict, "bucket %s changed", bucketA)),
				f.store.EXPECT().ReadSealed(gomock.Any(), bucketA).Return(fresh, nil),
			}
			if c.freshPrint == "" {
				calls = append(calls,
					f.vault.EXPECT().Open(gomock.Any(), fresh.SealedSecret, scopeFor(bucketA, ports.FieldSecret)).Return(domain.NewSecret(newSecret), nil),
					f.store.EXPECT().Reseal(gomock.Any(), fresh, resealed(fresh.SealedKey, fresh.SealedSecret, fakeFingerprint(newSecret))).Return(nil))
			}
			gomock.InOrder(calls...)

			res, err := f.svc.Rotate(t.Context(), nil)

			if err != nil || res != c.want {
				t.Errorf("Rotate = %+v, %v; want %+v, nil", res, err, c.want)
			}
		})
	}
}

// TestRotateRefusesAnotherFingerprintKey: when the configured key does not reproduce the
// fingerprint a server stored, the rotation stops before it writes anything (the mocks expect
// no Reseal), names the bucket it checked and says what to do, and repeats neither the secret
// nor a fingerprint.
func TestRotateRefusesAnotherFingerprintKey(t *testing.T) {
	f := newFingerprintingKeysFixture(t, 10, "k1")
	stored := record(bucketB, 1, "k2", "k2")
	stored.SecretFingerprint = "fp-under-another-key"
	f.expectBatches(10, 1, []ports.SealedRecord{unfingerprinted(bucketA, 1, "k1", "k1"), stored})
	gomock.InOrder(
		f.store.EXPECT().ReadSealed(gomock.Any(), bucketB).Return(stored, nil),
		f.expectOpen(stored.SealedSecret, bucketB, ports.FieldSecret),
	)

	_, err := f.svc.Rotate(t.Context(), nil)

	if !domain.IsKind(err, domain.KindInvalidInput) || !strings.Contains(err.Error(), bucketB) ||
		!strings.Contains(err.Error(), "servers' fingerprint key") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("Rotate error = %v; want an invalid-input error naming bucket %s, saying nothing changed and which key to use", err, bucketB)
	}
	for _, leak := range []string{plaintextOf(bucketB, ports.FieldSecret), stored.SecretFingerprint, fakeFingerprint(plaintextOf(bucketB, ports.FieldSecret))} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("the error %q repeats a secret or a fingerprint", err)
		}
	}
	if events := f.audit.recorded(); len(events) != 1 || events[0].Outcome != domain.KindInvalidInput.String() {
		t.Errorf("audit events = %+v, want one key_rotation with outcome %s", events, domain.KindInvalidInput)
	}
}
