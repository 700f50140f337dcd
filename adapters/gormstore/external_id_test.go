package gormstore_test

import (
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// beforeExternalIDs is the last schema version without organizations' ExternalIds (migration
// 0014 adds them).
const beforeExternalIDs = 13

// TestOrganizationExternalID: every organization gets its own ExternalId when it is created,
// the store reads it back and lists it, and another organization's id is not found.
func TestOrganizationExternalID(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		one := storetest.Seed(t, store, porttest.OrgSpec{})
		two := storetest.Seed(t, store, porttest.OrgSpec{})
		first, err := store.OrganizationExternalID(t.Context(), one.OrgID)
		if err != nil || !strings.HasPrefix(first, "bucketd-") || len(first) != len("bucketd-")+32 {
			t.Fatalf("OrganizationExternalID = %q, %v; want bucketd- and 32 characters", first, err)
		}
		second, err := store.OrganizationExternalID(t.Context(), strings.ToUpper(two.OrgID))
		if err != nil || second == first {
			t.Fatalf("the second organization's ExternalId = %q, %v; want its own", second, err)
		}
		orgs, err := store.ListOrganizations(t.Context())
		if err != nil {
			t.Fatalf("ListOrganizations: %v", err)
		}
		for _, o := range orgs {
			if o.ID == one.OrgID && o.ExternalID != first {
				t.Errorf("listed ExternalId %q, want %q", o.ExternalID, first)
			}
		}
		for _, id := range []string{domain.NewID(), "not-an-id"} {
			if _, err := store.OrganizationExternalID(t.Context(), id); !domain.IsKind(err, domain.KindNotFound) {
				t.Errorf("OrganizationExternalID(%q) = %v, want not found", id, err)
			}
		}
	})
}

// TestMigrateGivesExistingOrganizationsExternalIDs migrates organizations stored before
// ExternalIds: each gets one of its own.
func TestMigrateGivesExistingOrganizationsExternalIDs(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		legacyStore, err := gormstore.Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := gormstore.MigrateThrough(t.Context(), legacyStore, beforeExternalIDs); err != nil {
			t.Fatalf("migrate through version %d: %v", beforeExternalIDs, err)
		}
		one, two := seedLegacyOrg(t, legacyStore), seedLegacyOrg(t, legacyStore)
		if err := legacyStore.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		store := storetest.Open(t, url) // migrates
		a, errA := store.OrganizationExternalID(t.Context(), one.OrgID)
		b, errB := store.OrganizationExternalID(t.Context(), two.OrgID)
		if errA != nil || errB != nil || !strings.HasPrefix(a, "bucketd-") || len(a) != len("bucketd-")+32 || a == b {
			t.Fatalf("backfilled ExternalIds %q (%v) and %q (%v); want two different bucketd- ids of 32 characters", a, errA, b, errB)
		}
	})
}
