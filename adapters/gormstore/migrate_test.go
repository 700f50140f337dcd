package gormstore_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		if err := porttest.Insert(t.Context(), store, newBucket(org, "Photos")); err != nil {
			t.Fatalf("InsertWithinQuota: %v", err)
		}
		for range 2 {
			if err := store.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
		}
		wantMigrations(t, store)
		q, err := store.QuotaUsage(t.Context(), org.OrgID)
		if err != nil || q.Used != 1 {
			t.Errorf("QuotaUsage after migrating again = %+v, %v; want the bucket still there", q, err)
		}
	})
}

// TestConcurrentMigrate starts several processes' worth of stores on one empty database at
// once; each must succeed and every migration must be applied exactly once.
func TestConcurrentMigrate(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		const instances = 4
		stores := make([]*gormstore.Store, instances)
		for i := range stores {
			s, err := gormstore.Open(t.Context(), url)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			stores[i] = s
		}
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() {
				if err := s.Migrate(t.Context()); err != nil {
					t.Errorf("Migrate of instance %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		wantMigrations(t, stores[0])
		storetest.Seed(t, stores[instances-1], porttest.OrgSpec{})
	})
}

func TestMigrateCancelled(t *testing.T) {
	store, err := gormstore.Open(t.Context(), storetest.SQLiteURL(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer store.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := store.Migrate(ctx); err == nil {
		t.Fatal("Migrate with a cancelled context succeeded")
	}
	if err := store.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate after a cancelled attempt: %v", err)
	}
	wantMigrations(t, store)
}

// TestMigrationsMatchAcrossDialects checks that every schema version exists for both
// databases, so neither falls behind.
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	pg, lite := migrationFiles(t, "postgres"), migrationFiles(t, "sqlite")
	if !slices.Equal(pg, lite) || len(pg) == 0 {
		t.Errorf("migrations/postgres has %v, migrations/sqlite has %v; want the same non-empty list", pg, lite)
	}
}

func wantMigrations(t *testing.T, store *gormstore.Store) {
	t.Helper()
	want := len(migrationFiles(t, "sqlite"))
	n, err := gormstore.QueryInt(t.Context(), store, "SELECT count(*) FROM schema_migrations")
	if err != nil || n != int64(want) {
		t.Errorf("schema_migrations has %d rows (%v); want %d", n, err, want)
	}
}

func migrationFiles(t *testing.T, dialect string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("migrations", dialect))
	if err != nil {
		t.Fatalf("read migrations: %v", err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}
