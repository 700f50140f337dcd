package porttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// RepositoryStore is one adapter serving the bucket, authentication and directory ports from
// one database, as the application wires it.
type RepositoryStore interface {
	ports.BucketCreator
	ports.BucketReader
	ports.BucketWriter
	ports.Authenticator
	ports.Organizations
	ports.Workspaces
	ports.Users
	ports.Tokens
}

// RepositoryFixture is a store under test. Subtests share its database and keep apart by
// creating organizations of their own, so the database may hold other subtests' rows.
type RepositoryFixture struct {
	Store RepositoryStore
	// OpenAnother opens an independent instance (its own connection pool) on the same database,
	// as a second server process would, for the proofs that the quota and the version check of
	// updates hold across processes.
	OpenAnother func(t *testing.T) RepositoryStore
	// StoredSealed reads a bucket's sealed key and secret straight from storage, bypassing the
	// adapter's mapping, for the proof that the store keeps the vault's bytes unchanged.
	StoredSealed func(t *testing.T, bucketID string) (key, secret []byte)
}

// RunBucketRepositoryContract checks that a store enforces quotas and unique names, compared by
// domain.NameKey (so case, fullwidth forms and invisible characters make no new name), under
// concurrency, within one instance and across two, keeps organizations apart,
// stores sealed credentials byte for byte, reads, pages, updates and soft-deletes buckets of
// one organization only, and authenticates tokens. open returns a ready, migrated store; each
// subtest calls it once.
func RunBucketRepositoryContract(t *testing.T, open func(t *testing.T) RepositoryFixture) {
	t.Helper()
	t.Run("InsertCountsTowardQuota", func(t *testing.T) { testRepoInsertCounts(t, open(t)) })
	t.Run("QuotaLimitFromPlanOrOverride", func(t *testing.T) { testRepoQuotaLimit(t, open(t)) })
	t.Run("QuotaOfUnknownOrganization", func(t *testing.T) { testRepoQuotaUnknownOrg(t, open(t)) })
	t.Run("NameTakenComparesNameKeys", func(t *testing.T) { testRepoNameTaken(t, open(t)) })
	t.Run("PrecheckCreateReadsWorkspaceQuotaAndName", func(t *testing.T) { testRepoPrecheckCreate(t, open(t)) })
	t.Run("DuplicateNameRejected", func(t *testing.T) { testRepoDuplicateName(t, open(t)) })
	t.Run("QuotaExceededAtLimit", func(t *testing.T) { testRepoQuotaExceeded(t, open(t)) })
	t.Run("ConcurrentInsertsStayWithinLimit", func(t *testing.T) { testRepoConcurrentQuota(t, open(t), false) })
	t.Run("ConcurrentInsertsOnTwoInstancesStayWithinLimit", func(t *testing.T) { testRepoConcurrentQuota(t, open(t), true) })
	t.Run("ConcurrentSameNameOneWins", func(t *testing.T) { testRepoConcurrentSameName(t, open(t)) })
	t.Run("WorkspaceInOrg", func(t *testing.T) { testRepoWorkspaceInOrg(t, open(t)) })
	t.Run("InsertIntoOtherOrganizationsWorkspace", func(t *testing.T) { testRepoForeignWorkspace(t, open(t)) })
	t.Run("OrganizationsAreIsolated", func(t *testing.T) { testRepoIsolation(t, open(t)) })
	t.Run("SealedCredentialsStoredUnchanged", func(t *testing.T) { testRepoSealedBytes(t, open(t)) })
	t.Run("Authenticate", func(t *testing.T) { testRepoAuthenticate(t, open(t)) })
	t.Run("CreateOrganizationWithTakenEmail", func(t *testing.T) { testRepoTakenEmail(t, open(t)) })
	t.Run("UserByEmail", func(t *testing.T) { testRepoUserByEmail(t, open(t)) })
	runBucketLifecycleContract(t, open)
}

// OrgSpec describes an organization for SeedOrganization. The zero value is a free-trial
// organization with the plan's limit and a generated admin email.
type OrgSpec struct {
	Plan        domain.Plan
	BucketLimit *int
	AdminEmail  string
}

// SeededOrg is what SeedOrganization created: the organization, its workspace, its admin (a
// member of the workspace) and a bearer token of the admin that never expires.
type SeededOrg struct {
	OrgID       string
	WorkspaceID string
	AdminID     string
	AdminEmail  string
	AdminToken  domain.Secret
}

// SeedOrganization creates an organization with one workspace, an admin and an admin token
// through any store of organizations and tokens, failing the test on error.
func SeedOrganization(t testing.TB, dir interface {
	ports.Organizations
	ports.Tokens
}, spec OrgSpec) SeededOrg {
	t.Helper()
	org := domain.Organization{ID: domain.NewID(), Plan: spec.Plan, BucketLimit: spec.BucketLimit}
	org.Name = "Organization " + org.ID[:8]
	ws := domain.Workspace{ID: domain.NewID(), OrgID: org.ID, Name: "Default"}
	admin := domain.User{ID: domain.NewID(), OrgID: org.ID, Email: spec.AdminEmail, Role: domain.RoleAdmin}
	if admin.Email == "" {
		admin.Email = "admin-" + admin.ID + "@example.test"
	}
	if err := dir.CreateOrganization(t.Context(), org, ws, admin); err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	token := domain.NewToken()
	err := dir.InsertToken(t.Context(), domain.APIToken{
		ID: domain.NewID(), UserID: admin.ID, Digest: domain.TokenDigest(token), CreatedAt: time.Now(),
	})
	if err != nil {
		t.Fatalf("InsertToken: %v", err)
	}
	return SeededOrg{OrgID: org.ID, WorkspaceID: ws.ID, AdminID: admin.ID, AdminEmail: admin.Email, AdminToken: token}
}

func testRepoInsertCounts(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{BucketLimit: repoLimit(5)})
	repoWantQuota(t, f.Store, org.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: 0, Limit: 5})
	repoMustInsert(t, f.Store, repoBucket(org, "Photos"))
	repoWantQuota(t, f.Store, org.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: 1, Limit: 5})
}

func testRepoQuotaLimit(t *testing.T, f RepositoryFixture) {
	for _, tc := range []struct {
		plan     domain.Plan
		override *int
		want     int
	}{
		{domain.PlanFreeTrial, nil, 10},
		{domain.PlanTeam, nil, 100},
		{domain.PlanEnterprise, nil, 1000},
		{domain.PlanTeam, repoLimit(3), 3},
		{domain.PlanEnterprise, repoLimit(0), 0},
	} {
		org := SeedOrganization(t, f.Store, OrgSpec{Plan: tc.plan, BucketLimit: tc.override})
		repoWantQuota(t, f.Store, org.OrgID, domain.Quota{Plan: tc.plan, Used: 0, Limit: tc.want})
	}
}

func testRepoQuotaUnknownOrg(t *testing.T, f RepositoryFixture) {
	_, err := f.Store.QuotaUsage(t.Context(), domain.NewID())
	repoWantKind(t, "QuotaUsage of an unknown organization", err, domain.KindNotFound)
}

// lookalikes are names that differ from a stored one only by case, width, compatibility forms,
// white space or invisible characters, so they have its name key, and names that do not.
var lookalikes = map[string]bool{
	"Photos": true, "photos": true, "PHOTOS": true, "Ｐｈｏｔｏｓ": true, "ｐｈｏｔｏｓ": true, "Pho\u200btos": true,
	"Straße": true, "STRASSE": true, "strasse": true, "Photos 2": false, "Videos": false, "Strase": false,
}

func testRepoNameTaken(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	repoMustInsert(t, f.Store, repoBucket(org, "Photos"))
	repoMustInsert(t, f.Store, repoBucket(org, "Straße"))
	for name, want := range lookalikes {
		got, err := f.Store.NameTaken(t.Context(), org.OrgID, name)
		if err != nil || got != want {
			t.Errorf("NameTaken(%q) = %v, %v; want %v, nil", name, got, err, want)
		}
	}
}

func testRepoPrecheckCreate(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{Plan: domain.PlanTeam, BucketLimit: repoLimit(5)})
	repoMustInsert(t, f.Store, repoBucket(org, "Photos"))
	repoMustInsert(t, f.Store, repoBucket(org, "Videos"))
	quota := domain.Quota{Plan: domain.PlanTeam, Used: 2, Limit: 5}
	for name, taken := range map[string]bool{"Photos": true, "pHOTOS": true, "ＰＨＯＴＯＳ": true, "Videos": true, "Photos 2": false, "": false} {
		got, err := f.Store.PrecheckCreate(t.Context(), org.OrgID, org.WorkspaceID, name)
		if want := (ports.CreatePrecheck{WorkspaceInOrg: true, Quota: quota, NameTaken: taken}); err != nil || got != want {
			t.Errorf("PrecheckCreate(%q) = %+v, %v; want %+v, nil", name, got, err, want)
		}
	}
	other := SeedOrganization(t, f.Store, OrgSpec{})
	if got, err := f.Store.PrecheckCreate(t.Context(), other.OrgID, other.WorkspaceID, "Photos"); err != nil || got.NameTaken || got.Quota.Used != 0 {
		t.Errorf("PrecheckCreate of another organization = %+v, %v; want no bucket and the name free", got, err)
	}
	_, err := f.Store.PrecheckCreate(t.Context(), domain.NewID(), org.WorkspaceID, "Photos")
	repoWantKind(t, "PrecheckCreate of an unknown organization", err, domain.KindNotFound)
}

func testRepoDuplicateName(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	repoMustInsert(t, f.Store, repoBucket(org, "Photos"))
	repoMustInsert(t, f.Store, repoBucket(org, "Straße"))
	for name, taken := range lookalikes {
		if !taken || name == "Photos" || name == "Straße" {
			continue
		}
		err := Insert(t.Context(), f.Store, repoBucket(org, name))
		repoWantKind(t, fmt.Sprintf("insert of %+q beside Photos and Straße", name), err, domain.KindNameTaken)
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", name)) {
			t.Errorf("NAME_TAKEN message %q does not name the name", err)
		}
	}
	repoWantQuota(t, f.Store, org.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: 2, Limit: 10})
}

func testRepoQuotaExceeded(t *testing.T, f RepositoryFixture) {
	for _, limit := range []int{0, 3} {
		org := SeedOrganization(t, f.Store, OrgSpec{BucketLimit: repoLimit(limit)})
		for i := range limit {
			repoMustInsert(t, f.Store, repoBucket(org, fmt.Sprintf("bucket-%d", i)))
		}
		err := Insert(t.Context(), f.Store, repoBucket(org, "one-too-many"))
		repoWantKind(t, fmt.Sprintf("insert beyond a limit of %d", limit), err, domain.KindQuotaExceeded)
		if want := fmt.Sprintf("%d of %d", limit, limit); err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("QUOTA_EXCEEDED message %q does not say %q", err, want)
		}
		repoWantQuota(t, f.Store, org.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: limit, Limit: limit})
	}
}

// testRepoConcurrentQuota races 50 inserts against a limit of 10, on one instance or split over
// two, and checks that exactly 10 land.
func testRepoConcurrentQuota(t *testing.T, f RepositoryFixture, twoInstances bool) {
	const limit, attempts = 10, 50
	org := SeedOrganization(t, f.Store, OrgSpec{BucketLimit: repoLimit(limit)})
	repos := []ports.BucketCreator{f.Store}
	if twoInstances {
		repos = append(repos, f.OpenAnother(t))
	}
	kinds := repoInsertConcurrently(t, repos, attempts, func(i int) domain.Bucket {
		return repoBucket(org, fmt.Sprintf("bucket-%02d", i))
	})
	if kinds["ok"] != limit || kinds[domain.KindQuotaExceeded.String()] != attempts-limit || len(kinds) != 2 {
		t.Errorf("%d concurrent inserts against a limit of %d: outcomes %v; want %d ok and %d %s",
			attempts, limit, kinds, limit, attempts-limit, domain.KindQuotaExceeded)
	}
	repoWantQuota(t, f.Store, org.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: limit, Limit: limit})
}

func testRepoConcurrentSameName(t *testing.T, f RepositoryFixture) {
	const attempts = 20
	org := SeedOrganization(t, f.Store, OrgSpec{BucketLimit: repoLimit(attempts)})
	repos := []ports.BucketCreator{f.Store, f.OpenAnother(t)}
	kinds := repoInsertConcurrently(t, repos, attempts, func(i int) domain.Bucket {
		return repoBucket(org, []string{"Shared", "SHARED", "Ｓｈａｒｅｄ"}[i%3])
	})
	if kinds["ok"] != 1 || kinds[domain.KindNameTaken.String()] != attempts-1 || len(kinds) != 2 {
		t.Errorf("%d concurrent inserts of one name: outcomes %v; want 1 ok and %d %s",
			attempts, kinds, attempts-1, domain.KindNameTaken)
	}
	repoWantQuota(t, f.Store, org.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: 1, Limit: attempts})
}

func testRepoWorkspaceInOrg(t *testing.T, f RepositoryFixture) {
	a := SeedOrganization(t, f.Store, OrgSpec{})
	b := SeedOrganization(t, f.Store, OrgSpec{})
	for _, tc := range []struct {
		what    string
		org, ws string
		want    bool
	}{
		{"the organization's own workspace", a.OrgID, a.WorkspaceID, true},
		{"its own workspace id in upper case", a.OrgID, strings.ToUpper(a.WorkspaceID), true},
		{"another organization's workspace", a.OrgID, b.WorkspaceID, false},
		{"an unknown workspace id", a.OrgID, domain.NewID(), false},
		{"a malformed workspace id", a.OrgID, "not-a-uuid", false},
		{"a workspace asked for under an unknown organization", domain.NewID(), a.WorkspaceID, false},
	} {
		got, err := f.Store.WorkspaceInOrg(t.Context(), tc.org, tc.ws)
		if err != nil || got != tc.want {
			t.Errorf("%s: WorkspaceInOrg = %v, %v; want %v, nil", tc.what, got, err, tc.want)
		}
		// PrecheckCreate answers the same question for a create; of an unknown organization it has no
		// quota to read, and says so.
		pre, err := f.Store.PrecheckCreate(t.Context(), tc.org, tc.ws, "Photos")
		if tc.org != a.OrgID {
			repoWantKind(t, tc.what+": PrecheckCreate", err, domain.KindNotFound)
		} else if err != nil || pre.WorkspaceInOrg != tc.want {
			t.Errorf("%s: PrecheckCreate = %+v, %v; want WorkspaceInOrg %v", tc.what, pre, err, tc.want)
		}
	}
}

func testRepoForeignWorkspace(t *testing.T, f RepositoryFixture) {
	a := SeedOrganization(t, f.Store, OrgSpec{})
	b := SeedOrganization(t, f.Store, OrgSpec{})
	bucket := repoBucket(a, "Photos")
	bucket.WorkspaceID = b.WorkspaceID
	err := Insert(t.Context(), f.Store, bucket)
	repoWantKind(t, "insert into another organization's workspace", err, domain.KindWorkspaceNotFound)
	repoWantQuota(t, f.Store, a.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: 0, Limit: 10})
	repoWantQuota(t, f.Store, b.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: 0, Limit: 10})
}

func testRepoIsolation(t *testing.T, f RepositoryFixture) {
	a := SeedOrganization(t, f.Store, OrgSpec{BucketLimit: repoLimit(2)})
	b := SeedOrganization(t, f.Store, OrgSpec{BucketLimit: repoLimit(2)})
	repoMustInsert(t, f.Store, repoBucket(a, "Shared"))
	repoMustInsert(t, f.Store, repoBucket(a, "Other"))
	if taken, err := f.Store.NameTaken(t.Context(), b.OrgID, "Shared"); err != nil || taken {
		t.Errorf("NameTaken in organization B of a name used in A = %v, %v; want false, nil", taken, err)
	}
	repoWantQuota(t, f.Store, b.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: 0, Limit: 2})
	repoMustInsert(t, f.Store, repoBucket(b, "Shared"))
	repoMustInsert(t, f.Store, repoBucket(b, "other"))
	repoWantQuota(t, f.Store, a.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: 2, Limit: 2})
	repoWantQuota(t, f.Store, b.OrgID, domain.Quota{Plan: domain.PlanFreeTrial, Used: 2, Limit: 2})
}

func testRepoSealedBytes(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	bucket := repoBucket(org, "Photos")
	// Every byte value, including NUL and bytes that are not UTF-8, must survive unchanged.
	bucket.SealedKey = make([]byte, 256)
	for i := range bucket.SealedKey {
		bucket.SealedKey[i] = byte(i)
	}
	bucket.SealedSecret = append([]byte{0x00, 0xff, 0xfe, 0x00}, repoRandomBytes(60)...)
	repoMustInsert(t, f.Store, bucket)
	key, secret := f.StoredSealed(t, bucket.ID)
	if !bytes.Equal(key, bucket.SealedKey) {
		t.Errorf("stored sealed_key = %x; want %x", key, bucket.SealedKey)
	}
	if !bytes.Equal(secret, bucket.SealedSecret) {
		t.Errorf("stored sealed_secret = %x; want %x", secret, bucket.SealedSecret)
	}
}

func testRepoAuthenticate(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	p, err := f.Store.Authenticate(t.Context(), org.AdminToken)
	// The organization's first admin is an ADMIN of its first workspace.
	want := domain.Principal{UserID: org.AdminID, OrgID: org.OrgID, Role: domain.RoleAdmin,
		Workspaces: map[string]domain.WorkspaceRole{org.WorkspaceID: domain.WorkspaceAdmin}}
	if err != nil || p.UserID != want.UserID || p.OrgID != want.OrgID || p.Role != want.Role || !maps.Equal(p.Workspaces, want.Workspaces) {
		t.Fatalf("Authenticate(valid token) = %+v, %v; want %+v, nil", p, err, want)
	}

	expired := repoInsertToken(t, f.Store, org.AdminID, time.Now().Add(-time.Minute))
	notYet := repoInsertToken(t, f.Store, org.AdminID, time.Now().Add(time.Hour))
	if p, err := f.Store.Authenticate(t.Context(), notYet); err != nil || p.UserID != org.AdminID {
		t.Errorf("Authenticate(token expiring in an hour) = %+v, %v; want the admin", p, err)
	}

	var messages []string
	for name, token := range map[string]domain.Secret{
		"unknown": domain.NewToken(), "expired": expired, "empty": domain.NewSecret(""),
	} {
		p, err := f.Store.Authenticate(t.Context(), token)
		repoWantKind(t, "Authenticate("+name+" token)", err, domain.KindUnauthenticated)
		if p.UserID != "" || p.OrgID != "" {
			t.Errorf("Authenticate(%s token) returned principal %+v beside its error", name, p)
		}
		if err != nil {
			if token.Reveal() != "" && strings.Contains(err.Error(), token.Reveal()) {
				t.Errorf("Authenticate(%s token) error contains the token", name)
			}
			messages = append(messages, err.Error())
		}
	}
	for _, m := range messages[1:] {
		if m != messages[0] {
			t.Errorf("unusable tokens get different messages (%q, %q); they must not tell unknown from expired", messages[0], m)
		}
	}
}

func testRepoTakenEmail(t *testing.T, f RepositoryFixture) {
	first := SeedOrganization(t, f.Store, OrgSpec{})
	org := domain.Organization{ID: domain.NewID(), Name: "Second", Plan: domain.PlanFreeTrial}
	ws := domain.Workspace{ID: domain.NewID(), OrgID: org.ID, Name: "Default"}
	admin := domain.User{ID: domain.NewID(), OrgID: org.ID, Email: strings.ToUpper(first.AdminEmail), Role: domain.RoleAdmin}
	err := f.Store.CreateOrganization(t.Context(), org, ws, admin)
	repoWantKind(t, "CreateOrganization with an email in use (in another case)", err, domain.KindInvalidInput)
	// All or nothing: the organization must not exist without its admin.
	_, err = f.Store.QuotaUsage(t.Context(), org.ID)
	repoWantKind(t, "QuotaUsage of the organization whose creation failed", err, domain.KindNotFound)
}

func testRepoUserByEmail(t *testing.T, f RepositoryFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{AdminEmail: "Ada.Lovelace-" + domain.NewID() + "@Example.test"})
	u, err := f.Store.UserByEmail(t.Context(), strings.ToLower(org.AdminEmail))
	want := domain.User{ID: org.AdminID, OrgID: org.OrgID, Email: org.AdminEmail, Role: domain.RoleAdmin}
	if err != nil || u != want {
		t.Errorf("UserByEmail(lower case) = %+v, %v; want %+v, nil", u, err, want)
	}
	_, err = f.Store.UserByEmail(t.Context(), "nobody-"+domain.NewID()+"@example.test")
	repoWantKind(t, "UserByEmail of an unknown address", err, domain.KindNotFound)
}

// repoInsertConcurrently starts n inserts at once, spread round-robin over repos, and counts
// the outcomes by error kind ("ok" for success).
func repoInsertConcurrently(t *testing.T, repos []ports.BucketCreator, n int, bucket func(i int) domain.Bucket) map[string]int {
	t.Helper()
	var (
		mu    sync.Mutex
		kinds = map[string]int{}
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			b := bucket(i)
			<-start
			err := Insert(t.Context(), repos[i%len(repos)], b)
			outcome := "ok"
			if err != nil {
				outcome = domain.KindOf(err).String()
				if domain.KindOf(err) == domain.KindInternal || domain.KindOf(err) == domain.KindUnavailable {
					t.Errorf("concurrent insert %d: %v", i, err)
				}
			}
			mu.Lock()
			kinds[outcome]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return kinds
}

// repoInsertToken stores a new token of the user that expires at expiry.
func repoInsertToken(t *testing.T, dir ports.Tokens, userID string, expiry time.Time) domain.Secret {
	t.Helper()
	token := domain.NewToken()
	err := dir.InsertToken(t.Context(), domain.APIToken{
		ID: domain.NewID(), UserID: userID, Digest: domain.TokenDigest(token), CreatedAt: time.Now(), ExpiresAt: &expiry,
	})
	if err != nil {
		t.Fatalf("InsertToken: %v", err)
	}
	return token
}

// Insert stores b with the audit event of its creation, as the create use case does.
func Insert(ctx context.Context, repo ports.BucketCreator, b domain.Bucket) error {
	return repo.InsertWithinQuota(ctx, b, CreatedEvent(ctx, b))
}

// CreatedEvent is the audit event of b's creation by no particular user.
func CreatedEvent(ctx context.Context, b domain.Bucket) domain.AuditEvent {
	return domain.NewAuditEvent(ctx, time.Now(), domain.AuditCreate, b.OrgID, "", b.ID, nil)
}

// repoBucket returns a new bucket of the organization. Its Version is 1, the version a store
// gives every bucket it inserts, so the value is also the bucket as a Get after the insert
// returns it.
func repoBucket(org SeededOrg, name string) domain.Bucket {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return domain.Bucket{
		ID:                   domain.NewID(),
		OrgID:                org.OrgID,
		WorkspaceID:          org.WorkspaceID,
		Name:                 name,
		Bucket:               "contract-bucket",
		StorageType:          domain.StorageS3,
		StorageTypeSpelling:  "S3",
		Region:               "us-east-1",
		KeyHint:              "AKIA…MPLE",
		Status:               domain.StatusOnline,
		LastStatusAt:         &now,
		CreatedAt:            now,
		UpdatedAt:            now,
		Version:              1,
		SecretFingerprint:    "fp-" + domain.NewID()[:19],
		SecretVersion:        1,
		CredentialsUpdatedAt: &now,
		SealedKey:            repoRandomBytes(48),
		SealedSecret:         repoRandomBytes(64),
	}
}

func repoMustInsert(t *testing.T, repo ports.BucketCreator, b domain.Bucket) {
	t.Helper()
	if err := Insert(t.Context(), repo, b); err != nil {
		t.Fatalf("InsertWithinQuota(%q): %v", b.Name, err)
	}
}

func repoWantQuota(t *testing.T, repo ports.BucketCreator, orgID string, want domain.Quota) {
	t.Helper()
	got, err := repo.QuotaUsage(t.Context(), orgID)
	if err != nil || got != want {
		t.Errorf("QuotaUsage = %+v, %v; want %+v, nil", got, err, want)
	}
}

func repoWantKind(t *testing.T, what string, err error, want domain.Kind) {
	t.Helper()
	if !domain.IsKind(err, want) {
		t.Errorf("%s: error %v (kind %s); want kind %s", what, err, domain.KindOf(err), want)
	}
}

func repoLimit(n int) *int { return &n }

func repoRandomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return b
}
