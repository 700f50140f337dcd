package gormstore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

func TestAuditLogListsAnOrganizationsEventsInTimeOrder(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		audit := storetest.Open(t, url).Audit()
		base := time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)
		event := func(org string, at time.Time, action domain.AuditAction, outcome string) domain.AuditEvent {
			return domain.AuditEvent{ID: domain.NewID(), At: at, OrgID: org, UserID: "user-1", Action: action,
				BucketID: "bucket-1", Outcome: outcome, RequestID: "req-" + string(action), ClientAddr: "198.51.100.7", Count: 1}
		}
		old := event("org-a", base.Add(-time.Hour), domain.AuditCreate, domain.AuditOK)
		created := event("org-a", base, domain.AuditCreate, domain.AuditOK)
		deleted := event("org-a", base.Add(time.Second), domain.AuditDelete, "not found")
		updated := event("org-a", base.Add(time.Microsecond), domain.AuditUpdate, domain.AuditOK)
		other := event("org-b", base, domain.AuditCreate, domain.AuditOK)
		system := event("", base, domain.AuditTokenRejected, "unauthenticated")
		system.UserID, system.BucketID, system.ClientAddr, system.Count = "", "", "2001:db8::7", 3000
		for _, e := range []domain.AuditEvent{deleted, old, created, updated, other, system} {
			if err := audit.Record(t.Context(), e); err != nil {
				t.Fatalf("Record %s: %v", e.Action, err)
			}
		}

		for _, tc := range []struct {
			name  string
			org   string
			limit int
			want  []domain.AuditEvent
		}{
			{"organization since base", "org-a", 10, []domain.AuditEvent{created, updated, deleted}},
			{"limit keeps the oldest", "org-a", 1, []domain.AuditEvent{created}},
			{"no organization", "", 10, []domain.AuditEvent{system}},
			{"unknown organization", "org-c", 10, nil},
		} {
			got, err := audit.List(t.Context(), tc.org, base, tc.limit)
			if err != nil {
				t.Fatalf("%s: List: %v", tc.name, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%s: List = %+v, want %+v", tc.name, got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("%s: event %d = %+v, want %+v", tc.name, i, got[i], tc.want[i])
				}
			}
		}
	})
}

func TestAuditLogRefusesADuplicateID(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		audit := storetest.Open(t, url).Audit()
		e := domain.AuditEvent{ID: domain.NewID(), At: time.Now().UTC(), OrgID: "org-a", Action: domain.AuditCreate, Outcome: domain.AuditOK, Count: 1}
		if err := audit.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		if err := audit.Record(t.Context(), e); err == nil {
			t.Fatal("Record of an id already stored succeeded; want an error")
		}
	})
}

// Concurrent events share INSERTs; each Record must still learn its own outcome: every valid
// event is stored, and an event whose id is taken fails alone without taking its batch along.
func TestAuditLogConcurrentEventsEachGetTheirOwnOutcome(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		audit := storetest.Open(t, url).Audit()
		at := time.Now().UTC()
		taken := domain.AuditEvent{ID: domain.NewID(), At: at, OrgID: "org-batch", Action: domain.AuditCreate, Outcome: domain.AuditOK, Count: 1}
		if err := audit.Record(t.Context(), taken); err != nil {
			t.Fatal(err)
		}
		const n = 200
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			e := domain.AuditEvent{ID: domain.NewID(), At: at, OrgID: "org-batch", Action: domain.AuditUpdate, Outcome: domain.AuditOK, Count: 1}
			if i%50 == 7 {
				e = taken // a duplicate id now and then
			}
			wg.Go(func() { errs[i] = audit.Record(t.Context(), e) })
		}
		wg.Wait()
		failed := 0
		for i, err := range errs {
			switch {
			case i%50 == 7 && err == nil:
				t.Errorf("event %d reused a stored id and was recorded; want an error", i)
			case i%50 != 7 && err != nil:
				t.Errorf("event %d: Record: %v", i, err)
			case err != nil:
				failed++
			}
		}
		got, err := audit.List(t.Context(), "org-batch", at, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + n - failed; len(got) != want {
			t.Errorf("List has %d events, want %d", len(got), want)
		}
	})
}

func TestAuditLogRecordAfterCloseFails(t *testing.T) {
	store := storetest.Open(t, storetest.SQLiteURL(t))
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	e := domain.AuditEvent{ID: domain.NewID(), At: time.Now().UTC(), Action: domain.AuditCreate, Outcome: domain.AuditOK, Count: 1}
	if err := store.Audit().Record(t.Context(), e); err == nil {
		t.Fatal("Record after Close succeeded; want an error")
	}
}

// TestInsertStoresItsCreationEventOnlyWithTheBucket inserts a bucket with its creation event,
// then one the quota refuses with another: the trail holds the first event as given and not
// the second.
func TestInsertStoresItsCreationEventOnlyWithTheBucket(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{BucketLimit: intPtr(1)})
		event := func(b domain.Bucket) domain.AuditEvent {
			return domain.AuditEvent{ID: domain.NewID(), At: time.Now().UTC().Truncate(time.Microsecond), OrgID: org.OrgID,
				UserID: org.AdminID, Action: domain.AuditCreate, BucketID: b.ID, Outcome: domain.AuditOK, RequestID: "req-" + b.Name,
				ClientAddr: "198.51.100.7", Count: 1}
		}
		stored, refused := newBucket(org, "stored"), newBucket(org, "refused")
		want := event(stored)
		if err := store.InsertWithinQuota(t.Context(), stored, want); err != nil {
			t.Fatal(err)
		}
		if err := store.InsertWithinQuota(t.Context(), refused, event(refused)); domain.KindOf(err) != domain.KindQuotaExceeded {
			t.Fatalf("insert over the limit = %v; want QUOTA_EXCEEDED", err)
		}
		got, err := store.Audit().List(t.Context(), org.OrgID, time.Time{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("audit trail = %+v, want exactly %+v", got, want)
		}
	})
}

// An event stands for at least one occurrence: a count of 0 is a bug, which the schema refuses.
func TestAuditLogRefusesACountBelowOne(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		audit := storetest.Open(t, url).Audit()
		e := domain.AuditEvent{ID: domain.NewID(), At: time.Now().UTC(), Action: domain.AuditTokenRejected, Outcome: "unauthenticated"}
		if err := audit.Record(t.Context(), e); err == nil {
			t.Fatal("Record of an event with count 0 succeeded; want an error")
		}
	})
}

// TestAuditLogPurgeDeletesOnlyOldEvents purges more events than one batch deletes, of an
// organization and of none, and keeps every event at or after the cutoff.
func TestAuditLogPurgeDeletesOnlyOldEvents(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		audit := storetest.Open(t, url).Audit()
		cutoff := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		const old = 2*gormstore.AuditPurgeBatch + 17
		var wg sync.WaitGroup
		errs := make([]error, old)
		for i := range old {
			org := "org-old"
			if i%2 == 0 {
				org = "" // refused tokens and key rotations age out too
			}
			e := domain.AuditEvent{ID: domain.NewID(), At: cutoff.Add(-time.Duration(i+1) * time.Second), OrgID: org,
				Action: domain.AuditTokenRejected, Outcome: "unauthenticated", Count: 1}
			wg.Go(func() { errs[i] = audit.Record(t.Context(), e) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		kept := []domain.AuditEvent{
			{ID: domain.NewID(), At: cutoff, OrgID: "org-old", Action: domain.AuditCreate, Outcome: domain.AuditOK, Count: 1},
			{ID: domain.NewID(), At: cutoff.Add(time.Hour), Action: domain.AuditTokenRejected, Outcome: "unauthenticated", Count: 5},
		}
		for _, e := range kept {
			if err := audit.Record(t.Context(), e); err != nil {
				t.Fatal(err)
			}
		}

		if n, err := audit.Purge(t.Context(), cutoff); err != nil || n != old {
			t.Fatalf("Purge = %d, %v; want %d, nil", n, err, old)
		}
		for _, org := range []string{"org-old", ""} {
			got, err := audit.List(t.Context(), org, time.Time{}, 10000)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || (got[0] != kept[0] && got[0] != kept[1]) {
				t.Errorf("events of organization %q after the purge = %+v, want only the one at or after the cutoff", org, got)
			}
		}
		if n, err := audit.Purge(t.Context(), cutoff); err != nil || n != 0 {
			t.Errorf("a second Purge = %d, %v; want 0, nil", n, err)
		}
	})
}
