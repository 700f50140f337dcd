package gormstore_test

import (
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore/storetest"
	"github.com/bucketd/bucketd/domain"
)

func TestAuditLogListsAnOrganizationsEventsInTimeOrder(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		audit := storetest.Open(t, url).Audit()
		base := time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)
		event := func(org string, at time.Time, action domain.AuditAction, outcome string) domain.AuditEvent {
			return domain.AuditEvent{ID: domain.NewID(), At: at, OrgID: org, UserID: "user-1", Action: action,
				BucketID: "bucket-1", Outcome: outcome, RequestID: "req-" + string(action)}
		}
		old := event("org-a", base.Add(-time.Hour), domain.AuditCreate, domain.AuditOK)
		created := event("org-a", base, domain.AuditCreate, domain.AuditOK)
		deleted := event("org-a", base.Add(time.Second), domain.AuditDelete, "not found")
		updated := event("org-a", base.Add(time.Microsecond), domain.AuditUpdate, domain.AuditOK)
		other := event("org-b", base, domain.AuditCreate, domain.AuditOK)
		system := event("", base, domain.AuditTokenRejected, "unauthenticated")
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
		e := domain.AuditEvent{ID: domain.NewID(), At: time.Now().UTC(), OrgID: "org-a", Action: domain.AuditCreate, Outcome: domain.AuditOK}
		if err := audit.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		if err := audit.Record(t.Context(), e); err == nil {
			t.Fatal("Record of an id already stored succeeded; want an error")
		}
	})
}
