package porttest

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// runBucketLifecycleContract checks ports.BucketReader and ports.BucketWriter: a bucket is
// read back complete, pages hold exactly the organization's live buckets in id order, every
// read and write of another organization's, a deleted or an unknown bucket is the same
// KindNotFound, and an update or a recorded status made from a read that another write has
// since overtaken is KindConflict and changes nothing.
func runBucketLifecycleContract(t *testing.T, open func(t *testing.T) RepositoryFixture) {
	t.Helper()
	t.Run("GetReturnsEveryField", func(t *testing.T) { testLifeGet(t, open(t)) })
	t.Run("GetHidesWhatIsNotLiveAndOwn", func(t *testing.T) { testLifeGetNotFound(t, open(t)) })
	t.Run("ListPagesInIDOrder", func(t *testing.T) { testLifeListPages(t, open(t)) })
	t.Run("ListFiltersByWorkspace", func(t *testing.T) { testLifeListWorkspaces(t, open(t)) })
	t.Run("ListRejectsBadCursorAndLimit", func(t *testing.T) { testLifeListBadInput(t, open(t)) })
	t.Run("UpdateReplacesMutableFields", func(t *testing.T) { testLifeUpdate(t, open(t)) })
	t.Run("UpdateKeepsNamesUnique", func(t *testing.T) { testLifeRename(t, open(t)) })
	t.Run("UpdateOnlyLiveOwnBuckets", func(t *testing.T) { testLifeUpdateNotFound(t, open(t)) })
	t.Run("UpdateOfStaleVersionConflicts", func(t *testing.T) { testLifeStaleUpdate(t, open(t)) })
	t.Run("RecordStatusOvertakesUpdate", func(t *testing.T) { testLifeStatusOvertakes(t, open(t)) })
	t.Run("UpdateOvertakesRecordStatus", func(t *testing.T) { testLifeUpdateOvertakesStatus(t, open(t)) })
	t.Run("ConcurrentUpdatesOneWins", func(t *testing.T) { testLifeConcurrentUpdates(t, open(t)) })
	t.Run("DeleteFreesNameAndQuota", func(t *testing.T) { testLifeDelete(t, open(t)) })
	t.Run("RecordStatus", func(t *testing.T) { testLifeRecordStatus(t, open(t)) })
}

func testLifeGet(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	b := repoBucket(org, "Photos")
	b.Endpoint = "https://s3.example.test"
	b.Status, b.StatusMessage = domain.StatusOffline, lifeLongStatusMessage(t)
	b.CreatedAt = b.CreatedAt.Add(-time.Hour)
	credentialsAt := b.CreatedAt.Add(time.Minute)
	b.SecretFingerprint, b.SecretVersion, b.CredentialsUpdatedAt = "GBDo00G55h6IiV-6CxqivQ", 3, &credentialsAt
	// The store numbers versions itself: a new bucket is at version 1 whatever the caller says.
	inserted := b
	inserted.Version = 42
	repoMustInsert(t, f.Store, inserted)
	for _, id := range []string{b.ID, strings.ToUpper(b.ID)} {
		got, err := f.Store.Get(t.Context(), org.OrgID, id)
		if err != nil {
			t.Fatalf("Get(%s): %v", id, err)
		}
		lifeWantBucket(t, "Get("+id+")", got, b)
	}
	noStatus := repoBucket(org, "Never checked")
	noStatus.LastStatusAt, noStatus.Status = nil, domain.StatusUnknown
	// A bucket stored before fingerprints: none, and no credentials time.
	noStatus.SecretFingerprint, noStatus.CredentialsUpdatedAt = "", nil
	repoMustInsert(t, f.Store, noStatus)
	got, err := f.Store.Get(t.Context(), org.OrgID, noStatus.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	lifeWantBucket(t, "Get of a bucket never checked", got, noStatus)
}

func testLifeGetNotFound(t *testing.T, f RepositoryFixture) {
	a := SeedOrganization(t, f.Store, OrgSpec{})
	b := SeedOrganization(t, f.Store, OrgSpec{})
	foreign := repoBucket(b, "Foreign")
	repoMustInsert(t, f.Store, foreign)
	deleted := repoBucket(a, "Deleted")
	repoMustInsert(t, f.Store, deleted)
	lifeMustDelete(t, f.Store, a.OrgID, deleted.ID)
	unknown := domain.NewID()
	cases := []struct{ what, orgID, id string }{
		{"another organization's bucket", a.OrgID, foreign.ID},
		{"a deleted bucket", a.OrgID, deleted.ID},
		{"an unknown id", a.OrgID, unknown},
		{"a malformed id", a.OrgID, "not-a-uuid"},
		{"an id with SQL in it", a.OrgID, "' OR 1=1 --"},
		{"a bucket asked for under a malformed organization id", "nope", foreign.ID},
	}
	var messages []string
	for _, tc := range cases {
		got, err := f.Store.Get(t.Context(), tc.orgID, tc.id)
		repoWantKind(t, "Get of "+tc.what, err, domain.KindNotFound)
		if got.ID != "" {
			t.Errorf("Get of %s returned bucket %+v beside its error", tc.what, got)
		}
		if err != nil {
			messages = append(messages, strings.ReplaceAll(err.Error(), tc.id, "ID"))
		}
	}
	for i, m := range messages[1:] {
		if m != messages[0] {
			t.Errorf("Get of %s says %q, of %s %q; they must not tell which", cases[i+1].what, m, cases[0].what, messages[0])
		}
	}
}

func testLifeListPages(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	other := SeedOrganization(t, f.Store, OrgSpec{})
	repoMustInsert(t, f.Store, repoBucket(other, "Foreign"))
	want := lifeInsertMany(t, f.Store, org, 7)
	deleted := repoBucket(org, "Deleted")
	repoMustInsert(t, f.Store, deleted)
	lifeMustDelete(t, f.Store, org.OrgID, deleted.ID)

	pages := lifeListAll(t, f.Store, org.OrgID, domain.BucketQuery{Limit: 3})
	if got := lifePageSizes(pages); !slices.Equal(got, []int{3, 3, 1}) {
		t.Errorf("7 buckets listed 3 at a time: page sizes %v; want [3 3 1]", got)
	}
	if got := lifeIDs(pages); !slices.Equal(got, want) {
		t.Errorf("7 buckets listed 3 at a time: ids %v; want %v, each once, in id order", got, want)
	}
	for _, limit := range []int{0, 7, domain.MaxPageSize} {
		pages := lifeListAll(t, f.Store, org.OrgID, domain.BucketQuery{Limit: limit})
		if len(pages) != 1 || !slices.Equal(lifeIDs(pages), want) {
			t.Errorf("List with limit %d: pages %v of ids %v; want one page of %v", limit, lifePageSizes(pages), lifeIDs(pages), want)
		}
	}
	lifeWantBucket(t, "the first listed bucket", pages[0].Buckets[0], lifeGet(t, f.Store, org.OrgID, want[0]))

	empty := SeedOrganization(t, f.Store, OrgSpec{})
	for _, orgID := range []string{empty.OrgID, domain.NewID()} {
		page, err := f.Store.List(t.Context(), orgID, domain.BucketQuery{Limit: 10})
		if err != nil || len(page.Buckets) != 0 || page.NextCursor != "" {
			t.Errorf("List of an organization without buckets = %+v, %v; want an empty last page", page, err)
		}
	}
}

func testLifeListWorkspaces(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	other := SeedOrganization(t, f.Store, OrgSpec{})
	repoMustInsert(t, f.Store, repoBucket(other, "Foreign"))
	second := org
	second.WorkspaceID = dirAddWorkspace(t, f.Store, org.OrgID)
	inFirst := lifeInsertMany(t, f.Store, org, 4)
	inSecond := lifeInsertMany(t, f.Store, second, 3)
	both := slices.Sorted(slices.Values(append(slices.Clone(inFirst), inSecond...)))
	for _, tc := range []struct {
		what       string
		workspaces []string
		want       []string
	}{
		{"no filter (nil)", nil, both},
		{"the first workspace", []string{org.WorkspaceID}, inFirst},
		{"the second workspace, in upper case", []string{strings.ToUpper(second.WorkspaceID)}, inSecond},
		{"both workspaces, one twice", []string{second.WorkspaceID, org.WorkspaceID, second.WorkspaceID}, both},
		{"an empty filter", []string{}, nil},
		{"another organization's workspace", []string{other.WorkspaceID}, nil},
		{"a malformed workspace id", []string{"not-a-uuid"}, nil},
		{"a malformed id beside a real one", []string{"not-a-uuid", second.WorkspaceID}, inSecond},
	} {
		pages := lifeListAll(t, f.Store, org.OrgID, domain.BucketQuery{WorkspaceIDs: tc.workspaces, Limit: 2})
		if got := lifeIDs(pages); !slices.Equal(got, tc.want) {
			t.Errorf("List filtered by %s, 2 at a time: ids %v; want %v", tc.what, got, tc.want)
		}
	}
}

func testLifeListBadInput(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	lifeInsertMany(t, f.Store, org, 2)
	b64 := base64.RawURLEncoding.EncodeToString
	for what, cursor := range map[string]string{
		"not base64":             "!!!",
		"base64 of a non-id":     b64([]byte("hello")),
		"a bare bucket id":       domain.NewID(),
		"padded standard base64": base64.StdEncoding.EncodeToString([]byte("x")),
	} {
		_, err := f.Store.List(t.Context(), org.OrgID, domain.BucketQuery{Cursor: cursor})
		repoWantKind(t, "List with a cursor that is "+what, err, domain.KindInvalidInput)
		if err != nil && !strings.Contains(err.Error(), "cursor is not one this server issued") {
			t.Errorf("List with a cursor that is %s: message %q does not say the cursor is not one the server issued", what, err)
		}
	}
	for _, limit := range []int{-1, domain.MaxPageSize + 1} {
		_, err := f.Store.List(t.Context(), org.OrgID, domain.BucketQuery{Limit: limit})
		repoWantKind(t, fmt.Sprintf("List with limit %d", limit), err, domain.KindInvalidInput)
		if err != nil && !strings.Contains(err.Error(), fmt.Sprint(domain.MaxPageSize)) {
			t.Errorf("List with limit %d: message %q does not give the allowed range", limit, err)
		}
	}
}

func testLifeUpdate(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	original := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, original)
	checked := original.CreatedAt.Add(time.Minute)
	changed := original
	changed.Name = "Pictures"
	changed.Bucket = "pictures-bucket"
	// Azure Blob spelled as Flashback's client spells it, in a region the provider did not report.
	changed.StorageType, changed.StorageTypeSpelling = domain.StorageAzure, domain.BlobSpelling
	changed.Region = ""
	changed.Endpoint = "https://storage.example.test"
	changed.KeyHint = "svc@…test"
	changed.SealedKey = repoRandomBytes(40)
	changed.SealedSecret = repoRandomBytes(90)
	changed.Status, changed.StatusMessage = domain.StatusOffline, "authenticate: key svc@…test is disabled"
	changed.LastStatusAt = &checked
	changed.UpdatedAt = original.UpdatedAt.Add(2 * time.Minute)
	changed.SecretFingerprint, changed.SecretVersion, changed.CredentialsUpdatedAt = "3q2-7wXyZ0aBcDeFgHiJkL", 2, &changed.UpdatedAt
	if err := f.Store.Update(t.Context(), changed); err != nil {
		t.Fatalf("Update: %v", err)
	}
	changed.Version = 2
	lifeWantBucket(t, "Get after Update", lifeGet(t, f.Store, org.OrgID, original.ID), changed)
	if key, secret := f.StoredSealed(t, original.ID); !slices.Equal(key, changed.SealedKey) || !slices.Equal(secret, changed.SealedSecret) {
		t.Errorf("stored sealed columns after Update = %x, %x; want %x, %x", key, secret, changed.SealedKey, changed.SealedSecret)
	}

	// The workspace and the creation time are not the caller's to change.
	moved := changed
	moved.WorkspaceID = domain.NewID()
	moved.CreatedAt = changed.CreatedAt.Add(time.Hour)
	moved.LastStatusAt, moved.StatusMessage = nil, ""
	if err := f.Store.Update(t.Context(), moved); err != nil {
		t.Fatalf("Update with another workspace and creation time: %v", err)
	}
	want := moved
	want.WorkspaceID, want.CreatedAt, want.Version = changed.WorkspaceID, changed.CreatedAt, 3
	lifeWantBucket(t, "Get after an Update naming another workspace", lifeGet(t, f.Store, org.OrgID, original.ID), want)
}

func testLifeRename(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	other := SeedOrganization(t, f.Store, OrgSpec{})
	photos, videos := repoBucket(org, "Photos"), repoBucket(org, "Videos")
	repoMustInsert(t, f.Store, photos)
	repoMustInsert(t, f.Store, videos)
	repoMustInsert(t, f.Store, repoBucket(other, "Archive"))

	clash := videos
	for _, name := range []string{"PHOTOS", "Ｐｈｏｔｏｓ", "Pho\u200btos"} {
		clash.Name = name
		err := f.Store.Update(t.Context(), clash)
		repoWantKind(t, fmt.Sprintf("rename of %q to %+q beside %q", videos.Name, name, photos.Name), err, domain.KindNameTaken)
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", name)) {
			t.Errorf("NAME_TAKEN message %q does not name the name", err)
		}
	}
	lifeWantBucket(t, "the bucket whose rename failed", lifeGet(t, f.Store, org.OrgID, videos.ID), videos)

	// A bucket may take any name with its own name key, and then any free one.
	renamed := photos
	for _, name := range []string{"PHOTOS", "Ｐｈｏｔｏｓ", "Archive"} {
		renamed.Name = name
		if err := f.Store.Update(t.Context(), renamed); err != nil {
			t.Errorf("rename of %q to %q (free in this organization): %v", photos.Name, name, err)
		}
		renamed.Version++
	}
	gone := repoBucket(org, "Old")
	repoMustInsert(t, f.Store, gone)
	lifeMustDelete(t, f.Store, org.OrgID, gone.ID)
	// The refused rename left videos at the version it was read at.
	clash.Name = "old"
	if err := f.Store.Update(t.Context(), clash); err != nil {
		t.Errorf("rename to the name of a deleted bucket: %v", err)
	}
}

func testLifeUpdateNotFound(t *testing.T, f RepositoryFixture) {
	a := SeedOrganization(t, f.Store, OrgSpec{})
	b := SeedOrganization(t, f.Store, OrgSpec{})
	mine := repoBucket(a, "Mine")
	repoMustInsert(t, f.Store, mine)
	deleted := repoBucket(a, "Deleted")
	repoMustInsert(t, f.Store, deleted)
	lifeMustDelete(t, f.Store, a.OrgID, deleted.ID)

	hijack := mine
	hijack.OrgID, hijack.Name = b.OrgID, "Hijacked"
	staleHijack := hijack
	staleHijack.Version = 7
	unknown := repoBucket(a, "Unknown")
	malformed := repoBucket(a, "Malformed")
	malformed.ID = "not-a-uuid"
	revived := deleted
	revived.Name = "Revived"
	for what, bucket := range map[string]domain.Bucket{
		"another organization's bucket":                     hijack,
		"another organization's bucket, at another version": staleHijack,
		"a deleted bucket":                                  revived,
		"an unknown bucket":                                 unknown,
		"a malformed id":                                    malformed,
	} {
		repoWantKind(t, "Update of "+what, f.Store.Update(t.Context(), bucket), domain.KindNotFound)
	}
	lifeWantBucket(t, "the bucket another organization tried to update", lifeGet(t, f.Store, a.OrgID, mine.ID), mine)
	_, err := f.Store.Get(t.Context(), a.OrgID, deleted.ID)
	repoWantKind(t, "Get of a deleted bucket after an Update of it", err, domain.KindNotFound)
}

func testLifeDelete(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{BucketLimit: repoLimit(1)})
	other := SeedOrganization(t, f.Store, OrgSpec{})
	photos := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, photos)
	repoWantKind(t, "insert at the limit", Insert(t.Context(), f.Store, repoBucket(org, "Videos")), domain.KindQuotaExceeded)

	err := f.Store.Delete(t.Context(), other.OrgID, photos.ID, time.Now())
	repoWantKind(t, "Delete by another organization", err, domain.KindNotFound)
	lifeGet(t, f.Store, org.OrgID, photos.ID)

	lifeMustDelete(t, f.Store, org.OrgID, photos.ID)
	_, err = f.Store.Get(t.Context(), org.OrgID, photos.ID)
	repoWantKind(t, "Get after Delete", err, domain.KindNotFound)
	repoWantKind(t, "a second Delete", f.Store.Delete(t.Context(), org.OrgID, photos.ID, time.Now()), domain.KindNotFound)
	repoWantKind(t, "Delete of an unknown id", f.Store.Delete(t.Context(), org.OrgID, domain.NewID(), time.Now()), domain.KindNotFound)
	repoWantKind(t, "Delete of a malformed id", f.Store.Delete(t.Context(), org.OrgID, "nope", time.Now()), domain.KindNotFound)
	repoWantQuota(t, f.Store, org.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: 0, Limit: 1})
	if taken, err := f.Store.NameTaken(t.Context(), org.OrgID, "photos"); err != nil || taken {
		t.Errorf("NameTaken of a deleted bucket's name = %v, %v; want false, nil", taken, err)
	}

	again := repoBucket(org, "photos")
	repoMustInsert(t, f.Store, again)
	page, err := f.Store.List(t.Context(), org.OrgID, domain.BucketQuery{})
	if err != nil || len(page.Buckets) != 1 || page.Buckets[0].ID != again.ID {
		t.Errorf("List after delete and re-create = %+v, %v; want only the new bucket %s", page, err, again.ID)
	}
}

func testLifeRecordStatus(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	other := SeedOrganization(t, f.Store, OrgSpec{})
	b := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, b)
	at := b.CreatedAt.Add(5 * time.Minute)
	offline := domain.StatusRecord{Status: domain.StatusOffline, Message: lifeLongStatusMessage(t), At: at}
	if err := f.Store.RecordStatus(t.Context(), org.OrgID, b.ID, 1, offline); err != nil {
		t.Fatalf("RecordStatus: %v", err)
	}
	want := b
	want.Status, want.StatusMessage, want.LastStatusAt, want.Version = domain.StatusOffline, offline.Message, &at, 2
	lifeWantBucket(t, "Get after RecordStatus", lifeGet(t, f.Store, org.OrgID, b.ID), want)

	// A validation of version 1 finishing after the bucket moved on describes values that are
	// gone: neither its status nor its message (none, for ONLINE) is stored.
	online := domain.StatusRecord{Status: domain.StatusOnline, At: at.Add(time.Minute)}
	err := f.Store.RecordStatus(t.Context(), org.OrgID, b.ID, 1, online)
	lifeWantConflict(t, "RecordStatus of a stale version", err, b.ID)
	lifeWantBucket(t, "Get after the stale RecordStatus", lifeGet(t, f.Store, org.OrgID, b.ID), want)

	err = f.Store.RecordStatus(t.Context(), other.OrgID, b.ID, 2, online)
	repoWantKind(t, "RecordStatus by another organization", err, domain.KindNotFound)
	lifeWantBucket(t, "Get after another organization's RecordStatus", lifeGet(t, f.Store, org.OrgID, b.ID), want)

	// A record without a message clears the one stored.
	if err := f.Store.RecordStatus(t.Context(), org.OrgID, b.ID, 2, online); err != nil {
		t.Fatalf("RecordStatus of ONLINE: %v", err)
	}
	want.Status, want.StatusMessage, want.LastStatusAt, want.Version = domain.StatusOnline, "", &online.At, 3
	lifeWantBucket(t, "Get after RecordStatus of ONLINE", lifeGet(t, f.Store, org.OrgID, b.ID), want)

	lifeMustDelete(t, f.Store, org.OrgID, b.ID)
	err = f.Store.RecordStatus(t.Context(), org.OrgID, b.ID, 4, offline)
	repoWantKind(t, "RecordStatus of a deleted bucket", err, domain.KindNotFound)
}

// lifeLongStatusMessage is a status message as long as the domain lets one be, with
// characters of several bytes, which the store must keep exactly.
func lifeLongStatusMessage(t *testing.T) string {
	t.Helper()
	m := "authenticate: the temporary credentials of key ASIA…MPLE expired (ExpiredToken); bucket 写真-é "
	m += strings.Repeat("x", domain.MaxStatusMessageBytes-len(m))
	if domain.StatusMessage(m) != m {
		t.Fatalf("the contract's long status message %q breaks the domain's message rules", m)
	}
	return m
}

// testLifeStaleUpdate updates a bucket from one read twice: the first update lands and moves
// the bucket to version 2, the second, still naming version 1, is KindConflict and changes
// nothing. An update from a fresh read lands again.
func testLifeStaleUpdate(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	repoMustInsert(t, f.Store, repoBucket(org, "Photos"))
	page, err := f.Store.List(t.Context(), org.OrgID, domain.BucketQuery{})
	if err != nil || len(page.Buckets) != 1 || page.Buckets[0].Version != 1 {
		t.Fatalf("List after one insert = %+v, %v; want the bucket at version 1", page, err)
	}
	read := page.Buckets[0]

	first := read
	first.Name, first.Region = "Pictures", "eu-central-1"
	if err := f.Store.Update(t.Context(), first); err != nil {
		t.Fatalf("Update at the version read: %v", err)
	}
	first.Version = 2
	lifeWantBucket(t, "Get after the first Update", lifeGet(t, f.Store, org.OrgID, read.ID), first)

	stale := read
	stale.Name, stale.Status = "Images", domain.StatusOffline
	err = f.Store.Update(t.Context(), stale)
	lifeWantConflict(t, "Update naming version 1 after the bucket moved to 2", err, read.ID)
	lifeWantBucket(t, "Get after the stale Update", lifeGet(t, f.Store, org.OrgID, read.ID), first)

	fresh := lifeGet(t, f.Store, org.OrgID, read.ID)
	fresh.Name = "Images"
	if err := f.Store.Update(t.Context(), fresh); err != nil {
		t.Fatalf("Update after reading again: %v", err)
	}
	fresh.Version = 3
	lifeWantBucket(t, "Get after the Update from a fresh read", lifeGet(t, f.Store, org.OrgID, read.ID), fresh)
}

// testLifeStatusOvertakes records a re-validation between an update's read and its write: the
// update must not write the status it read back over the one just recorded.
func testLifeStatusOvertakes(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	read := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, read)

	at := read.CreatedAt.Add(time.Minute)
	offline := domain.NewStatusRecord(domain.StatusOffline, "list: key AKIA…MPLE may not list bucket contract-bucket", at)
	if err := f.Store.RecordStatus(t.Context(), org.OrgID, read.ID, read.Version, offline); err != nil {
		t.Fatalf("RecordStatus: %v", err)
	}
	recorded := read
	recorded.Status, recorded.StatusMessage, recorded.LastStatusAt, recorded.Version = domain.StatusOffline, offline.Message, &at, 2
	lifeWantBucket(t, "Get after RecordStatus", lifeGet(t, f.Store, org.OrgID, read.ID), recorded)

	renamed := read
	renamed.Name = "Pictures"
	err := f.Store.Update(t.Context(), renamed)
	lifeWantConflict(t, "Update from a read made before RecordStatus", err, read.ID)
	lifeWantBucket(t, "Get after the overtaken Update", lifeGet(t, f.Store, org.OrgID, read.ID), recorded)
}

// testLifeUpdateOvertakesStatus stores new credentials between a re-validation's read and its
// verdict: the verdict is about the credentials that are gone, so it must not be recorded.
func testLifeUpdateOvertakesStatus(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	read := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, read)

	updated := read
	updated.SealedSecret, updated.Status = repoRandomBytes(64), domain.StatusOnline
	updated.UpdatedAt = read.UpdatedAt.Add(time.Minute)
	if err := f.Store.Update(t.Context(), updated); err != nil {
		t.Fatalf("Update with new credentials: %v", err)
	}
	updated.Version = 2

	err := f.Store.RecordStatus(t.Context(), org.OrgID, read.ID, read.Version,
		domain.NewStatusRecord(domain.StatusOffline, "authenticate: the secret does not match key AKIA…MPLE", updated.UpdatedAt.Add(time.Second)))
	lifeWantConflict(t, "RecordStatus of the version before the Update", err, read.ID)
	lifeWantBucket(t, "Get after the overtaken RecordStatus", lifeGet(t, f.Store, org.OrgID, read.ID), updated)
}

// testLifeConcurrentUpdates starts ten updates from one read at once, spread over two store
// instances as over two server processes: exactly one lands, the others are KindConflict.
func testLifeConcurrentUpdates(t *testing.T, f RepositoryFixture) {
	const attempts = 10
	org := SeedOrganization(t, f.Store, OrgSpec{})
	read := repoBucket(org, "Photos")
	repoMustInsert(t, f.Store, read)
	writers := []ports.BucketWriter{f.Store, f.OpenAnother(t)}

	var (
		mu     sync.Mutex
		kinds  = map[string]int{}
		winner domain.Bucket
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for i := range attempts {
		wg.Go(func() {
			b := read
			b.Name = fmt.Sprintf("Photos %d", i)
			<-start
			err := writers[i%len(writers)].Update(t.Context(), b)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				kinds["ok"]++
				winner = b
			case domain.IsKind(err, domain.KindConflict):
				kinds[domain.KindConflict.String()]++
			default:
				t.Errorf("concurrent update %d: %v (kind %s); want success or %s", i, err, domain.KindOf(err), domain.KindConflict)
			}
		})
	}
	close(start)
	wg.Wait()
	if kinds["ok"] != 1 || kinds[domain.KindConflict.String()] != attempts-1 {
		t.Fatalf("%d concurrent updates from one read: outcomes %v; want 1 ok and %d %s",
			attempts, kinds, attempts-1, domain.KindConflict)
	}
	winner.Version = 2
	lifeWantBucket(t, "Get after the concurrent updates", lifeGet(t, f.Store, org.OrgID, read.ID), winner)
}

// lifeInsertMany inserts n buckets into the organization's workspace and returns their ids in
// id order, the order List pages them in.
func lifeInsertMany(t *testing.T, repo ports.BucketCreator, org SeededOrg, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		b := repoBucket(org, fmt.Sprintf("bucket-%s-%d", org.WorkspaceID, i))
		repoMustInsert(t, repo, b)
		ids[i] = b.ID
	}
	slices.Sort(ids)
	return ids
}

// lifeListAll follows NextCursor from the first page to the last and returns every page. It
// fails the test on an error or after more pages than any listing here needs.
func lifeListAll(t *testing.T, r ports.BucketReader, orgID string, q domain.BucketQuery) []domain.BucketPage {
	t.Helper()
	var pages []domain.BucketPage
	for range 20 {
		page, err := r.List(t.Context(), orgID, q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		pages = append(pages, page)
		if page.NextCursor == "" {
			return pages
		}
		q.Cursor = page.NextCursor
	}
	t.Fatalf("List(%+v) still has a next page after 20", q)
	return nil
}

func lifePageSizes(pages []domain.BucketPage) []int {
	sizes := make([]int, len(pages))
	for i, p := range pages {
		sizes[i] = len(p.Buckets)
	}
	return sizes
}

func lifeIDs(pages []domain.BucketPage) []string {
	var ids []string
	for _, p := range pages {
		for _, b := range p.Buckets {
			ids = append(ids, b.ID)
		}
	}
	return ids
}

func lifeGet(t *testing.T, r ports.BucketReader, orgID, id string) domain.Bucket {
	t.Helper()
	b, err := r.Get(t.Context(), orgID, id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return b
}

func lifeMustDelete(t *testing.T, w ports.BucketWriter, orgID, id string) {
	t.Helper()
	if err := w.Delete(t.Context(), orgID, id, time.Now()); err != nil {
		t.Fatalf("Delete(%s): %v", id, err)
	}
}

// lifeWantConflict checks that err is the KindConflict of an update of the bucket, and that its
// message names the bucket and tells the caller to read it again.
func lifeWantConflict(t *testing.T, what string, err error, bucketID string) {
	t.Helper()
	repoWantKind(t, what, err, domain.KindConflict)
	if err != nil && (!strings.Contains(err.Error(), bucketID) || !strings.Contains(err.Error(), "read it again")) {
		t.Errorf("%s: message %q does not name bucket %s and say to read it again", what, err, bucketID)
	}
}

// lifeWantBucket compares every field of two buckets, times by instant.
func lifeWantBucket(t *testing.T, what string, got, want domain.Bucket) {
	t.Helper()
	if !reflect.DeepEqual(lifeNormal(got), lifeNormal(want)) {
		t.Errorf("%s = %+v;\nwant %+v", what, got, want)
	}
	for name, at := range map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt} {
		if at.Location() != time.UTC {
			t.Errorf("%s: %s is in %s; want UTC", what, name, at.Location())
		}
	}
}

// lifeNormal strips what may differ between equal buckets: time zones and monotonic clocks.
func lifeNormal(b domain.Bucket) domain.Bucket {
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	for _, at := range []**time.Time{&b.LastStatusAt, &b.CredentialsUpdatedAt} {
		if *at != nil {
			utc := (*at).UTC()
			*at = &utc
		}
	}
	return b
}
