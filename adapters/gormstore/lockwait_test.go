package gormstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// TestInsertThatWaitedForTheLockSeesWhatItsHolderCommitted holds an organization's row lock in
// another transaction that makes the insert's name or quota unavailable, starts an insert, which
// must wait for the lock, and commits: the insert must then refuse. On PostgreSQL the insert's
// first attempt is one statement whose snapshot predates the wait: the count it reads through
// the lock is the committed one, and the unique index catches the name its snapshot misses.
func TestInsertThatWaitedForTheLockSeesWhatItsHolderCommitted(t *testing.T) {
	for _, tc := range []struct {
		what string
		// holderSQL runs in the lock holder's transaction on the live bucket, or on the
		// deleted one if onDeleted.
		holderSQL string
		onDeleted bool
		want      domain.Kind
		message   string
	}{
		{"the holder renamed a bucket to the name", "UPDATE buckets SET name = 'contested', name_key = 'contested' WHERE id = $1", false,
			domain.KindNameTaken, `name "contested" is already used`},
		{"the holder restored a bucket, filling the quota", "UPDATE buckets SET deleted_at = NULL WHERE id = $1", true,
			domain.KindQuotaExceeded, "2 of 2 buckets used"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			url := storetest.PostgresURL(t)
			store := storetest.Open(t, url)
			org := storetest.Seed(t, store, porttest.OrgSpec{BucketLimit: intPtr(2)})
			live, deleted := newBucket(org, "live"), newBucket(org, "deleted")
			for _, b := range []domain.Bucket{live, deleted} {
				if err := porttest.Insert(t.Context(), store, b); err != nil {
					t.Fatal(err)
				}
			}
			if err := store.Delete(t.Context(), org.OrgID, deleted.ID, time.Now()); err != nil {
				t.Fatal(err)
			}

			holder := lockOrganization(t, url, org.OrgID)
			target := live.ID
			if tc.onDeleted {
				target = deleted.ID
			}
			if _, err := holder.Exec(tc.holderSQL, target); err != nil {
				t.Fatal(err)
			}

			inserted, contested := make(chan error, 1), newBucket(org, "contested")
			go func() { inserted <- porttest.Insert(t.Context(), store, contested) }()
			waitForLockWait(t, store)
			if err := holder.Commit(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-inserted:
				if domain.KindOf(err) != tc.want || !strings.Contains(err.Error(), tc.message) {
					t.Errorf("InsertWithinQuota = %v (kind %s); want %s saying %q", err, domain.KindOf(err), tc.want, tc.message)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("InsertWithinQuota did not return after the lock was released")
			}
			if n, err := gormstore.QueryInt(t.Context(), store, "SELECT live_buckets FROM organizations WHERE id = ?", org.OrgID); err != nil || n > 2 {
				t.Errorf("live buckets = %d, %v; want at most the limit of 2", n, err)
			}
			if n, err := gormstore.QueryInt(t.Context(), store, "SELECT count(*) FROM audit_events WHERE bucket_id = ?", contested.ID); err != nil || n != 0 {
				t.Errorf("%d audit events of the refused bucket (%v), want none", n, err)
			}
		})
	}
}

// waitForLockWait waits until a session of the store's database waits for a lock.
func waitForLockWait(t *testing.T, store *gormstore.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := gormstore.QueryInt(t.Context(), store,
			"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
		switch {
		case err != nil:
			t.Fatal(err)
		case n > 0:
			return
		case time.Now().After(deadline):
			t.Fatal("the insert never waited for the organization's lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
