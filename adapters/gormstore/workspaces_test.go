package gormstore_test

import (
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// TestWorkspaceNamesAreUniquePerOrganization checks that a workspace name is compared like a
// bucket name among the organization's live workspaces only: taken by create and rename, free
// in another organization, free again once its workspace is deleted, and a workspace may take a
// new case of its own name.
func TestWorkspaceNamesAreUniquePerOrganization(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org, other := storetest.Seed(t, store, porttest.OrgSpec{}), storetest.Seed(t, store, porttest.OrgSpec{})
		marketing := createWorkspace(t, store, org.OrgID, "Marketing")
		createWorkspace(t, store, other.OrgID, "Marketing")

		err := store.CreateWorkspace(t.Context(), domain.Workspace{ID: domain.NewID(), OrgID: org.OrgID, Name: "ＭＡＲＫＥＴＩＮＧ"})
		if !domain.IsKind(err, domain.KindNameTaken) || !strings.Contains(err.Error(), `"Marketing"`) {
			t.Errorf("CreateWorkspace(a lookalike name) = %v; want %s naming the workspace that has it", err, domain.KindNameTaken)
		}
		sales := createWorkspace(t, store, org.OrgID, "Sales")
		if _, err := store.RenameWorkspace(t.Context(), org.OrgID, sales, "marketing"); !domain.IsKind(err, domain.KindNameTaken) {
			t.Errorf("RenameWorkspace(to a taken name) = %v; want %s", err, domain.KindNameTaken)
		}
		got, err := store.RenameWorkspace(t.Context(), org.OrgID, strings.ToUpper(marketing), "MARKETING")
		if err != nil || got.ID != marketing || got.Name != "MARKETING" || got.OrgID != org.OrgID {
			t.Errorf("RenameWorkspace(its own name in capitals) = %+v, %v", got, err)
		}
		if err := store.DeleteWorkspace(t.Context(), org.OrgID, marketing, time.Now()); err != nil {
			t.Fatalf("DeleteWorkspace: %v", err)
		}
		if _, err := store.RenameWorkspace(t.Context(), org.OrgID, sales, "Marketing"); err != nil {
			t.Errorf("RenameWorkspace(to a deleted workspace's name) = %v; want it free", err)
		}
		for _, tc := range []struct{ what, orgID, id string }{
			{"a deleted workspace", org.OrgID, marketing},
			{"another organization's workspace", org.OrgID, other.WorkspaceID},
			{"a malformed id", org.OrgID, "../x"},
			{"an unknown organization", domain.NewID(), sales},
		} {
			if _, err := store.RenameWorkspace(t.Context(), tc.orgID, tc.id, "Anything"); !domain.IsKind(err, domain.KindNotFound) {
				t.Errorf("RenameWorkspace(%s) = %v; want %s", tc.what, err, domain.KindNotFound)
			}
		}
	})
}

// TestDeleteWorkspace checks what a delete refuses (live buckets, with their count; the last
// workspace; other organizations' and unknown ids) and what it does: the workspace disappears
// from every read, its memberships go, its deleted buckets stay, and no bucket can enter it.
func TestDeleteWorkspace(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org, other := storetest.Seed(t, store, porttest.OrgSpec{}), storetest.Seed(t, store, porttest.OrgSpec{})
		doomed := createWorkspace(t, store, org.OrgID, "Doomed")
		if _, err := store.AddMembership(t.Context(), org.AdminID, doomed, domain.WorkspaceRead); err != nil {
			t.Fatal(err)
		}
		live, gone := newBucket(org, "live"), newBucket(org, "gone")
		live.WorkspaceID, gone.WorkspaceID = doomed, doomed
		for _, b := range []domain.Bucket{live, gone} {
			if err := porttest.Insert(t.Context(), store, b); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.Delete(t.Context(), org.OrgID, gone.ID, time.Now()); err != nil {
			t.Fatal(err)
		}

		err := store.DeleteWorkspace(t.Context(), org.OrgID, doomed, time.Now())
		if !domain.IsKind(err, domain.KindConflict) || !strings.Contains(err.Error(), "holds 1 live bucket") {
			t.Errorf("DeleteWorkspace(with a live bucket) = %v; want %s with the count", err, domain.KindConflict)
		}
		if err := store.Delete(t.Context(), org.OrgID, live.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ what, orgID, id string }{
			{"another organization's workspace", org.OrgID, other.WorkspaceID},
			{"an unknown id", org.OrgID, domain.NewID()},
			{"a malformed id", org.OrgID, "nope"},
		} {
			if err := store.DeleteWorkspace(t.Context(), tc.orgID, tc.id, time.Now()); !domain.IsKind(err, domain.KindNotFound) {
				t.Errorf("DeleteWorkspace(%s) = %v; want %s", tc.what, err, domain.KindNotFound)
			}
		}
		if err := store.DeleteWorkspace(t.Context(), org.OrgID, strings.ToUpper(doomed), time.Now()); err != nil {
			t.Fatalf("DeleteWorkspace(empty) = %v", err)
		}

		if err := store.DeleteWorkspace(t.Context(), org.OrgID, doomed, time.Now()); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("DeleteWorkspace again = %v; want %s", err, domain.KindNotFound)
		}
		if in, err := store.WorkspaceInOrg(t.Context(), org.OrgID, doomed); err != nil || in {
			t.Errorf("WorkspaceInOrg(deleted) = %v, %v; want false", in, err)
		}
		if ws, err := store.ListWorkspaces(t.Context(), org.OrgID); err != nil || len(ws) != 1 || ws[0].ID != org.WorkspaceID {
			t.Errorf("ListWorkspaces after the delete = %+v, %v; want only the first workspace", ws, err)
		}
		if p := dirAuth(t, store, org.AdminToken); p.Workspaces[doomed] != "" {
			t.Errorf("the admin is still a member of the deleted workspace: %v", p.Workspaces)
		}
		if _, err := store.AddMembership(t.Context(), org.AdminID, doomed, domain.WorkspaceWrite); !domain.IsKind(err, domain.KindWorkspaceNotFound) {
			t.Errorf("AddMembership(deleted workspace) = %v; want %s", err, domain.KindWorkspaceNotFound)
		}
		late := newBucket(org, "late")
		late.WorkspaceID = doomed
		if err := porttest.Insert(t.Context(), store, late); !domain.IsKind(err, domain.KindWorkspaceNotFound) {
			t.Errorf("InsertWithinQuota(into the deleted workspace) = %v; want %s", err, domain.KindWorkspaceNotFound)
		}
		// A deleted bucket of the deleted workspace cannot come back to life either, whoever writes it.
		if err := gormstore.Exec(t.Context(), store, "UPDATE buckets SET deleted_at = NULL WHERE id = ?", gone.ID); err == nil {
			t.Error("restoring a bucket into a deleted workspace succeeded")
		}
		if n, err := gormstore.QueryInt(t.Context(), store, "SELECT count(*) FROM buckets WHERE workspace_id = ?", doomed); err != nil || n != 2 {
			t.Errorf("the deleted workspace's buckets = %d, %v; want its 2 deleted buckets kept", n, err)
		}

		err = store.DeleteWorkspace(t.Context(), org.OrgID, org.WorkspaceID, time.Now())
		if !domain.IsKind(err, domain.KindConflict) || !strings.Contains(err.Error(), "last workspace") {
			t.Errorf("DeleteWorkspace(the last one) = %v; want %s saying it is the last", err, domain.KindConflict)
		}
	})
}

// TestWorkspaceRolesAndMembers checks that memberships carry their roles into the principal
// and the member list, and that SetMembershipRole changes one and reports the previous.
func TestWorkspaceRolesAndMembers(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org, other := storetest.Seed(t, store, porttest.OrgSpec{}), storetest.Seed(t, store, porttest.OrgSpec{})
		second := createWorkspace(t, store, org.OrgID, "Second")
		member := domain.User{ID: domain.NewID(), OrgID: org.OrgID, Email: "zoe-" + domain.NewID() + "@example.test", Role: domain.RoleMember}
		if err := store.AddUser(t.Context(), member, []string{org.WorkspaceID}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.AddMembership(t.Context(), member.ID, second, domain.WorkspaceRead); err != nil {
			t.Fatal(err)
		}
		token := insertToken(t, store, member.ID)
		p := dirAuth(t, store, token)
		if len(p.Workspaces) != 2 || p.Workspaces[org.WorkspaceID] != domain.WorkspaceWrite || p.Workspaces[second] != domain.WorkspaceRead {
			t.Errorf("principal workspaces = %v; want WRITE (AddUser's default) in the first, READ in the second", p.Workspaces)
		}
		previous, err := store.SetMembershipRole(t.Context(), member.ID, second, domain.WorkspaceAdmin)
		if err != nil || previous != domain.WorkspaceRead {
			t.Errorf("SetMembershipRole = %q, %v; want the previous READ", previous, err)
		}
		if p := dirAuth(t, store, token); p.Workspaces[second] != domain.WorkspaceAdmin {
			t.Errorf("after SetMembershipRole the role is %q; want ADMIN on the next request", p.Workspaces[second])
		}
		if _, err := store.SetMembershipRole(t.Context(), org.AdminID, second, domain.WorkspaceRead); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("SetMembershipRole(not a member) = %v; want %s", err, domain.KindNotFound)
		}
		if _, err := store.SetMembershipRole(t.Context(), member.ID, second, "OWNER"); !domain.IsKind(err, domain.KindInvalidInput) {
			t.Errorf("SetMembershipRole(OWNER) = %v; want %s", err, domain.KindInvalidInput)
		}

		members, err := store.WorkspaceMembers(t.Context(), org.OrgID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]domain.WorkspaceRole{}
		for _, m := range members {
			if m.User.OrgID != org.OrgID {
				t.Errorf("member %+v of another organization", m)
			}
			got[m.WorkspaceID+" "+m.User.Email] = m.Role
		}
		want := map[string]domain.WorkspaceRole{
			org.WorkspaceID + " " + org.AdminEmail: domain.WorkspaceAdmin, // the first admin administers the first workspace
			org.WorkspaceID + " " + member.Email:   domain.WorkspaceWrite,
			second + " " + member.Email:            domain.WorkspaceAdmin,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("WorkspaceMembers = %v; want %v", got, want)
		}

		if u, err := store.UserInOrg(t.Context(), org.OrgID, strings.ToUpper(member.ID)); err != nil || u.Email != member.Email {
			t.Errorf("UserInOrg = %+v, %v; want the member", u, err)
		}
		if _, err := store.UserInOrg(t.Context(), other.OrgID, member.ID); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("UserInOrg(another organization) = %v; want %s", err, domain.KindNotFound)
		}
	})
}

// TestMigrationGivesExistingMembershipsWrite checks migration 0011 on a database an earlier
// release filled: its memberships become WRITE, so members keep what they could do.
func TestMigrationGivesExistingMembershipsWrite(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store, err := gormstore.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		if err := gormstore.MigrateThrough(t.Context(), store, 10); err != nil {
			t.Fatal(err)
		}
		org := seedLegacyOrg(t, store)
		if err := store.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		members, err := store.WorkspaceMembers(t.Context(), org.OrgID)
		if err != nil || len(members) != 1 || members[0].Role != domain.WorkspaceWrite {
			t.Errorf("after migration 0011 the membership is %+v, %v; want WRITE", members, err)
		}
	})
}

// TestDeleteWorkspaceRacesInserts races bucket inserts into a workspace with its deletion, many
// times: whichever wins, no live bucket is ever left in a deleted workspace, and a refused
// delete names the live buckets it found.
func TestDeleteWorkspaceRacesInserts(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{BucketLimit: intPtr(10000)})
		outcomes := map[string]int{}
		for round := range 12 {
			ws := createWorkspace(t, store, org.OrgID, fmt.Sprintf("Round %d", round))
			var wg sync.WaitGroup
			for i := range 6 {
				wg.Go(func() {
					b := newBucket(org, fmt.Sprintf("r%d-b%d", round, i))
					b.WorkspaceID = ws
					err := porttest.Insert(t.Context(), store, b)
					if err != nil && !domain.IsKind(err, domain.KindWorkspaceNotFound) {
						t.Errorf("insert: %v", err)
					}
				})
			}
			var deleteErr error
			wg.Go(func() { deleteErr = store.DeleteWorkspace(t.Context(), org.OrgID, ws, time.Now()) })
			wg.Wait()
			live, err := gormstore.QueryInt(t.Context(), store, "SELECT count(*) FROM buckets WHERE workspace_id = ? AND deleted_at IS NULL", ws)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case deleteErr == nil && live != 0:
				t.Errorf("round %d: the workspace was deleted with %d live buckets in it", round, live)
			case deleteErr == nil:
				outcomes["deleted"]++
			case !domain.IsKind(deleteErr, domain.KindConflict) || !strings.Contains(deleteErr.Error(), "live bucket"):
				t.Errorf("round %d: DeleteWorkspace = %v; want nil or %s", round, deleteErr, domain.KindConflict)
			default:
				outcomes["refused"]++
			}
		}
		t.Logf("outcomes: %v", outcomes)
	})
}

// TestInsertThatWaitedForADeletedWorkspaceIsRefused holds the organization's lock in a
// transaction that deletes a workspace, starts an insert into it, which must wait, and commits:
// the insert's statement took its snapshot before the wait, so it is migration 0011's trigger,
// with a fresh snapshot, that must refuse it.
func TestInsertThatWaitedForADeletedWorkspaceIsRefused(t *testing.T) {
	url := storetest.PostgresURL(t)
	store := storetest.Open(t, url)
	org := storetest.Seed(t, store, porttest.OrgSpec{})
	ws := createWorkspace(t, store, org.OrgID, "Doomed")
	holder := lockOrganization(t, url, org.OrgID)
	if _, err := holder.Exec("UPDATE workspaces SET deleted_at = now() WHERE id = $1", ws); err != nil {
		t.Fatal(err)
	}

	b := newBucket(org, "contested")
	b.WorkspaceID = ws
	inserted := make(chan error, 1)
	go func() { inserted <- porttest.Insert(t.Context(), store, b) }()
	waitForLockWait(t, store)
	if err := holder.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-inserted:
		if !domain.IsKind(err, domain.KindWorkspaceNotFound) {
			t.Errorf("InsertWithinQuota = %v (kind %s); want %s", err, domain.KindOf(err), domain.KindWorkspaceNotFound)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("InsertWithinQuota did not return after the lock was released")
	}
}

// TestDeleteThatWaitedForAnInsertCountsItsBucket holds the organization's lock in a
// transaction that inserts a bucket into a workspace, starts the workspace's deletion, which
// must wait, and commits: the delete must count the bucket and refuse.
func TestDeleteThatWaitedForAnInsertCountsItsBucket(t *testing.T) {
	url := storetest.PostgresURL(t)
	store := storetest.Open(t, url)
	org := storetest.Seed(t, store, porttest.OrgSpec{})
	ws := createWorkspace(t, store, org.OrgID, "Busy")
	holder := lockOrganization(t, url, org.OrgID)
	if _, err := holder.Exec("INSERT INTO buckets (id, org_id, workspace_id, name, name_key, bucket, storage_type, region, sealed_key, sealed_secret, status, created_at, updated_at) "+
		"VALUES ($1, $2, $3, 'x', 'x', 'x', 'S3', 'us-east-1', '\\x00', '\\x00', 'ONLINE', now(), now())", domain.NewID(), org.OrgID, ws); err != nil {
		t.Fatal(err)
	}

	deleted := make(chan error, 1)
	go func() { deleted <- store.DeleteWorkspace(t.Context(), org.OrgID, ws, time.Now()) }()
	waitForLockWait(t, store)
	if err := holder.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-deleted:
		if !domain.IsKind(err, domain.KindConflict) || !strings.Contains(err.Error(), "holds 1 live bucket") {
			t.Errorf("DeleteWorkspace = %v; want %s counting the bucket committed during its wait", err, domain.KindConflict)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("DeleteWorkspace did not return after the lock was released")
	}
}

// lockOrganization opens a transaction of its own that holds the organization's row lock; the
// test commits it, and it is rolled back at the end otherwise.
func lockOrganization(t *testing.T, url, orgID string) *sql.Tx {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.Exec("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE", orgID); err != nil {
		t.Fatal(err)
	}
	return tx
}

// dirAuth authenticates a token, failing t if it is refused.
func dirAuth(t *testing.T, store *gormstore.Store, token domain.Secret) domain.Principal {
	t.Helper()
	p, err := store.Authenticate(t.Context(), token)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return p
}
