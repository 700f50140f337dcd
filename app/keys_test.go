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
	"github.com/bucketd/bucketd/ports/mocks"
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
// vault refuses to open a value under any scope but its own.
type keysFixture struct {
	store *mocks.MockSealedCredentials
	vault *mocks.MockVault
	logs  *bytes.Buffer
	audit *auditSpy
	svc   *app.Keys
}

const activeKey = "k2"

func newKeysFixture(t *testing.T, batchSize int, olderKeys ...string) *keysFixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	keys := mocks.NewMockVaultKeys(ctrl)
	keys.EXPECT().ActiveKeyID().Return(activeKey).AnyTimes()
	keys.EXPECT().KeyIDs().DoAndReturn(func() []string { return append([]string{activeKey}, olderKeys...) }).AnyTimes()
	keys.EXPECT().KeyID(gomock.Any()).DoAndReturn(fakeKeyID).AnyTimes()
	f := &keysFixture{store: mocks.NewMockSealedCredentials(ctrl), vault: mocks.NewMockVault(ctrl), logs: &bytes.Buffer{},
		audit: &auditSpy{}}
	svc, err := app.NewKeys(app.KeysDeps{Store: f.store, Vault: f.vault, Keys: keys, Audit: f.audit, BatchSize: batchSize,
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil))})
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

// record is a bucket whose key is sealed under keyKey and whose secret is under secretKey.
func record(bucketID string, version int64, keyKey, secretKey string) ports.SealedRecord {
	return ports.SealedRecord{
		OrgID: orgID, BucketID: bucketID, Version: version,
		SealedKey:    fakeSealed(keyKey, scopeFor(bucketID, ports.FieldKey), plaintextOf(bucketID, ports.FieldKey)),
		SealedSecret: fakeSealed(secretKey, scopeFor(bucketID, ports.FieldSecret), plaintextOf(bucketID, ports.FieldSecret)),
	}
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
		f.vault.EXPECT().Open(gomock.Any(), sealed, scope).Return(plaintext, nil),
		f.vault.EXPECT().Seal(gomock.Any(), plaintext, scope).Return(resealed, nil),
	)
	return resealed
}

func TestNewKeysRejectsBadDependencies(t *testing.T) {
	ctrl := gomock.NewController(t)
	valid := func() app.KeysDeps {
		return app.KeysDeps{Store: mocks.NewMockSealedCredentials(ctrl), Vault: mocks.NewMockVault(ctrl), Keys: mocks.NewMockVaultKeys(ctrl),
			Audit: &auditSpy{}}
	}
	cases := map[string]func(*app.KeysDeps){
		"no store":            func(d *app.KeysDeps) { d.Store = nil },
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
		[]ports.SealedRecord{record(bucketA, 1, "k1", "k1"), record(bucketB, 4, "k2", "k1")},
		[]ports.SealedRecord{record(bucketC, 2, "k2", "k2"), record(bucketD, 1, "k0", "k0")},
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
	}}
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
		f.store.EXPECT().Reseal(gomock.Any(), a,
			f.expectReseal(a.SealedKey, bucketA, ports.FieldKey),
			f.expectReseal(a.SealedSecret, bucketA, ports.FieldSecret)).Return(nil),
		f.store.EXPECT().Reseal(gomock.Any(), c, c.SealedKey, f.expectReseal(c.SealedSecret, bucketC, ports.FieldSecret)).Return(nil),
	)
	var progress [][2]int

	res, err := f.svc.Rotate(t.Context(), func(done, total int) { progress = append(progress, [2]int{done, total}) })

	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if want := (app.RotateResult{ActiveKeyID: "k2", Values: 3, Buckets: 2}); res != want {
		t.Errorf("Rotate = %+v, want %+v", res, want)
	}
	if want := [][2]int{{0, 3}, {2, 3}, {3, 3}}; !reflect.DeepEqual(progress, want) {
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
		f.store.EXPECT().Reseal(gomock.Any(), first,
			f.expectReseal(first.SealedKey, bucketA, ports.FieldKey),
			f.expectReseal(first.SealedSecret, bucketA, ports.FieldSecret)).Return(conflict),
		f.store.EXPECT().ReadSealed(gomock.Any(), bucketA).Return(fresh, nil),
		f.store.EXPECT().Reseal(gomock.Any(), fresh, fresh.SealedKey,
			f.expectReseal(fresh.SealedSecret, bucketA, ports.FieldSecret)).Return(nil),
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
			f.store.EXPECT().Reseal(gomock.Any(), rec,
				f.expectReseal(rec.SealedKey, bucketA, ports.FieldKey),
				f.expectReseal(rec.SealedSecret, bucketA, ports.FieldSecret)).Return(c.resealErr)
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
	f.store.EXPECT().Reseal(gomock.Any(), rec, gomock.Any(), gomock.Any()).
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

func TestRotateWithNothingToMove(t *testing.T) {
	f := newKeysFixture(t, 10, "k1")
	f.expectBatches(10, 1, []ports.SealedRecord{record(bucketA, 1, "k2", "k2")})
	called := false

	res, err := f.svc.Rotate(t.Context(), func(int, int) { called = true })

	if want := (app.RotateResult{ActiveKeyID: "k2"}); err != nil || res != want {
		t.Errorf("Rotate = %+v, %v; want %+v, nil", res, err, want)
	}
	if called {
		t.Error("Rotate reported progress although it had nothing to move")
	}
}
