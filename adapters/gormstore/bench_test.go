package gormstore_test

import (
	"fmt"
	"testing"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// BenchmarkInsertWithinQuota measures one quota-checked insert: the transaction, the
// organization lock, the count, the name check and the insert. The count grows with b.N, as it
// would in an organization filling up.
func BenchmarkInsertWithinQuota(b *testing.B) {
	storetest.ForEachBackend(b, func(b *testing.B, url string) {
		store := storetest.Open(b, url)
		org := storetest.Seed(b, store, porttest.OrgSpec{BucketLimit: intPtr(1 << 30)})
		i := 0
		for b.Loop() {
			if err := porttest.Insert(b.Context(), store, newBucket(org, fmt.Sprintf("bucket-%d", i))); err != nil {
				b.Fatalf("InsertWithinQuota: %v", err)
			}
			i++
		}
	})
}

// BenchmarkList measures reading the page of a 100-bucket organization, what every GET /bucket
// of it costs the store: asking for 100 buckets, and asking for none in particular (the default
// page, up to domain.MaxPageSize).
func BenchmarkList(b *testing.B) {
	storetest.ForEachBackend(b, func(b *testing.B, url string) {
		store := storetest.Open(b, url)
		org := storetest.Seed(b, store, porttest.OrgSpec{BucketLimit: intPtr(100)})
		for i := range 100 {
			if err := porttest.Insert(b.Context(), store, newBucket(org, fmt.Sprintf("bucket-%d", i))); err != nil {
				b.Fatalf("InsertWithinQuota: %v", err)
			}
		}
		for name, limit := range map[string]int{"limit=100": 100, "default": 0} {
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					page, err := store.List(b.Context(), org.OrgID, domain.BucketQuery{Limit: limit})
					if err != nil || len(page.Buckets) != 100 {
						b.Fatalf("List = %d buckets, %v; want 100", len(page.Buckets), err)
					}
				}
			})
		}
	})
}

// BenchmarkMigrate measures a start-up's Migrate: with every migration applied and every name
// keyed, which every process pays; and keying 10,000 buckets stored before name keys
// (migration 0009), which an upgrade pays once, reported in buckets per second.
func BenchmarkMigrate(b *testing.B) {
	storetest.ForEachBackend(b, func(b *testing.B, url string) {
		store := storetest.Open(b, url)
		b.Run("up to date", func(b *testing.B) {
			for b.Loop() {
				if err := store.Migrate(b.Context()); err != nil {
					b.Fatalf("Migrate: %v", err)
				}
			}
		})
		b.Run("keying 10000 names", func(b *testing.B) {
			const buckets = 10000
			org := storetest.Seed(b, store, porttest.OrgSpec{})
			stored := make([]domain.Bucket, buckets)
			for i := range stored {
				stored[i] = newBucket(org, fmt.Sprintf("Bucket %05d", i))
			}
			if err := gormstore.InsertWithoutNameKey(b.Context(), store, stored...); err != nil {
				b.Fatalf("insert buckets without name keys: %v", err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i > 0 {
					b.StopTimer()
					if err := gormstore.Exec(b.Context(), store, "UPDATE buckets SET name_key = NULL, name_key_suffix = ''"); err != nil {
						b.Fatalf("forget the name keys: %v", err)
					}
					b.StartTimer()
				}
				if err := store.Migrate(b.Context()); err != nil {
					b.Fatalf("Migrate: %v", err)
				}
			}
			b.ReportMetric(float64(buckets*b.N)/b.Elapsed().Seconds(), "buckets/s")
		})
	})
}

// BenchmarkGetBucketStoreWork measures the store's work of one GET /bucket/{id}: the token's
// check and the read in one statement (GetAsHolder), against the two the other requests' way
// would send (Authenticate, then Get).
func BenchmarkGetBucketStoreWork(b *testing.B) {
	storetest.ForEachBackend(b, func(b *testing.B, url string) {
		store := storetest.Open(b, url)
		org := storetest.Seed(b, store, porttest.OrgSpec{})
		bucket := newBucket(org, "Photos")
		if err := porttest.Insert(b.Context(), store, bucket); err != nil {
			b.Fatalf("InsertWithinQuota: %v", err)
		}
		b.Run("GetAsHolder", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if read, err := store.GetAsHolder(b.Context(), org.AdminToken, bucket.ID); err != nil || read.Bucket.ID != bucket.ID {
					b.Fatalf("GetAsHolder = %+v, %v", read, err)
				}
			}
		})
		b.Run("Authenticate+Get", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := store.Authenticate(b.Context(), org.AdminToken)
				if err != nil {
					b.Fatalf("Authenticate: %v", err)
				}
				if _, err := store.Get(b.Context(), p.OrgID, bucket.ID); err != nil {
					b.Fatalf("Get: %v", err)
				}
			}
		})
	})
}
