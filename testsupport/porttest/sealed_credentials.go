package porttest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// SealedCredentialStore is a store that serves ports.SealedStoredCredentials next to the
// credential and bucket ports, which the contract uses to create, rotate and delete the
// credentials it walks and re-seals, and to attach buckets to them.
type SealedCredentialStore interface {
	RepositoryStore
	ports.CredentialStore
	ports.SealedStoredCredentials
}

// SealedCredentialFixture is a store under test. Subtests share its database and keep apart by
// creating organizations of their own, so a walk may meet other subtests' rows.
type SealedCredentialFixture struct {
	Store SealedCredentialStore
	// OpenAnother opens an independent instance on the same database, as another process (a
	// server rotating the credential's secret, or a second `bucketd keys rotate`) would.
	OpenAnother func(t *testing.T) SealedCredentialStore
}

// RunSealedStoredCredentialsContract checks that a store walks the sealed values and secret
// fingerprints of every stored credential of every organization, deleted ones included, in id
// order and in batches, and re-seals a credential, filling in its missing fingerprint, only if
// it still holds what was read, without moving its secret version: the buckets that use it
// stay attached, a rotation of its secret through PUT /apikeys is never overwritten, and of
// concurrent re-seals of one read exactly one lands. open returns a ready, migrated store; each
// subtest calls it once.
func RunSealedStoredCredentialsContract(t *testing.T, open func(t *testing.T) SealedCredentialFixture) {
	t.Helper()
	t.Run("BatchesWalkEveryCredentialInIDOrder", func(t *testing.T) { testSealedCredentialWalk(t, open(t)) })
	t.Run("BatchRejectsBadInput", func(t *testing.T) { testSealedCredentialBadInput(t, open(t)) })
	t.Run("ResealKeepsVersionAndBuckets", func(t *testing.T) { testSealedCredentialReseal(t, open(t)) })
	t.Run("ResealAfterASecretRotationConflicts", func(t *testing.T) { testSealedCredentialAfterRotation(t, open(t)) })
	t.Run("ConcurrentSecretRotationIsNeverLost", func(t *testing.T) { testSealedCredentialConcurrentRotation(t, open(t)) })
	t.Run("ConcurrentResealsOneWins", func(t *testing.T) { testSealedCredentialConcurrentReseals(t, open(t)) })
	t.Run("ResealFillsAMissingFingerprintOnly", func(t *testing.T) { testSealedCredentialFill(t, open(t)) })
	t.Run("ResealOfUnknownOrEmpty", func(t *testing.T) { testSealedCredentialUnknown(t, open(t)) })
}

// sealedCredential is a new credential of org's workspace with random ciphertexts; a kind
// without a secret stores none.
func sealedCredential(org SeededOrg, kind domain.CredentialKind, fingerprint string) domain.StoredCredential {
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := domain.StoredCredential{ID: domain.NewID(), OrgID: org.OrgID, WorkspaceID: org.WorkspaceID, StorageType: domain.StorageS3,
		ProviderSpelling: "AWS", Kind: kind, KeyHint: "AKIA…MPLE", SecretVersion: 1, SealedKey: repoRandomBytes(40),
		SealedSecret: []byte{}, SealedSessionToken: []byte{}, CreatedAt: now, UpdatedAt: now}
	if kind != domain.CredentialAWSRole {
		c.SealedSecret, c.SecretFingerprint = repoRandomBytes(48), fingerprint
	}
	if kind == domain.CredentialAWSSession {
		c.SealedSessionToken = repoRandomBytes(64)
	}
	return c
}

func sealedMustInsertCredential(t *testing.T, s SealedCredentialStore, c domain.StoredCredential) {
	t.Helper()
	if err := s.InsertCredential(t.Context(), c); err != nil {
		t.Fatalf("InsertCredential: %v", err)
	}
}

func sealedCredentialRead(t *testing.T, s ports.SealedStoredCredentials, id string) ports.SealedCredentialRecord {
	t.Helper()
	rec, err := s.ReadCredentialSealed(t.Context(), id)
	if err != nil {
		t.Fatalf("ReadCredentialSealed(%s): %v", id, err)
	}
	return rec
}

// sealedWantCredential checks that a record holds c's values, at c's secret version.
func sealedWantCredential(t *testing.T, what string, got ports.SealedCredentialRecord, c domain.StoredCredential) {
	t.Helper()
	if got.OrgID != c.OrgID || got.CredentialID != c.ID || got.SecretVersion != c.SecretVersion || got.SecretFingerprint != c.SecretFingerprint ||
		!bytes.Equal(got.SealedKey, c.SealedKey) || !bytes.Equal(got.SealedSecret, c.SealedSecret) ||
		!bytes.Equal(got.SealedSessionToken, c.SealedSessionToken) {
		t.Errorf("%s = %+v; want the values of credential %s at secret version %d", what, got, c.ID, c.SecretVersion)
	}
}

// resealedFrom is a re-seal of every value rec has, with new random ciphertexts.
func resealedFrom(rec ports.SealedCredentialRecord, fingerprint string) ports.ResealedCredential {
	next := ports.ResealedCredential{SealedKey: repoRandomBytes(40), SealedSecret: []byte{}, SealedSessionToken: []byte{}, SecretFingerprint: fingerprint}
	if len(rec.SealedSecret) > 0 {
		next.SealedSecret = repoRandomBytes(48)
	}
	if len(rec.SealedSessionToken) > 0 {
		next.SealedSessionToken = repoRandomBytes(64)
	}
	return next
}

// testSealedCredentialWalk walks in batches of two over credentials of two organizations and
// three kinds, one deleted: every one turns up exactly once, complete, in ascending id order.
func testSealedCredentialWalk(t *testing.T, f SealedCredentialFixture) {
	const limit = 2
	a, b := SeedOrganization(t, f.Store, OrgSpec{}), SeedOrganization(t, f.Store, OrgSpec{})
	want := map[string]domain.StoredCredential{}
	for i, spec := range []struct {
		org  SeededOrg
		kind domain.CredentialKind
	}{{a, domain.CredentialKeySecret}, {b, domain.CredentialAWSRole}, {a, domain.CredentialAWSSession}, {b, domain.CredentialKeySecret}} {
		c := sealedCredential(spec.org, spec.kind, fmt.Sprintf("fp-%d", i))
		sealedMustInsertCredential(t, f.Store, c)
		want[c.ID] = c
	}
	deleted := sealedCredential(b, domain.CredentialKeySecret, "")
	sealedMustInsertCredential(t, f.Store, deleted)
	if err := f.Store.DeleteCredential(t.Context(), b.OrgID, deleted.ID, time.Now()); err != nil {
		t.Fatalf("DeleteCredential: %v", err)
	}
	want[deleted.ID] = deleted

	seen := map[string]int{}
	after := ""
	for {
		batch, err := f.Store.CredentialSealedBatch(t.Context(), after, limit)
		if err != nil || len(batch) > limit {
			t.Fatalf("CredentialSealedBatch(%q, %d) = %d records, %v", after, limit, len(batch), err)
		}
		for _, rec := range batch {
			if rec.CredentialID <= after {
				t.Fatalf("CredentialSealedBatch(%q) returned %s, which is not after it", after, rec.CredentialID)
			}
			after = rec.CredentialID
			seen[rec.CredentialID]++
			if w, ours := want[rec.CredentialID]; ours {
				sealedWantCredential(t, "CredentialSealedBatch", rec, w)
			}
		}
		if len(batch) < limit {
			break
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("the walk returned credential %s %d times, want once", id, seen[id])
		}
	}
}

func testSealedCredentialBadInput(t *testing.T, f SealedCredentialFixture) {
	for _, limit := range []int{0, -1} {
		if _, err := f.Store.CredentialSealedBatch(t.Context(), "", limit); !domain.IsKind(err, domain.KindInvalidInput) {
			t.Errorf("CredentialSealedBatch(limit %d) = %v; want %s", limit, err, domain.KindInvalidInput)
		}
	}
	if _, err := f.Store.CredentialSealedBatch(t.Context(), "not-an-id", 10); !domain.IsKind(err, domain.KindInvalidInput) {
		t.Errorf("CredentialSealedBatch(after a non-id) = %v; want %s", err, domain.KindInvalidInput)
	}
}

// testSealedCredentialReseal re-seals a credential that two buckets use: its values change,
// its secret version and update time do not, its buckets stay attached, and a bucket can still
// be attached at that version.
func testSealedCredentialReseal(t *testing.T, f SealedCredentialFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	c := sealedCredential(org, domain.CredentialAWSSession, "fp")
	sealedMustInsertCredential(t, f.Store, c)
	repoMustInsert(t, f.Store, sealedBucketUsing(org, "Before", c))
	rec := sealedCredentialRead(t, f.Store, c.ID)
	next := resealedFrom(rec, "")

	if err := f.Store.ResealCredential(t.Context(), rec, next); err != nil {
		t.Fatalf("ResealCredential: %v", err)
	}

	want := c
	want.SealedKey, want.SealedSecret, want.SealedSessionToken = next.SealedKey, next.SealedSecret, next.SealedSessionToken
	sealedWantCredential(t, "ReadCredentialSealed after ResealCredential", sealedCredentialRead(t, f.Store, c.ID), want)
	got, err := f.Store.GetCredential(t.Context(), org.OrgID, c.ID)
	if err != nil || got.SecretVersion != 1 || !got.UpdatedAt.Equal(c.UpdatedAt) || got.BucketCount != 1 {
		t.Errorf("GetCredential after ResealCredential = %+v, %v; want secret version 1, the update time as it was, 1 bucket", got, err)
	}
	repoMustInsert(t, f.Store, sealedBucketUsing(org, "After", c))
	deleted := sealedCredential(org, domain.CredentialKeySecret, "")
	sealedMustInsertCredential(t, f.Store, deleted)
	if err := f.Store.DeleteCredential(t.Context(), org.OrgID, deleted.ID, time.Now()); err != nil {
		t.Fatalf("DeleteCredential: %v", err)
	}
	if err := f.Store.ResealCredential(t.Context(), sealedCredentialRead(t, f.Store, deleted.ID), resealedFrom(sealedCredentialRead(t, f.Store, deleted.ID), "")); err != nil {
		t.Errorf("ResealCredential of a deleted credential: %v; its row keeps its ciphertexts, so it is re-sealed too", err)
	}
}

// sealedBucketUsing is a bucket that uses c at its current secret version, with the copies of
// c's key hint and secret fingerprint that answer for it.
func sealedBucketUsing(org SeededOrg, name string, c domain.StoredCredential) domain.Bucket {
	b := repoBucket(org, name)
	b.CredentialID, b.CredentialVersion, b.SealedKey, b.SealedSecret = c.ID, c.SecretVersion, []byte{}, []byte{}
	b.KeyHint, b.SecretFingerprint = c.KeyHint, c.SecretFingerprint
	return b
}

// sealedRotation is a rotation of c's values through PUT /apikeys, read at c's secret version.
func sealedRotation(c domain.StoredCredential, using []string) (ports.CredentialChange, domain.StoredCredential) {
	next := c
	next.SealedKey, next.SealedSecret, next.SecretFingerprint = repoRandomBytes(40), repoRandomBytes(48), sealedNewFingerprint()
	rotated := next
	rotated.SecretVersion++
	return ports.CredentialChange{Next: next, Rotated: true, Validated: using, At: time.Now()}, rotated
}

// testSealedCredentialAfterRotation reads a credential for re-sealing, lets PUT /apikeys rotate
// its values, then re-seals from the old read: a conflict, and the rotated values stay.
func testSealedCredentialAfterRotation(t *testing.T, f SealedCredentialFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	c := sealedCredential(org, domain.CredentialKeySecret, "")
	sealedMustInsertCredential(t, f.Store, c)
	rec := sealedCredentialRead(t, f.Store, c.ID)
	change, rotated := sealedRotation(c, nil)
	if err := f.OpenAnother(t).UpdateCredential(t.Context(), change); err != nil {
		t.Fatalf("UpdateCredential: %v", err)
	}

	err := f.Store.ResealCredential(t.Context(), rec, resealedFrom(rec, "fp-of-the-old-secret"))

	repoWantKind(t, "ResealCredential after a rotation", err, domain.KindConflict)
	sealedWantCredential(t, "ReadCredentialSealed after the refused re-seal", sealedCredentialRead(t, f.Store, c.ID), rotated)
}

// testSealedCredentialConcurrentRotation races a re-seal against a rotation of the secret
// through PUT /apikeys, both from the same read, on two store instances, many times: whichever
// order they land in, the credential ends with the rotation's values at the next version, and
// the bucket that uses it follows.
func testSealedCredentialConcurrentRotation(t *testing.T, f SealedCredentialFixture) {
	const rounds = 8
	org := SeedOrganization(t, f.Store, OrgSpec{})
	other := f.OpenAnother(t)
	for i := range rounds {
		c := sealedCredential(org, domain.CredentialKeySecret, "fp")
		sealedMustInsertCredential(t, f.Store, c)
		b := sealedBucketUsing(org, fmt.Sprintf("Round %d", i), c)
		repoMustInsert(t, f.Store, b)
		rec := sealedCredentialRead(t, f.Store, c.ID)
		change, rotated := sealedRotation(c, []string{b.ID})
		var (
			wg                   sync.WaitGroup
			resealErr, rotateErr error
			start                = make(chan struct{})
		)
		wg.Go(func() { <-start; resealErr = f.Store.ResealCredential(t.Context(), rec, resealedFrom(rec, "")) })
		wg.Go(func() { <-start; rotateErr = other.UpdateCredential(t.Context(), change) })
		close(start)
		wg.Wait()
		if rotateErr != nil {
			t.Fatalf("round %d: UpdateCredential: %v; a re-seal must never make a rotation fail", i, rotateErr)
		}
		if resealErr != nil && !domain.IsKind(resealErr, domain.KindConflict) {
			t.Fatalf("round %d: ResealCredential: %v; want success or %s", i, resealErr, domain.KindConflict)
		}
		sealedWantCredential(t, fmt.Sprintf("round %d: the credential after both", i), sealedCredentialRead(t, f.Store, c.ID), rotated)
		if got := lifeGet(t, f.Store, org.OrgID, b.ID); got.CredentialVersion != rotated.SecretVersion {
			t.Errorf("round %d: the bucket is at credential version %d, want %d", i, got.CredentialVersion, rotated.SecretVersion)
		}
	}
}

// testSealedCredentialConcurrentReseals races re-seals of one read on two store instances:
// exactly one lands, as for a bucket.
func testSealedCredentialConcurrentReseals(t *testing.T, f SealedCredentialFixture) {
	const attempts = 8
	org := SeedOrganization(t, f.Store, OrgSpec{})
	c := sealedCredential(org, domain.CredentialKeySecret, "fp")
	sealedMustInsertCredential(t, f.Store, c)
	rec := sealedCredentialRead(t, f.Store, c.ID)
	stores := []ports.SealedStoredCredentials{f.Store, f.OpenAnother(t)}
	nexts := make([]ports.ResealedCredential, attempts)
	for i := range nexts {
		nexts[i] = resealedFrom(rec, "")
	}
	won := nexts[sealedRaceOneWins(t, "ResealCredential", attempts, func(i int) error {
		return stores[i%len(stores)].ResealCredential(t.Context(), rec, nexts[i])
	})]
	want := c
	want.SealedKey, want.SealedSecret = won.SealedKey, won.SealedSecret
	sealedWantCredential(t, "the credential after the concurrent re-seals", sealedCredentialRead(t, f.Store, c.ID), want)
}

// testSealedCredentialFill fills in a missing fingerprint with the values as read, then refuses
// to replace it. The two live buckets that use the credential, which answer with copies of its
// fingerprint, get the filled one too and move to their next version; a bucket of another
// credential without a fingerprint keeps none.
func testSealedCredentialFill(t *testing.T, f SealedCredentialFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	c := sealedCredential(org, domain.CredentialKeySecret, "")
	sealedMustInsertCredential(t, f.Store, c)
	other := sealedCredential(org, domain.CredentialKeySecret, "")
	sealedMustInsertCredential(t, f.Store, other)
	using := []domain.Bucket{sealedBucketUsing(org, "Fill one", c), sealedBucketUsing(org, "Fill two", c)}
	bystander := sealedBucketUsing(org, "Another credential's", other)
	for _, b := range append(using, bystander) {
		repoMustInsert(t, f.Store, b)
	}
	rec := sealedCredentialRead(t, f.Store, c.ID)
	fill := ports.ResealedCredential{SealedKey: rec.SealedKey, SealedSecret: rec.SealedSecret, SealedSessionToken: rec.SealedSessionToken,
		SecretFingerprint: "fp-filled"}

	if err := f.Store.ResealCredential(t.Context(), rec, fill); err != nil {
		t.Fatalf("ResealCredential filling a fingerprint: %v", err)
	}

	want := c
	want.SecretFingerprint = "fp-filled"
	sealedWantCredential(t, "the credential after the fill", sealedCredentialRead(t, f.Store, c.ID), want)
	sealedWantBucketFingerprints(t, "after the fill", f.Store, org, using, "fp-filled", 2)
	sealedWantBucketFingerprints(t, "of another credential after the fill", f.Store, org, []domain.Bucket{bystander}, "", 1)
	fill.SecretFingerprint = "fp-another"
	err := f.Store.ResealCredential(t.Context(), rec, fill)
	repoWantKind(t, "ResealCredential replacing a fingerprint", err, domain.KindConflict)
	sealedWantCredential(t, "the credential after the refused fill", sealedCredentialRead(t, f.Store, c.ID), want)
	sealedWantBucketFingerprints(t, "after the refused fill", f.Store, org, using, "fp-filled", 2)
}

// sealedWantBucketFingerprints wants each bucket to hold fingerprint at version.
func sealedWantBucketFingerprints(t *testing.T, when string, s ports.BucketReader, org SeededOrg, buckets []domain.Bucket, fingerprint string, version int64) {
	t.Helper()
	for _, b := range buckets {
		if got := lifeGet(t, s, org.OrgID, b.ID); got.SecretFingerprint != fingerprint || got.Version != version {
			t.Errorf("bucket %q %s has secret fingerprint %q at version %d; want %q at %d", b.Name, when, got.SecretFingerprint, got.Version, fingerprint, version)
		}
	}
}

func testSealedCredentialUnknown(t *testing.T, f SealedCredentialFixture) {
	unknown := ports.SealedCredentialRecord{OrgID: domain.NewID(), CredentialID: domain.NewID(), SecretVersion: 1}
	if _, err := f.Store.ReadCredentialSealed(t.Context(), unknown.CredentialID); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("ReadCredentialSealed(unknown) = %v; want %s", err, domain.KindNotFound)
	}
	if err := f.Store.ResealCredential(t.Context(), unknown, resealedFrom(unknown, "")); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("ResealCredential(unknown) = %v; want %s", err, domain.KindNotFound)
	}
	org := SeedOrganization(t, f.Store, OrgSpec{})
	c := sealedCredential(org, domain.CredentialKeySecret, "fp")
	sealedMustInsertCredential(t, f.Store, c)
	rec := sealedCredentialRead(t, f.Store, c.ID)
	if err := f.Store.ResealCredential(t.Context(), rec, ports.ResealedCredential{SealedSecret: repoRandomBytes(48)}); err == nil {
		t.Error("ResealCredential with an empty key succeeded; want it refused: it would erase the credential")
	}
	sealedWantCredential(t, "the credential after the refused re-seal", sealedCredentialRead(t, f.Store, c.ID), c)
}
