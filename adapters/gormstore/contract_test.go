package gormstore_test

import (
	"testing"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

func TestBucketRepositoryContract(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		porttest.RunBucketRepositoryContract(t, func(t *testing.T) porttest.RepositoryFixture {
			store := storetest.Open(t, url)
			return porttest.RepositoryFixture{
				Store: store,
				OpenAnother: func(t *testing.T) porttest.RepositoryStore {
					return storetest.Open(t, url)
				},
				StoredSealed: func(t *testing.T, bucketID string) (key, secret []byte) {
					key, secret, err := gormstore.StoredSealed(t.Context(), store, bucketID)
					if err != nil {
						t.Fatalf("read sealed columns: %v", err)
					}
					return key, secret
				},
			}
		})
	})
}

func TestIdempotencyStoreContract(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		porttest.RunIdempotencyStoreContract(t, func(t *testing.T) porttest.IdempotencyFixture {
			return porttest.IdempotencyFixture{
				Store: storetest.Open(t, url),
				OpenAnother: func(t *testing.T) ports.IdempotencyStore {
					return storetest.Open(t, url)
				},
			}
		})
	})
}

func TestHolderReadContract(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		porttest.RunHolderReadContract(t, func(t *testing.T) porttest.HolderReadStore {
			return storetest.Open(t, url)
		})
	})
}
