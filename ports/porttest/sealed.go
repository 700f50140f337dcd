package porttest

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

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

// RunSealedCredentialsContract checks that a store walks the sealed credentials of every bucket
// of every organization, deleted ones included, in id order and in batches, and re-seals a
// bucket only at the version it was read at, moving it to the next version, so that neither a
// concurrent re-seal nor an update prepared from the old ciphertexts can overwrite the new ones.
// open returns a ready, migrated store; each subtest calls it once.
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
	repoMustInsert(t, f.Store, live)
	repoMustInsert(t, f.Store, deleted)
	lifeMustDelete(t, f.Store, org.OrgID, deleted.ID)
	deleted.Version = 2
	for _, b := range []domain.Bucket{live, deleted} {
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
	if err := f.Store.Reseal(t.Context(), sealedRead(t, f.Store, b.ID), key, secret); err != nil {
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
	if err := f.Store.Reseal(t.Context(), sealedRead(t, f.Store, b.ID), key, secret); err != nil {
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
	if err := f.Store.RecordStatus(t.Context(), org.OrgID, b.ID, b.Version, domain.StatusOffline, b.CreatedAt); err != nil {
		t.Fatalf("RecordStatus: %v", err)
	}
	err := f.Store.Reseal(t.Context(), read, repoRandomBytes(48), repoRandomBytes(64))
	sealedWantConflict(t, "Reseal from a read made before RecordStatus", err, b.ID)

	fresh := sealedRead(t, f.Store, b.ID)
	key, secret := repoRandomBytes(48), repoRandomBytes(64)
	if err := f.Store.Reseal(t.Context(), fresh, key, secret); err != nil {
		t.Fatalf("Reseal from a fresh read: %v", err)
	}
	err = f.Store.Reseal(t.Context(), fresh, repoRandomBytes(48), repoRandomBytes(64))
	sealedWantConflict(t, "a second Reseal from the same read", err, b.ID)
	want := b
	want.SealedKey, want.SealedSecret, want.Version = key, secret, 3
	sealedWantRecord(t, "ReadSealed after the stale Reseals", sealedRead(t, f.Store, b.ID), want)
}

// testSealedUpdateAfterReseal re-seals between an update's read and its write: the update
// carries the old ciphertexts, and must not put them back.
func testSealedUpdateAfterReseal(t *testing.T, f SealedFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	b := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, b)
	read := lifeGet(t, f.Store, org.OrgID, b.ID)

	key, secret := repoRandomBytes(48), repoRandomBytes(64)
	if err := f.Store.Reseal(t.Context(), sealedRead(t, f.Store, b.ID), key, secret); err != nil {
		t.Fatalf("Reseal: %v", err)
	}
	renamed := read
	renamed.Name = "Pictures"
	err := f.Store.Update(t.Context(), renamed)
	lifeWantConflict(t, "Update from a read made before Reseal", err, b.ID)
	want := b
	want.SealedKey, want.SealedSecret, want.Version = key, secret, 2
	lifeWantBucket(t, "Get after the overtaken Update", lifeGet(t, f.Store, org.OrgID, b.ID), want)
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
		err := f.Store.Reseal(t.Context(), c.rec, repoRandomBytes(48), repoRandomBytes(64))
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
		if err := f.Store.Reseal(t.Context(), read, pair[0], pair[1]); err == nil {
			t.Errorf("Reseal with an %s succeeded; want an error", name)
		}
	}
	sealedWantRecord(t, "ReadSealed after the refused Reseals", sealedRead(t, f.Store, b.ID), b)
}

// testSealedConcurrentReseals re-seals one read ten times at once over two store instances, as
// two rotations in two processes would: exactly one lands, the others are KindConflict.
func testSealedConcurrentReseals(t *testing.T, f SealedFixture) {
	const attempts = 10
	org := SeedOrganization(t, f.Store, OrgSpec{})
	b := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, b)
	read := sealedRead(t, f.Store, b.ID)
	stores := []ports.SealedCredentials{f.Store, f.OpenAnother(t)}

	var (
		mu        sync.Mutex
		won       [][]byte
		conflicts int
		wg        sync.WaitGroup
		start     = make(chan struct{})
	)
	for i := range attempts {
		wg.Go(func() {
			key := repoRandomBytes(48)
			<-start
			err := stores[i%len(stores)].Reseal(t.Context(), read, key, key)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, key)
			case domain.IsKind(err, domain.KindConflict):
				conflicts++
			default:
				t.Errorf("concurrent Reseal %d: %v (kind %s); want success or %s", i, err, domain.KindOf(err), domain.KindConflict)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(won) != 1 || conflicts != attempts-1 {
		t.Fatalf("%d concurrent Reseals of one read: %d landed and %d conflicted; want 1 and %d", attempts, len(won), conflicts, attempts-1)
	}
	want := b
	want.SealedKey, want.SealedSecret, want.Version = won[0], won[0], 2
	sealedWantRecord(t, "ReadSealed after the concurrent Reseals", sealedRead(t, f.Store, b.ID), want)
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
	if got.OrgID != want.OrgID || got.BucketID != want.ID || got.Version != want.Version ||
		!bytes.Equal(got.SealedKey, want.SealedKey) || !bytes.Equal(got.SealedSecret, want.SealedSecret) {
		t.Errorf("%s = {org %s, bucket %s, version %d, %d+%d sealed bytes}; want {org %s, bucket %s, version %d} and the bucket's exact sealed bytes",
			what, got.OrgID, got.BucketID, got.Version, len(got.SealedKey), len(got.SealedSecret), want.OrgID, want.ID, want.Version)
	}
}

// sealedWantConflict checks the KindConflict of a re-seal: it names the bucket and says to read
// it again.
func sealedWantConflict(t *testing.T, what string, err error, bucketID string) {
	t.Helper()
	repoWantKind(t, what, err, domain.KindConflict)
	if err != nil && (!strings.Contains(err.Error(), bucketID) || !strings.Contains(err.Error(), "read them again")) {
		t.Errorf("%s: message %q does not name bucket %s and say to read it again", what, err, bucketID)
	}
}
