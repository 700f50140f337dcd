package porttest

import (
	"bytes"
	"cmp"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// SealedStore is a store that serves ports.SealedCredentials next to the bucket ports, which
// the contract uses to create, change and delete the buckets it walks and re-seals.
type SealedStore interface {
	RepositoryStore
	ports.SealedCredentials
}

// SealedFixture is a store under test. Subtests share its database and keep apart by creating
// organizations of their own, so a walk may meet other subtests' rows.
type SealedFixture struct {
	Store SealedStore
	// OpenAnother opens an independent instance on the same database, as another process (a
	// server, or a second `bucketd keys rotate`) would.
	OpenAnother func(t *testing.T) SealedStore
}

// RunSealedCredentialsContract checks that a store walks the sealed credentials and secret
// fingerprints of every bucket of every organization, deleted ones included, in id order and in
// batches, and re-seals a bucket, filling in its missing fingerprint, only at the version it was
// read at, moving it to the next version, so that neither a concurrent re-seal nor an update
// prepared from the old ciphertexts can overwrite the new ones, and a fingerprint is neither
// replaced nor made of an older secret than the stored one. open returns a ready, migrated
// store; each subtest calls it once.
func RunSealedCredentialsContract(t *testing.T, open func(t *testing.T) SealedFixture) {
	t.Helper()
	t.Run("BatchesWalkEveryBucketInIDOrder", func(t *testing.T) { testSealedWalk(t, open(t)) })
	t.Run("BatchRejectsBadInput", func(t *testing.T) { testSealedBatchBadInput(t, open(t)) })
	t.Run("ReadSealed", func(t *testing.T) { testSealedRead(t, open(t)) })
	t.Run("ResealReplacesCiphertextsOnly", func(t *testing.T) { testSealedReseal(t, open(t)) })
	t.Run("ResealOfDeletedBucket", func(t *testing.T) { testSealedResealDeleted(t, open(t)) })
	t.Run("ResealOfStaleVersionConflicts", func(t *testing.T) { testSealedResealStale(t, open(t)) })
	t.Run("UpdateFromBeforeResealConflicts", func(t *testing.T) { testSealedUpdateAfterReseal(t, open(t)) })
	t.Run("ResealOfUnknownBucket", func(t *testing.T) { testSealedResealUnknown(t, open(t)) })
	t.Run("ResealRefusesEmptyCiphertexts", func(t *testing.T) { testSealedResealEmpty(t, open(t)) })
	t.Run("ConcurrentResealsOneWins", func(t *testing.T) { testSealedConcurrentReseals(t, open(t)) })
	t.Run("ResealFillsAMissingFingerprint", func(t *testing.T) { testSealedFill(t, open(t)) })
	t.Run("FillNeverReplacesAFingerprint", func(t *testing.T) { testSealedFillKeepsFingerprint(t, open(t)) })
	t.Run("FillAfterANewSecretConflicts", func(t *testing.T) { testSealedFillAfterNewSecret(t, open(t)) })
}

// testSealedWalk walks in batches of two over buckets of two organizations, one of them
// deleted, with one bucket created halfway: every bucket turns up exactly once, complete, in
// strictly ascending id order.
func testSealedWalk(t *testing.T, f SealedFixture) {
	const limit = 2
	a := SeedOrganization(t, f.Store, OrgSpec{})
	b := SeedOrganization(t, f.Store, OrgSpec{})
	want := map[string]domain.Bucket{}
	for i, org := range []SeededOrg{a, b, a, b, a} {
		bucket := repoBucket(org, fmt.Sprintf("Walked %d", i))
		if i == 1 {
			bucket = sealedUnfingerprinted(org, "Walked without a fingerprint")
		}
		repoMustInsert(t, f.Store, bucket)
		want[bucket.ID] = bucket
	}
	deleted := repoBucket(b, "Deleted")
	repoMustInsert(t, f.Store, deleted)
	lifeMustDelete(t, f.Store, b.OrgID, deleted.ID)
	deleted.Version = 2 // the delete moved it on
	want[deleted.ID] = deleted

	seen := map[string]int{}
	var after string
	for batches := 0; ; batches++ {
		batch, err := f.Store.SealedBatch(t.Context(), after, limit)
		if err != nil {
			t.Fatalf("SealedBatch(%q, %d): %v", after, limit, err)
		}
		if len(batch) > limit {
			t.Fatalf("SealedBatch(%q, %d) returned %d records", after, limit, len(batch))
		}
		if batches == 1 {
			late := repoBucket(a, "Created during the walk")
			repoMustInsert(t, f.Store, late)
			want[late.ID] = late
		}
		for _, rec := range batch {
			if rec.BucketID <= after {
				t.Fatalf("SealedBatch(%q) returned %s, which is not after it: the walk is not in id order", after, rec.BucketID)
			}
			after = rec.BucketID
			seen[rec.BucketID]++
			if w, ours := want[rec.BucketID]; ours {
				sealedWantRecord(t, "SealedBatch", rec, w)
			}
		}
		if len(batch) < limit {
			break
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("the walk returned bucket %s %d times, want once", id, seen[id])
		}
	}
}

func testSealedBatchBadInput(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	first, second := repoBucket(org, "First"), repoBucket(org, "Second")
	repoMustInsert(t, f.Store, first)
	repoMustInsert(t, f.Store, second)
	if second.ID < first.ID { // ids made in the same millisecond are in no particular order
		first, second = second, first
	}
	for _, limit := range []int{0, -1} {
		_, err := f.Store.SealedBatch(t.Context(), "", limit)
		repoWantKind(t, fmt.Sprintf("SealedBatch with a limit of %d", limit), err, domain.KindInvalidInput)
	}
	for _, after := range []string{"not-a-uuid", "'; DROP TABLE buckets; --"} {
		_, err := f.Store.SealedBatch(t.Context(), after, 10)
		repoWantKind(t, "SealedBatch after "+after, err, domain.KindInvalidInput)
	}
	// An id in capitals continues after the same bucket as in lower case.
	batch, err := f.Store.SealedBatch(t.Context(), strings.ToUpper(first.ID), 1)
	if err != nil || len(batch) != 1 || batch[0].BucketID != second.ID {
		t.Errorf("SealedBatch after %s in capitals = %+v, %v; want the next bucket %s", first.ID, batch, err, second.ID)
	}
}

func testSealedRead(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	live, deleted := repoBucket(org, "Live"), repoBucket(org, "Deleted")
	old := sealedUnfingerprinted(org, "Without a fingerprint")
	for _, b := range []domain.Bucket{live, deleted, old} {
		repoMustInsert(t, f.Store, b)
	}
	lifeMustDelete(t, f.Store, org.OrgID, deleted.ID)
	deleted.Version = 2
	for _, b := range []domain.Bucket{live, deleted, old} {
		for _, id := range []string{b.ID, strings.ToUpper(b.ID)} {
			sealedWantRecord(t, "ReadSealed("+id+")", sealedRead(t, f.Store, id), b)
		}
	}
	for _, id := range []string{domain.NewID(), "not-a-uuid"} {
		_, err := f.Store.ReadSealed(t.Context(), id)
		repoWantKind(t, "ReadSealed("+id+")", err, domain.KindNotFound)
	}
}

// testSealedReseal re-seals a bucket: its ciphertexts are the new ones, its version the next,
// and every other field, the update time included, is as it was.
func testSealedReseal(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	b, neighbour := repoBucket(org, "Resealed"), repoBucket(org, "Neighbour")
	repoMustInsert(t, f.Store, b)
	repoMustInsert(t, f.Store, neighbour)
	key, secret := repoRandomBytes(48), repoRandomBytes(64)
	if err := f.Store.Reseal(t.Context(), sealedRead(t, f.Store, b.ID), ports.Resealed{SealedKey: key, SealedSecret: secret}); err != nil {
		t.Fatalf("Reseal: %v", err)
	}
	want := b
	want.SealedKey, want.SealedSecret, want.Version = key, secret, 2
	lifeWantBucket(t, "Get after Reseal", lifeGet(t, f.Store, org.OrgID, b.ID), want)
	sealedWantRecord(t, "ReadSealed after Reseal", sealedRead(t, f.Store, b.ID), want)
	lifeWantBucket(t, "Get of the bucket next to the resealed one", lifeGet(t, f.Store, org.OrgID, neighbour.ID), neighbour)
}

func testSealedResealDeleted(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	b := repoBucket(org, "Deleted")
	repoMustInsert(t, f.Store, b)
	lifeMustDelete(t, f.Store, org.OrgID, b.ID)
	key, secret := repoRandomBytes(48), repoRandomBytes(64)
	if err := f.Store.Reseal(t.Context(), sealedRead(t, f.Store, b.ID), ports.Resealed{SealedKey: key, SealedSecret: secret}); err != nil {
		t.Fatalf("Reseal of a deleted bucket: %v", err)
	}
	want := b
	want.SealedKey, want.SealedSecret, want.Version = key, secret, 3
	sealedWantRecord(t, "ReadSealed after Reseal", sealedRead(t, f.Store, b.ID), want)
	_, err := f.Store.Get(t.Context(), org.OrgID, b.ID)
	repoWantKind(t, "Get of the resealed deleted bucket", err, domain.KindNotFound)
}

// testSealedResealStale re-seals from a read that a recorded status and another re-seal have
// since overtaken: both are KindConflict and leave the newer ciphertexts alone.
func testSealedResealStale(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	b := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, b)

	read := sealedRead(t, f.Store, b.ID)
	if err := f.Store.RecordStatus(t.Context(), org.OrgID, b.ID, b.Version, domain.NewStatusRecord(domain.StatusOffline, "", b.CreatedAt)); err != nil {
		t.Fatalf("RecordStatus: %v", err)
	}
	err := f.Store.Reseal(t.Context(), read, ports.Resealed{SealedKey: repoRandomBytes(48), SealedSecret: repoRandomBytes(64)})
	sealedWantConflict(t, "Reseal from a read made before RecordStatus", err, b.ID)

	fresh := sealedRead(t, f.Store, b.ID)
	key, secret := repoRandomBytes(48), repoRandomBytes(64)
	if err := f.Store.Reseal(t.Context(), fresh, ports.Resealed{SealedKey: key, SealedSecret: secret}); err != nil {
		t.Fatalf("Reseal from a fresh read: %v", err)
	}
	err = f.Store.Reseal(t.Context(), fresh, ports.Resealed{SealedKey: repoRandomBytes(48), SealedSecret: repoRandomBytes(64)})
	sealedWantConflict(t, "a second Reseal from the same read", err, b.ID)
	want := b
	want.SealedKey, want.SealedSecret, want.Version = key, secret, 3
	sealedWantRecord(t, "ReadSealed after the stale Reseals", sealedRead(t, f.Store, b.ID), want)
}

// testSealedUpdateAfterReseal re-seals, or fills in a missing fingerprint, between an update's
// read and its write: the update carries the old ciphertexts and no fingerprint, and must put
// back neither.
func testSealedUpdateAfterReseal(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	b := sealedUnfingerprinted(org, "Photos")
	repoMustInsert(t, f.Store, b)
	cases := []struct {
		what string
		next ports.Resealed
	}{
		{"Reseal", ports.Resealed{SealedKey: repoRandomBytes(48), SealedSecret: repoRandomBytes(64)}},
		{"a fill of the fingerprint", ports.Resealed{SealedKey: b.SealedKey, SealedSecret: b.SealedSecret, SecretFingerprint: sealedNewFingerprint()}},
	}
	want := b
	for _, c := range cases {
		read := lifeGet(t, f.Store, org.OrgID, b.ID)
		if err := f.Store.Reseal(t.Context(), sealedRead(t, f.Store, b.ID), c.next); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		renamed := read
		renamed.Name = "Pictures"
		err := f.Store.Update(t.Context(), renamed)
		lifeWantConflict(t, "Update from a read made before "+c.what, err, b.ID)
		want.SealedKey, want.SealedSecret, want.Version = c.next.SealedKey, c.next.SealedSecret, want.Version+1
		want.SecretFingerprint = cmp.Or(c.next.SecretFingerprint, want.SecretFingerprint)
		lifeWantBucket(t, "Get after the Update overtaken by "+c.what, lifeGet(t, f.Store, org.OrgID, b.ID), want)
	}
}

func testSealedResealUnknown(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	other := SeedOrganization(t, f.Store, OrgSpec{})
	b := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, b)
	read := sealedRead(t, f.Store, b.ID)
	cases := []struct {
		what string
		rec  ports.SealedRecord
	}{
		{"an unknown bucket", ports.SealedRecord{OrgID: org.OrgID, BucketID: domain.NewID(), Version: 1}},
		{"a malformed bucket id", ports.SealedRecord{OrgID: org.OrgID, BucketID: "not-a-uuid", Version: 1}},
		{"the bucket under another organization", ports.SealedRecord{OrgID: other.OrgID, BucketID: b.ID, Version: read.Version}},
	}
	for _, c := range cases {
		err := f.Store.Reseal(t.Context(), c.rec, ports.Resealed{SealedKey: repoRandomBytes(48), SealedSecret: repoRandomBytes(64)})
		repoWantKind(t, "Reseal of "+c.what, err, domain.KindNotFound)
	}
	sealedWantRecord(t, "ReadSealed after the refused Reseals", sealedRead(t, f.Store, b.ID), b)
}

func testSealedResealEmpty(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	b := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, b)
	read := sealedRead(t, f.Store, b.ID)
	for name, pair := range map[string][2][]byte{
		"empty key":    {nil, repoRandomBytes(64)},
		"empty secret": {repoRandomBytes(48), {}},
	} {
		if err := f.Store.Reseal(t.Context(), read, ports.Resealed{SealedKey: pair[0], SealedSecret: pair[1]}); err == nil {
			t.Errorf("Reseal with an %s succeeded; want an error", name)
		}
	}
	sealedWantRecord(t, "ReadSealed after the refused Reseals", sealedRead(t, f.Store, b.ID), b)
}

// testSealedConcurrentReseals re-seals one read of a bucket without a fingerprint ten times at
// once over two store instances, as two rotations in two processes would, half of them filling
// in a fingerprint: exactly one lands, whole, and the others are KindConflict.
func testSealedConcurrentReseals(t *testing.T, f SealedFixture) {
	const attempts = 10
	org := SeedOrganization(t, f.Store, OrgSpec{})
	b := sealedUnfingerprinted(org, "Photos")
	repoMustInsert(t, f.Store, b)
	read := sealedRead(t, f.Store, b.ID)
	stores := []ports.SealedCredentials{f.Store, f.OpenAnother(t)}
	nexts := make([]ports.Resealed, attempts)
	for i := range nexts {
		key := repoRandomBytes(48)
		nexts[i] = ports.Resealed{SealedKey: key, SealedSecret: key}
		if i%2 == 0 {
			nexts[i].SecretFingerprint = sealedNewFingerprint()
		}
	}
	won := nexts[sealedRaceOneWins(t, "Reseal", attempts, func(i int) error {
		return stores[i%len(stores)].Reseal(t.Context(), read, nexts[i])
	})]
	want := b
	want.SealedKey, want.SealedSecret, want.SecretFingerprint, want.Version = won.SealedKey, won.SealedSecret, won.SecretFingerprint, 2
	lifeWantBucket(t, "Get after the concurrent Reseals", lifeGet(t, f.Store, org.OrgID, b.ID), want)
}

// testSealedFill fills in the fingerprint of a bucket stored without one, once with the
// ciphertexts as read and once together with re-sealed ones: each time the fingerprint and the
// ciphertexts are the new ones and the version the next, and every other field, the secret
// version, the credentials time and the update time included, is as it was.
func testSealedFill(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	for _, reseal := range []bool{false, true} {
		b, neighbour := sealedUnfingerprinted(org, fmt.Sprintf("Filled, re-sealed %t", reseal)), sealedUnfingerprinted(org, fmt.Sprintf("Neighbour %t", reseal))
		repoMustInsert(t, f.Store, b)
		repoMustInsert(t, f.Store, neighbour)
		next := ports.Resealed{SealedKey: b.SealedKey, SealedSecret: b.SealedSecret, SecretFingerprint: sealedNewFingerprint()}
		if reseal {
			next.SealedKey, next.SealedSecret = repoRandomBytes(48), repoRandomBytes(64)
		}
		if err := f.Store.Reseal(t.Context(), sealedRead(t, f.Store, b.ID), next); err != nil {
			t.Fatalf("Reseal filling in a fingerprint (re-sealed %t): %v", reseal, err)
		}
		want := b
		want.SealedKey, want.SealedSecret, want.SecretFingerprint, want.Version = next.SealedKey, next.SealedSecret, next.SecretFingerprint, 2
		lifeWantBucket(t, "Get after the fill", lifeGet(t, f.Store, org.OrgID, b.ID), want)
		sealedWantRecord(t, "ReadSealed after the fill", sealedRead(t, f.Store, b.ID), want)
		lifeWantBucket(t, "Get of the bucket next to the filled one", lifeGet(t, f.Store, org.OrgID, neighbour.ID), neighbour)
	}
}

// testSealedFillKeepsFingerprint brings a fingerprint for a bucket that has one, at its current
// version: the store refuses with KindConflict, so that a fingerprint is only ever filled in, and
// changes nothing. A re-seal without a fingerprint keeps the stored one.
func testSealedFillKeepsFingerprint(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	b := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, b)
	read := sealedRead(t, f.Store, b.ID)
	err := f.Store.Reseal(t.Context(), read, ports.Resealed{SealedKey: b.SealedKey, SealedSecret: b.SealedSecret, SecretFingerprint: sealedNewFingerprint()})
	sealedWantConflict(t, "Reseal bringing a fingerprint for a bucket that has one", err, b.ID)
	if err != nil && !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("the conflict %q does not say the bucket may have a fingerprint already", err)
	}
	lifeWantBucket(t, "Get after the refused fill", lifeGet(t, f.Store, org.OrgID, b.ID), b)

	key, secret := repoRandomBytes(48), repoRandomBytes(64)
	if err := f.Store.Reseal(t.Context(), read, ports.Resealed{SealedKey: key, SealedSecret: secret}); err != nil {
		t.Fatalf("Reseal without a fingerprint: %v", err)
	}
	want := b
	want.SealedKey, want.SealedSecret, want.Version = key, secret, 2
	lifeWantBucket(t, "Get after a Reseal of a bucket with a fingerprint", lifeGet(t, f.Store, org.OrgID, b.ID), want)
}

// testSealedFillAfterNewSecret replaces the secret of a bucket without a fingerprint between a
// rotation's read and its fill, as a concurrent PUT would, by a server with a fingerprint key
// and by one without: the fill, whose fingerprint is of the old secret, is KindConflict and
// leaves the update's secret, fingerprint, secret version and credentials time as they are.
func testSealedFillAfterNewSecret(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	for _, newFingerprint := range []string{sealedNewFingerprint(), ""} {
		b := sealedUnfingerprinted(org, fmt.Sprintf("New secret fingerprinted as %q", newFingerprint))
		repoMustInsert(t, f.Store, b)
		read := sealedRead(t, f.Store, b.ID)

		updated := lifeGet(t, f.Store, org.OrgID, b.ID)
		at := time.Now().UTC().Truncate(time.Microsecond)
		updated.SealedSecret, updated.SecretFingerprint, updated.SecretVersion = repoRandomBytes(64), newFingerprint, 2
		updated.CredentialsUpdatedAt, updated.UpdatedAt = &at, at
		if err := f.Store.Update(t.Context(), updated); err != nil {
			t.Fatalf("Update with a new secret: %v", err)
		}
		err := f.Store.Reseal(t.Context(), read, ports.Resealed{SealedKey: read.SealedKey, SealedSecret: read.SealedSecret, SecretFingerprint: sealedNewFingerprint()})
		sealedWantConflict(t, "a fill from a read made before the secret was replaced", err, b.ID)
		updated.Version = 2
		lifeWantBucket(t, "Get after the overtaken fill", lifeGet(t, f.Store, org.OrgID, b.ID), updated)
	}
}

func sealedRead(t *testing.T, s ports.SealedCredentials, bucketID string) ports.SealedRecord {
	t.Helper()
	rec, err := s.ReadSealed(t.Context(), bucketID)
	if err != nil {
		t.Fatalf("ReadSealed(%s): %v", bucketID, err)
	}
	return rec
}

// sealedWantRecord compares a record with the bucket it should describe.
func sealedWantRecord(t *testing.T, what string, got ports.SealedRecord, want domain.Bucket) {
	t.Helper()
	if got.OrgID != want.OrgID || got.BucketID != want.ID || got.Version != want.Version || got.SecretFingerprint != want.SecretFingerprint ||
		!bytes.Equal(got.SealedKey, want.SealedKey) || !bytes.Equal(got.SealedSecret, want.SealedSecret) {
		t.Errorf("%s = {org %s, bucket %s, version %d, fingerprint %q, %d+%d sealed bytes}; "+
			"want {org %s, bucket %s, version %d, fingerprint %q} and the bucket's exact sealed bytes",
			what, got.OrgID, got.BucketID, got.Version, got.SecretFingerprint, len(got.SealedKey), len(got.SealedSecret),
			want.OrgID, want.ID, want.Version, want.SecretFingerprint)
	}
}

// sealedUnfingerprinted is a bucket as migration 0005 left those stored before it: no secret
// fingerprint, no credentials time, secret version 1.
func sealedUnfingerprinted(org SeededOrg, name string) domain.Bucket {
	b := repoBucket(org, name)
	b.SecretFingerprint, b.CredentialsUpdatedAt = "", nil
	return b
}

// sealedNewFingerprint is a fingerprint no other bucket has.
func sealedNewFingerprint() string { return "fp-" + domain.NewID()[:19] }

// sealedWantConflict checks the KindConflict of a re-seal: it names the bucket and says to read
// it again.
func sealedWantConflict(t *testing.T, what string, err error, bucketID string) {
	t.Helper()
	repoWantKind(t, what, err, domain.KindConflict)
	if err != nil && (!strings.Contains(err.Error(), bucketID) || !strings.Contains(err.Error(), "read them again")) {
		t.Errorf("%s: message %q does not name bucket %s and say to read it again", what, err, bucketID)
	}
}

// sealedRaceOneWins runs write(0) to write(attempts-1) at once, as rotations in several
// processes would, and returns the index of the one that landed: exactly one must, and every
// other must be KindConflict.
func sealedRaceOneWins(t *testing.T, what string, attempts int, write func(i int) error) int {
	t.Helper()
	var (
		mu        sync.Mutex
		won       []int
		conflicts int
		wg        sync.WaitGroup
		start     = make(chan struct{})
	)
	for i := range attempts {
		wg.Go(func() {
			<-start
			err := write(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, i)
			case domain.IsKind(err, domain.KindConflict):
				conflicts++
			default:
				t.Errorf("concurrent %s %d: %v (kind %s); want success or %s", what, i, err, domain.KindOf(err), domain.KindConflict)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(won) != 1 || conflicts != attempts-1 {
		t.Fatalf("%d concurrent %ss of one read: %d landed and %d conflicted; want 1 and %d", attempts, what, len(won), conflicts, attempts-1)
	}
	return won[0]
}
