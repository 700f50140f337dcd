package gormstore_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

func TestDueForCheck(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		a := storetest.Seed(t, store, porttest.OrgSpec{})
		b := storetest.Seed(t, store, porttest.OrgSpec{})
		now := time.Now().UTC().Truncate(time.Microsecond)
		insert := func(org porttest.SeededOrg, name string, checked *time.Time) domain.Bucket {
			bk := domain.Bucket{ID: domain.NewID(), OrgID: org.OrgID, WorkspaceID: org.WorkspaceID, Name: name,
				Bucket: "due-bucket", StorageType: domain.StorageS3, Region: "us-east-1", Status: domain.StatusOnline,
				LastStatusAt: checked, CreatedAt: now, UpdatedAt: now, SealedKey: []byte("k"), SealedSecret: []byte("s")}
			if err := porttest.Insert(t.Context(), store, bk); err != nil {
				t.Fatalf("insert %s: %v", name, err)
			}
			return bk
		}
		old, older := now.Add(-3*time.Hour), now.Add(-5*time.Hour)
		never := insert(a, "never checked", nil)
		oldest := insert(b, "checked 5 h ago", &older)
		stale := insert(a, "checked 3 h ago", &old)
		insert(a, "checked now", &now)
		gone := insert(b, "deleted", &older)
		if err := store.Delete(t.Context(), b.OrgID, gone.ID, now); err != nil {
			t.Fatal(err)
		}

		due, err := store.DueForCheck(t.Context(), now.Add(-time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range due {
			ids = append(ids, d.ID)
		}
		want := []string{never.ID, oldest.ID, stale.ID}
		if len(ids) != len(want) || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
			t.Errorf("DueForCheck = %v, want never checked, then oldest first, across organizations: %v", ids, want)
		}
		if due[1].Version != 1 || string(due[1].SealedSecret) != "s" {
			t.Errorf("DueForCheck must return whole buckets, got %+v", due[1])
		}
		if limited, _ := store.DueForCheck(t.Context(), now.Add(-time.Hour), 1); len(limited) != 1 || limited[0].ID != never.ID {
			t.Errorf("DueForCheck with limit 1 = %v", limited)
		}
	})
}

func TestJobLease(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		now := time.Now()
		take := func(holder string, at time.Time) bool {
			t.Helper()
			ok, err := store.TryAcquire(t.Context(), "job", holder, at, time.Minute)
			if err != nil {
				t.Fatalf("TryAcquire(%s): %v", holder, err)
			}
			return ok
		}
		if !take("a", now) {
			t.Fatal("a free lease must be taken")
		}
		if take("b", now.Add(30*time.Second)) {
			t.Error("b took a lease a holds")
		}
		if !take("a", now.Add(30*time.Second)) {
			t.Error("the holder must be able to extend its lease")
		}
		if take("b", now.Add(80*time.Second)) {
			t.Error("b took the lease before a's extension ran out")
		}
		if !take("b", now.Add(2*time.Minute)) {
			t.Error("an expired lease must be taken over")
		}
		if take("a", now.Add(2*time.Minute)) {
			t.Error("a took back a lease b holds now")
		}
		if other, _ := store.TryAcquire(t.Context(), "another job", "a", now, time.Minute); !other {
			t.Error("leases of different jobs are independent")
		}

		// Of many processes racing for an expired lease, exactly one wins, also across instances.
		second := storetest.Open(t, url)
		var winners atomic.Int32
		var wg sync.WaitGroup
		race := now.Add(time.Hour)
		for i := range 20 {
			s := store
			if i%2 == 1 {
				s = second
			}
			wg.Go(func() {
				ok, err := s.TryAcquire(t.Context(), "job", "racer-"+string(rune('A'+i)), race, time.Minute)
				if err != nil {
					t.Errorf("racer %d: %v", i, err)
				}
				if ok {
					winners.Add(1)
				}
			})
		}
		wg.Wait()
		if n := winners.Load(); n != 1 {
			t.Errorf("%d racers took the lease, want exactly 1", n)
		}
	})
}
