package gormstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

func newCredential(org porttest.SeededOrg) domain.StoredCredential {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return domain.StoredCredential{ID: domain.NewID(), OrgID: org.OrgID, WorkspaceID: org.WorkspaceID, StorageType: domain.StorageS3,
		ProviderSpelling: "AWS", Kind: domain.CredentialKeySecret, KeyHint: "AKIA…MPLE", SecretVersion: 1,
		SealedKey: []byte("sealed key"), SealedSecret: []byte("sealed secret"), CreatedAt: now, UpdatedAt: now}
}

// bucketUsing is a bucket that uses c at its current secret version, with no sealed values.
func bucketUsing(org porttest.SeededOrg, name string, c domain.StoredCredential) domain.Bucket {
	b := newBucket(org, name)
	b.CredentialID, b.CredentialVersion, b.SealedKey, b.SealedSecret = c.ID, c.SecretVersion, []byte{}, []byte{}
	return b
}

func insertCredential(t *testing.T, store *gormstore.Store, c domain.StoredCredential) {
	t.Helper()
	if err := store.InsertCredential(t.Context(), c); err != nil {
		t.Fatalf("InsertCredential: %v", err)
	}
}

// TestCredentialsAreScopedAndCounted checks reads: the bucket count, the filters, and that
// another organization's credential is not found like an unknown one.
func TestCredentialsAreScopedAndCounted(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org, other := storetest.Seed(t, store, porttest.OrgSpec{}), storetest.Seed(t, store, porttest.OrgSpec{})
		c := newCredential(org)
		insertCredential(t, store, c)
		for _, name := range []string{"one", "two"} {
			if err := porttest.Insert(t.Context(), store, bucketUsing(org, name, c)); err != nil {
				t.Fatalf("insert a bucket that uses the credential: %v", err)
			}
		}
		got, err := store.GetCredential(t.Context(), org.OrgID, strings.ToUpper(c.ID))
		if err != nil || got.BucketCount != 2 || got.KeyHint != c.KeyHint || string(got.SealedSecret) != "sealed secret" {
			t.Fatalf("GetCredential = %+v, %v; want it with 2 buckets", got, err)
		}
		if _, err := store.GetCredential(t.Context(), other.OrgID, c.ID); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("GetCredential(another organization's) = %v; want %s", err, domain.KindNotFound)
		}
		if list, err := store.ListCredentials(t.Context(), org.OrgID, ports.CredentialQuery{StorageType: domain.StorageGCS}); err != nil || len(list) != 0 {
			t.Errorf("ListCredentials(GCS) = %+v, %v; want none", list, err)
		}
		if list, err := store.ListCredentials(t.Context(), org.OrgID, ports.CredentialQuery{WorkspaceIDs: []string{org.WorkspaceID}}); err != nil || len(list) != 1 || list[0].BucketCount != 2 {
			t.Errorf("ListCredentials(its workspace) = %+v, %v; want it with 2 buckets", list, err)
		}
		foreign := newCredential(org)
		foreign.WorkspaceID = other.WorkspaceID
		if err := store.InsertCredential(t.Context(), foreign); !domain.IsKind(err, domain.KindWorkspaceNotFound) {
			t.Errorf("InsertCredential(into another organization's workspace) = %v; want %s", err, domain.KindWorkspaceNotFound)
		}
		b := bucketUsing(other, "stranger", c)
		if err := porttest.Insert(t.Context(), store, b); !domain.IsKind(err, domain.KindConflict) {
			t.Errorf("insert a bucket of another organization that uses the credential = %v; want the database to refuse it", err)
		}
	})
}

// TestRotationSerializesWithAttach checks the guarantee a rotation rests on: a bucket
// validated with the old values cannot be attached after the rotation, and a bucket attached
// after the rotation read its buckets makes the rotation fail, nothing written.
func TestRotationSerializesWithAttach(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		c := newCredential(org)
		insertCredential(t, store, c)
		first := bucketUsing(org, "first", c)
		// OFFLINE with the words of its failed check: the rotation proved it again.
		first.Status, first.StatusMessage = domain.StatusOffline, "authenticate: the temporary credentials of key ASIA…MPLE expired (ExpiredToken)"
		if err := porttest.Insert(t.Context(), store, first); err != nil {
			t.Fatal(err)
		}
		validated := []string{first.ID}
		// A bucket attached after the rotation listed the buckets it validated.
		late := bucketUsing(org, "late", c)
		if err := porttest.Insert(t.Context(), store, late); err != nil {
			t.Fatal(err)
		}
		next := c
		next.SealedSecret, next.SecretFingerprint = []byte("new sealed secret"), "fp"
		err := store.UpdateCredential(t.Context(), ports.CredentialChange{Next: next, Rotated: true, Validated: validated, At: time.Now()})
		if !domain.IsKind(err, domain.KindConflict) || !strings.Contains(err.Error(), late.ID) {
			t.Fatalf("UpdateCredential with a bucket it did not validate = %v; want %s naming it", err, domain.KindConflict)
		}
		if got, _ := store.GetCredential(t.Context(), org.OrgID, c.ID); got.SecretVersion != 1 || string(got.SealedSecret) != "sealed secret" {
			t.Fatalf("a refused rotation changed the credential: %+v", got)
		}

		err = store.UpdateCredential(t.Context(), ports.CredentialChange{Next: next, Rotated: true, Validated: []string{first.ID, late.ID}, At: time.Now()})
		if err != nil {
			t.Fatalf("UpdateCredential = %v", err)
		}
		got, _ := store.GetCredential(t.Context(), org.OrgID, c.ID)
		if got.SecretVersion != 2 || string(got.SealedSecret) != "new sealed secret" {
			t.Fatalf("after a rotation the credential is %+v", got)
		}
		b, _ := store.Get(t.Context(), org.OrgID, first.ID)
		if b.CredentialVersion != 2 || b.SecretFingerprint != "fp" || b.Version != 2 || b.SecretVersion != first.SecretVersion+1 ||
			b.Status != domain.StatusOnline || b.StatusMessage != "" {
			t.Errorf("a bucket after the rotation = %+v; want it at the credential's version 2, its own next version, ONLINE without a message", b)
		}
		// Validated with the old values: refused, whoever writes it.
		stale := bucketUsing(org, "stale", c)
		if err := porttest.Insert(t.Context(), store, stale); !domain.IsKind(err, domain.KindConflict) {
			t.Errorf("insert a bucket validated with the old values = %v; want %s", err, domain.KindConflict)
		}
		b.Name = "renamed"
		b.CredentialVersion = 1
		if err := store.Update(t.Context(), b); !domain.IsKind(err, domain.KindConflict) {
			t.Errorf("update a bucket to the old values = %v; want %s", err, domain.KindConflict)
		}
		if err := store.UpdateCredential(t.Context(), ports.CredentialChange{Next: next, At: time.Now()}); !domain.IsKind(err, domain.KindConflict) {
			t.Errorf("UpdateCredential read at the old version = %v; want %s", err, domain.KindConflict)
		}
	})
}

// TestDeleteCredentialInUse checks that a credential live buckets use cannot be deleted, with
// their count, and that one whose buckets are gone can.
func TestDeleteCredentialInUse(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		c := newCredential(org)
		insertCredential(t, store, c)
		b := bucketUsing(org, "user", c)
		if err := porttest.Insert(t.Context(), store, b); err != nil {
			t.Fatal(err)
		}
		err := store.DeleteCredential(t.Context(), org.OrgID, c.ID, time.Now())
		if !domain.IsKind(err, domain.KindCredentialInUse) || !strings.Contains(err.Error(), "1 bucket") {
			t.Fatalf("DeleteCredential(in use) = %v; want %s with the count", err, domain.KindCredentialInUse)
		}
		if err := store.Delete(t.Context(), org.OrgID, b.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := store.DeleteCredential(t.Context(), org.OrgID, c.ID, time.Now()); err != nil {
			t.Fatalf("DeleteCredential(unused) = %v", err)
		}
		if _, err := store.GetCredential(t.Context(), org.OrgID, c.ID); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("GetCredential(deleted) = %v; want %s", err, domain.KindNotFound)
		}
		if err := porttest.Insert(t.Context(), store, bucketUsing(org, "after", c)); !domain.IsKind(err, domain.KindConflict) {
			t.Errorf("insert a bucket that uses a deleted credential = %v; want %s", err, domain.KindConflict)
		}
	})
}
