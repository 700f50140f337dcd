package gormstore_test

import (
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// TestIdempotencyRunningClaimPurged checks the bound on a claim whose process died: Purge
// removes it RunningClaimLifetime after it was claimed, not before.
func TestIdempotencyRunningClaimPurged(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		claimed := time.Date(2002, 6, 1, 12, 0, 0, 0, time.UTC)
		if resp, err := store.Begin(t.Context(), org.OrgID, "orphan", porttest.IdemPrint("create A"), claimed, time.Minute); resp != nil || err != nil {
			t.Fatalf("Begin = %+v, %v; want a fresh claim", resp, err)
		}
		for _, tc := range []struct {
			at   time.Time
			want int64
		}{
			{claimed.Add(gormstore.RunningClaimLifetime - time.Microsecond), 0},
			{claimed.Add(gormstore.RunningClaimLifetime), 1},
		} {
			if n, err := store.Purge(t.Context(), tc.at); err != nil || n != tc.want {
				t.Errorf("Purge(claim time + %v) = %d, %v; want %d, nil", tc.at.Sub(claimed), n, err, tc.want)
			}
		}
	})
}

func TestIdempotencyBeginRejects(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		now := time.Now()
		for _, tc := range []struct {
			what  string
			orgID string
			lease time.Duration
			want  domain.Kind
		}{
			{"an unknown organization", domain.NewID(), time.Minute, domain.KindNotFound},
			{"a malformed organization id", "not-a-uuid", time.Minute, domain.KindNotFound},
			{"a zero lease", org.OrgID, 0, domain.KindInternal},
			{"a negative lease", org.OrgID, -time.Second, domain.KindInternal},
		} {
			resp, err := store.Begin(t.Context(), tc.orgID, "key", porttest.IdemPrint("create A"), now, tc.lease)
			if err == nil || resp != nil || domain.KindOf(err) != tc.want {
				t.Errorf("Begin for %s = %+v, %v (kind %s); want an error of kind %s", tc.what, resp, err, domain.KindOf(err), tc.want)
			}
		}
	})
}
