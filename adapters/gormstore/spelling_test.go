package gormstore_test

import (
	"testing"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// beforeSpellings is the last schema version without storage type spellings (migration 0010
// adds them).
const beforeSpellings = 9

// TestMigrateKeepsStoredStorageTypesAnswering migrates a database whose Azure bucket was stored
// before spellings were recorded: it answers AZURE, as it always did, until an update records
// a spelling; the column refuses a spelling that is no storage type.
func TestMigrateKeepsStoredStorageTypesAnswering(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		legacyStore, err := gormstore.Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := gormstore.MigrateThrough(t.Context(), legacyStore, beforeSpellings); err != nil {
			t.Fatalf("migrate through version %d: %v", beforeSpellings, err)
		}
		org := seedLegacyOrg(t, legacyStore)
		legacy := newBucket(org, "Legacy Azure")
		legacy.StorageType, legacy.Region = domain.StorageAzure, "eastus"
		if err := gormstore.InsertWithoutNameKey(t.Context(), legacyStore, legacy); err != nil {
			t.Fatalf("insert a bucket as a release before migration %d did: %v", beforeSpellings+1, err)
		}
		if err := legacyStore.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		store := storetest.Open(t, url) // migrates
		got, err := store.Get(t.Context(), org.OrgID, legacy.ID)
		if err != nil || got.StorageTypeSpelling != "" || got.StorageTypeAnswer() != "AZURE" {
			t.Fatalf("Get after Migrate = spelling %q answering %q, %v; want no spelling, answering AZURE",
				got.StorageTypeSpelling, got.StorageTypeAnswer(), err)
		}
		got.StorageTypeSpelling = domain.BlobSpelling
		if err := store.Update(t.Context(), got); err != nil {
			t.Fatalf("Update with spelling BLOB: %v", err)
		}
		if got, err = store.Get(t.Context(), org.OrgID, legacy.ID); err != nil || got.StorageTypeAnswer() != "BLOB" {
			t.Errorf("Get after Update = answering %q, %v; want BLOB", got.StorageTypeAnswer(), err)
		}
		if _, err := gormstore.QueryInt(t.Context(), store,
			"UPDATE buckets SET storage_type_spelling = 'blob' WHERE id = ? RETURNING 1", legacy.ID); err == nil {
			t.Error("the column took spelling \"blob\"; want its CHECK to refuse it")
		}
	})
}
