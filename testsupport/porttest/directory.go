package porttest

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// RunDirectoryContract checks the administration ports (ports.Organizations, ports.Workspaces,
// ports.Users, ports.Tokens): organizations are listed with their live bucket counts and take a
// new plan or limit at once, even a limit below their usage; workspaces, users and memberships
// stay inside one organization; a new role or membership and a revoked token take effect on the
// next Authenticate; and every unknown or malformed id or email is an error of the documented
// kind that names it. open returns a ready, migrated store on a database other subtests may
// share; each subtest calls it once.
func RunDirectoryContract(t *testing.T, open func(t *testing.T) RepositoryStore) {
	t.Helper()
	t.Run("ListOrganizationsCountsLiveBuckets", func(t *testing.T) { testDirListOrganizations(t, open(t)) })
	t.Run("UpdateOrganizationAppliesToQuota", func(t *testing.T) { testDirUpdateOrganization(t, open(t)) })
	t.Run("UpdateOrganizationRejects", func(t *testing.T) { testDirUpdateOrganizationRejects(t, open(t)) })
	t.Run("WorkspacesOfOneOrganization", func(t *testing.T) { testDirWorkspaces(t, open(t)) })
	t.Run("UsersOfOneOrganization", func(t *testing.T) { testDirUsers(t, open(t)) })
	t.Run("SetRoleAppliesToNextRequest", func(t *testing.T) { testDirSetRole(t, open(t)) })
	t.Run("MembershipsApplyToNextRequest", func(t *testing.T) { testDirMemberships(t, open(t)) })
	t.Run("ListTokensWithoutDigests", func(t *testing.T) { testDirListTokens(t, open(t)) })
	t.Run("RevokedTokenIsRefused", func(t *testing.T) { testDirRevokeToken(t, open(t)) })
	t.Run("RevokeEveryTokenOfUser", func(t *testing.T) { testDirRevokeUserTokens(t, open(t)) })
	t.Run("UnknownIDsAreNamed", func(t *testing.T) { testDirUnknownIDs(t, open(t)) })
}

func testDirListOrganizations(t *testing.T, s RepositoryStore) {
	a := SeedOrganization(t, s, OrgSpec{Plan: domain.PlanTeam, BucketLimit: repoLimit(7)})
	b := SeedOrganization(t, s, OrgSpec{})
	repoMustInsert(t, s, repoBucket(a, "Kept"))
	deleted := repoBucket(a, "Deleted")
	repoMustInsert(t, s, deleted)
	if err := s.Delete(t.Context(), a.OrgID, deleted.ID, time.Now()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	orgs, err := s.ListOrganizations(t.Context())
	if err != nil {
		t.Fatalf("ListOrganizations: %v", err)
	}
	ia := slices.IndexFunc(orgs, func(o ports.OrganizationRecord) bool { return o.ID == a.OrgID })
	ib := slices.IndexFunc(orgs, func(o ports.OrganizationRecord) bool { return o.ID == b.OrgID })
	if ia < 0 || ib < 0 || ia > ib {
		t.Fatalf("ListOrganizations holds the first organization at %d and the second at %d; want both, oldest first", ia, ib)
	}
	got := orgs[ia]
	if got.Plan != domain.PlanTeam || got.BucketLimit == nil || *got.BucketLimit != 7 || got.Buckets != 1 ||
		!strings.HasPrefix(got.Name, "Organization ") || time.Since(got.CreatedAt) > time.Hour || got.CreatedAt.Location() != time.UTC {
		t.Errorf("listed organization = %+v; want TEAM with limit 7, 1 live bucket and a UTC creation time of now", got)
	}
	if q := got.Quota(); q != (domain.Quota{Plan: domain.PlanTeam, Used: 1, Limit: 7}) {
		t.Errorf("Quota of the listed organization = %+v; want 1 of 7 on TEAM", q)
	}
	if other := orgs[ib]; other.BucketLimit != nil || other.Plan != domain.PlanFreeTrial || other.Buckets != 0 {
		t.Errorf("second listed organization = %+v; want FREE_TRIAL without limit and without buckets", other)
	}
}

func testDirUpdateOrganization(t *testing.T, s RepositoryStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	repoMustInsert(t, s, repoBucket(org, "One"))
	repoMustInsert(t, s, repoBucket(org, "Two"))
	steps := []struct {
		what   string
		change ports.OrganizationChange
		plan   domain.Plan
		limit  *int
		quota  int
	}{
		{"a new plan keeps the absent limit", ports.OrganizationChange{Plan: domain.PlanTeam}, domain.PlanTeam, nil, 100},
		{"a limit below the usage", ports.OrganizationChange{BucketLimit: repoLimit(1)}, domain.PlanTeam, repoLimit(1), 1},
		{"a new plan keeps the limit", ports.OrganizationChange{Plan: domain.PlanEnterprise}, domain.PlanEnterprise, repoLimit(1), 1},
		{"a cleared limit", ports.OrganizationChange{ClearBucketLimit: true}, domain.PlanEnterprise, nil, 1000},
		{"a limit of zero and a plan at once", ports.OrganizationChange{Plan: domain.PlanFreeTrial, BucketLimit: repoLimit(0)}, domain.PlanFreeTrial, repoLimit(0), 0},
		{"no change, with an upper-case id", ports.OrganizationChange{}, domain.PlanFreeTrial, repoLimit(0), 0},
	}
	for _, step := range steps {
		id := org.OrgID
		if step.change == (ports.OrganizationChange{}) {
			id = strings.ToUpper(id)
		}
		got, err := s.UpdateOrganization(t.Context(), id, step.change)
		if err != nil {
			t.Fatalf("%s: UpdateOrganization: %v", step.what, err)
		}
		if got.ID != org.OrgID || got.Plan != step.plan || !reflect.DeepEqual(got.BucketLimit, step.limit) || got.Buckets != 2 {
			t.Errorf("%s: UpdateOrganization = %+v; want plan %s, limit %v and 2 buckets", step.what, got, step.plan, step.limit)
		}
		want := domain.Quota{Plan: step.plan, Used: 2, Limit: step.quota}
		repoWantQuota(t, s, org.OrgID, want)
		if got.Quota() != want {
			t.Errorf("%s: the returned record's Quota = %+v; want %+v", step.what, got.Quota(), want)
		}
	}
	// Over the limit, the buckets stay and a create is refused.
	err := Insert(t.Context(), s, repoBucket(org, "Three"))
	repoWantKind(t, "insert over a lowered limit", err, domain.KindQuotaExceeded)
	if page, err := s.List(t.Context(), org.OrgID, domain.BucketQuery{}); err != nil || len(page.Buckets) != 2 {
		t.Errorf("List over the lowered limit = %+v, %v; want both buckets still there", page, err)
	}
}

func testDirUpdateOrganizationRejects(t *testing.T, s RepositoryStore) {
	org := SeedOrganization(t, s, OrgSpec{Plan: domain.PlanTeam, BucketLimit: repoLimit(5)})
	for _, tc := range []struct {
		what   string
		id     string
		change ports.OrganizationChange
		kind   domain.Kind
	}{
		{"an unknown plan", org.OrgID, ports.OrganizationChange{Plan: "GOLD"}, domain.KindInvalidInput},
		{"a negative limit", org.OrgID, ports.OrganizationChange{BucketLimit: repoLimit(-1)}, domain.KindInvalidInput},
		{"a limit and its removal", org.OrgID, ports.OrganizationChange{BucketLimit: repoLimit(3), ClearBucketLimit: true}, domain.KindInvalidInput},
		{"an unknown organization", domain.NewID(), ports.OrganizationChange{Plan: domain.PlanTeam}, domain.KindNotFound},
		{"a malformed id", "acme'; --", ports.OrganizationChange{Plan: domain.PlanTeam}, domain.KindNotFound},
	} {
		_, err := s.UpdateOrganization(t.Context(), tc.id, tc.change)
		repoWantKind(t, "UpdateOrganization with "+tc.what, err, tc.kind)
		if tc.kind == domain.KindNotFound && err != nil && !strings.Contains(err.Error(), tc.id) {
			t.Errorf("UpdateOrganization with %s: %q does not name %q", tc.what, err, tc.id)
		}
	}
	repoWantQuota(t, s, org.OrgID, domain.Quota{Plan: domain.PlanTeam, Used: 0, Limit: 5})
}

func testDirWorkspaces(t *testing.T, s RepositoryStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	other := SeedOrganization(t, s, OrgSpec{})
	second := domain.Workspace{ID: domain.NewID(), OrgID: strings.ToUpper(org.OrgID), Name: "Second"}
	if err := s.CreateWorkspace(t.Context(), second); err != nil {
		t.Fatalf("CreateWorkspace: %v", err)
	}
	b := repoBucket(org, "In second")
	b.WorkspaceID = second.ID
	repoMustInsert(t, s, b)
	repoMustInsert(t, s, repoBucket(org, "In default"))
	repoMustInsert(t, s, repoBucket(org, "Another in default"))

	got, err := s.ListWorkspaces(t.Context(), org.OrgID)
	if err != nil {
		t.Fatalf("ListWorkspaces: %v", err)
	}
	want := []ports.WorkspaceRecord{
		{Workspace: domain.Workspace{ID: org.WorkspaceID, OrgID: org.OrgID, Name: "Default"}, Members: 1, Buckets: 2},
		{Workspace: domain.Workspace{ID: second.ID, OrgID: org.OrgID, Name: "Second"}, Members: 0, Buckets: 1},
	}
	for i := range got {
		if time.Since(got[i].CreatedAt) > time.Hour || got[i].CreatedAt.Location() != time.UTC {
			t.Errorf("workspace %s was created at %s; want a UTC time of now", got[i].ID, got[i].CreatedAt)
		}
		got[i].CreatedAt = time.Time{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListWorkspaces = %+v; want %+v, oldest first and without the other organization's", got, want)
	}
	if ws, err := s.ListWorkspaces(t.Context(), other.OrgID); err != nil || len(ws) != 1 || ws[0].ID != other.WorkspaceID {
		t.Errorf("ListWorkspaces of the other organization = %+v, %v; want only its own workspace", ws, err)
	}
}

func testDirUsers(t *testing.T, s RepositoryStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	other := SeedOrganization(t, s, OrgSpec{})
	second := dirAddWorkspace(t, s, org.OrgID)
	member := dirUser(strings.ToUpper(org.OrgID), domain.RoleMember)
	if err := s.AddUser(t.Context(), member, []string{second, org.WorkspaceID}); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	loner := dirUser(org.OrgID, domain.RoleMember)
	if err := s.AddUser(t.Context(), loner, nil); err != nil {
		t.Fatalf("AddUser without workspaces: %v", err)
	}
	got, err := s.ListUsers(t.Context(), org.OrgID)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	member.OrgID = org.OrgID
	workspaces := []string{second, org.WorkspaceID}
	slices.Sort(workspaces)
	want := []ports.UserRecord{
		{User: domain.User{ID: org.AdminID, OrgID: org.OrgID, Email: org.AdminEmail, Role: domain.RoleAdmin}, Workspaces: []string{org.WorkspaceID}},
		{User: member, Workspaces: workspaces},
		{User: loner},
	}
	for i := range got {
		got[i].CreatedAt = time.Time{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListUsers = %+v; want %+v, oldest first with sorted workspaces", got, want)
	}
	if users, err := s.ListUsers(t.Context(), other.OrgID); err != nil || len(users) != 1 || users[0].ID != other.AdminID {
		t.Errorf("ListUsers of the other organization = %+v, %v; want only its admin", users, err)
	}
}

func testDirSetRole(t *testing.T, s RepositoryStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	for _, role := range []domain.Role{domain.RoleMember, domain.RoleAdmin} {
		if err := s.SetRole(t.Context(), strings.ToUpper(org.AdminID), role); err != nil {
			t.Fatalf("SetRole(%s): %v", role, err)
		}
		if p := dirAuthenticate(t, s, org.AdminToken); p.Role != role {
			t.Errorf("Authenticate after SetRole(%s) = role %s", role, p.Role)
		}
	}
	repoWantKind(t, "SetRole to an unknown role", s.SetRole(t.Context(), org.AdminID, "OWNER"), domain.KindInvalidInput)
	if u, err := s.UserByEmail(t.Context(), org.AdminEmail); err != nil || u.Role != domain.RoleAdmin {
		t.Errorf("after a refused SetRole the user is %+v, %v; want ADMIN still", u, err)
	}
}

func testDirMemberships(t *testing.T, s RepositoryStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	other := SeedOrganization(t, s, OrgSpec{})
	second := dirAddWorkspace(t, s, org.OrgID)
	for _, step := range []struct {
		what    string
		change  func(ctx context.Context, userID, workspaceID string) (bool, error)
		changed bool
		want    []string
	}{
		{"AddMembership", addAsWriter(s), true, []string{org.WorkspaceID, second}},
		{"AddMembership again", addAsWriter(s), false, []string{org.WorkspaceID, second}},
		{"RemoveMembership", s.RemoveMembership, true, []string{second}},
		{"RemoveMembership again", s.RemoveMembership, false, []string{second}},
	} {
		workspace := second
		if strings.HasPrefix(step.what, "Remove") {
			workspace = strings.ToUpper(org.WorkspaceID)
		}
		changed, err := step.change(t.Context(), org.AdminID, workspace)
		if err != nil || changed != step.changed {
			t.Errorf("%s = %v, %v; want %v, nil", step.what, changed, err, step.changed)
		}
		slices.Sort(step.want)
		if p := dirAuthenticate(t, s, org.AdminToken); !slices.Equal(p.WorkspaceIDs(), step.want) {
			t.Errorf("workspaces after %s = %v; want %v", step.what, p.Workspaces, step.want)
		}
	}
	for _, tc := range []struct {
		what, user, workspace string
		kind                  domain.Kind
	}{
		{"another organization's workspace", org.AdminID, other.WorkspaceID, domain.KindWorkspaceNotFound},
		{"an unknown workspace", org.AdminID, domain.NewID(), domain.KindWorkspaceNotFound},
		{"a malformed workspace id", org.AdminID, "../" + second, domain.KindWorkspaceNotFound},
		{"an unknown user", domain.NewID(), second, domain.KindNotFound},
		{"a malformed user id", "admin", second, domain.KindNotFound},
	} {
		for name, change := range map[string]func(context.Context, string, string) (bool, error){
			"AddMembership": addAsWriter(s), "RemoveMembership": s.RemoveMembership,
		} {
			changed, err := change(t.Context(), tc.user, tc.workspace)
			repoWantKind(t, name+" with "+tc.what, err, tc.kind)
			if changed {
				t.Errorf("%s with %s reported a change", name, tc.what)
			}
			named := tc.workspace
			if tc.kind == domain.KindNotFound {
				named = tc.user
			}
			if err != nil && !strings.Contains(err.Error(), named) {
				t.Errorf("%s with %s: %q does not name %q", name, tc.what, err, named)
			}
		}
	}
	if p := dirAuthenticate(t, s, other.AdminToken); !slices.Equal(p.WorkspaceIDs(), []string{other.WorkspaceID}) {
		t.Errorf("the other organization's admin is in workspaces %v; want only its own", p.Workspaces)
	}
}

// addAsWriter is the store's AddMembership with the default role.
func addAsWriter(s RepositoryStore) func(ctx context.Context, userID, workspaceID string) (bool, error) {
	return func(ctx context.Context, userID, workspaceID string) (bool, error) {
		return s.AddMembership(ctx, userID, workspaceID, domain.DefaultWorkspaceRole)
	}
}

func testDirListTokens(t *testing.T, s RepositoryStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	other := SeedOrganization(t, s, OrgSpec{})
	expiry := time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond)
	repoInsertToken(t, s, org.AdminID, expiry)
	dirAuthenticate(t, s, org.AdminToken)

	tokens, err := s.ListTokens(t.Context(), strings.ToUpper(org.AdminID))
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	if len(tokens) != 2 {
		t.Fatalf("ListTokens = %+v; want the admin's 2 tokens", tokens)
	}
	used, expiring := tokens[0], tokens[1]
	if used.UserID != org.AdminID || used.LastUsedAt == nil || used.ExpiresAt != nil || used.RevokedAt != nil || !domain.IsID(used.ID) {
		t.Errorf("first token = %+v; want the seeded token, used, without expiry or revocation", used)
	}
	if expiring.ExpiresAt == nil || !expiring.ExpiresAt.Equal(expiry) || expiring.LastUsedAt != nil || expiring.CreatedAt.Before(used.CreatedAt) {
		t.Errorf("second token = %+v; want the newer token, unused, expiring at %s", expiring, expiry)
	}
	for _, tok := range tokens {
		if tok.State(time.Now()) != ports.TokenActive {
			t.Errorf("token %s is %s; want ACTIVE", tok.ID, tok.State(time.Now()))
		}
	}
	if others, err := s.ListTokens(t.Context(), other.AdminID); err != nil || len(others) != 1 || others[0].ID == used.ID {
		t.Errorf("ListTokens of another user = %+v, %v; want only that user's one token", others, err)
	}
}

func testDirRevokeToken(t *testing.T, s RepositoryStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	kept := repoInsertToken(t, s, org.AdminID, time.Now().Add(time.Hour))
	id := dirOldestTokenID(t, s, org.AdminID)
	first := time.Now().UTC().Truncate(time.Microsecond)

	revoked, err := s.RevokeToken(t.Context(), strings.ToUpper(id), first)
	if err != nil || revoked.ID != id || revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(first) || revoked.State(time.Now()) != ports.TokenRevoked {
		t.Fatalf("RevokeToken = %+v, %v; want token %s revoked at %s", revoked, err, id, first)
	}
	_, err = s.Authenticate(t.Context(), org.AdminToken)
	repoWantKind(t, "Authenticate with a revoked token", err, domain.KindUnauthenticated)
	dirAuthenticate(t, s, kept)

	again, err := s.RevokeToken(t.Context(), id, first.Add(time.Hour))
	if err != nil || again.RevokedAt == nil || !again.RevokedAt.Equal(first) {
		t.Errorf("a second RevokeToken = %+v, %v; want the first revocation time %s kept", again, err, first)
	}
}

func testDirRevokeUserTokens(t *testing.T, s RepositoryStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	other := SeedOrganization(t, s, OrgSpec{})
	second := repoInsertToken(t, s, org.AdminID, time.Now().Add(time.Hour))
	if _, err := s.RevokeToken(t.Context(), dirOldestTokenID(t, s, org.AdminID), time.Now()); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	repoInsertToken(t, s, org.AdminID, time.Now().Add(-time.Minute)) // expired, not revoked

	n, err := s.RevokeUserTokens(t.Context(), org.AdminID, time.Now())
	if err != nil || n != 2 {
		t.Errorf("RevokeUserTokens = %d, %v; want the 2 tokens not revoked yet", n, err)
	}
	for name, token := range map[string]domain.Secret{"first": org.AdminToken, "second": second} {
		_, err := s.Authenticate(t.Context(), token)
		repoWantKind(t, "Authenticate with the "+name+" token", err, domain.KindUnauthenticated)
	}
	dirAuthenticate(t, s, other.AdminToken)
	if n, err := s.RevokeUserTokens(t.Context(), strings.ToUpper(org.AdminID), time.Now()); err != nil || n != 0 {
		t.Errorf("RevokeUserTokens again = %d, %v; want 0, nil", n, err)
	}
}

func testDirUnknownIDs(t *testing.T, s RepositoryStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	unknown := domain.NewID()
	for _, tc := range []struct {
		what string
		call func(id string) error
		kind domain.Kind
	}{
		{"ListWorkspaces", func(id string) error { _, err := s.ListWorkspaces(t.Context(), id); return err }, domain.KindNotFound},
		{"ListUsers", func(id string) error { _, err := s.ListUsers(t.Context(), id); return err }, domain.KindNotFound},
		{"CreateWorkspace", func(id string) error {
			return s.CreateWorkspace(t.Context(), domain.Workspace{ID: domain.NewID(), OrgID: id, Name: "W"})
		}, domain.KindNotFound},
		{"AddUser", func(id string) error { return s.AddUser(t.Context(), dirUser(id, domain.RoleMember), nil) }, domain.KindNotFound},
		{"AddUser into the workspace", func(id string) error {
			return s.AddUser(t.Context(), dirUser(org.OrgID, domain.RoleMember), []string{org.WorkspaceID, id})
		}, domain.KindWorkspaceNotFound},
		{"SetRole", func(id string) error { return s.SetRole(t.Context(), id, domain.RoleAdmin) }, domain.KindNotFound},
		{"ListTokens", func(id string) error { _, err := s.ListTokens(t.Context(), id); return err }, domain.KindNotFound},
		{"RevokeToken", func(id string) error { _, err := s.RevokeToken(t.Context(), id, time.Now()); return err }, domain.KindNotFound},
		{"RevokeUserTokens", func(id string) error { _, err := s.RevokeUserTokens(t.Context(), id, time.Now()); return err }, domain.KindNotFound},
	} {
		for _, id := range []string{unknown, "not-a-uuid"} {
			err := tc.call(id)
			repoWantKind(t, tc.what+" of "+id, err, tc.kind)
			if err != nil && !strings.Contains(err.Error(), id) {
				t.Errorf("%s of %s: %q does not name it", tc.what, id, err)
			}
		}
	}
	if users, err := s.ListUsers(t.Context(), org.OrgID); err != nil || len(users) != 1 {
		t.Errorf("after the refused calls the organization has users %+v, %v; want only its admin", users, err)
	}
}

// dirUser returns a new user of the organization with a unique email.
func dirUser(orgID string, role domain.Role) domain.User {
	id := domain.NewID()
	return domain.User{ID: id, OrgID: orgID, Email: "user-" + id + "@example.test", Role: role}
}

func dirAddWorkspace(t *testing.T, s RepositoryStore, orgID string) string {
	t.Helper()
	ws := domain.Workspace{ID: domain.NewID(), OrgID: orgID, Name: "Second"}
	if err := s.CreateWorkspace(t.Context(), ws); err != nil {
		t.Fatalf("CreateWorkspace: %v", err)
	}
	return ws.ID
}

func dirAuthenticate(t *testing.T, s RepositoryStore, token domain.Secret) domain.Principal {
	t.Helper()
	p, err := s.Authenticate(t.Context(), token)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return p
}

// dirOldestTokenID returns the id of the user's oldest token.
func dirOldestTokenID(t *testing.T, s RepositoryStore, userID string) string {
	t.Helper()
	tokens, err := s.ListTokens(t.Context(), userID)
	if err != nil || len(tokens) == 0 {
		t.Fatalf("ListTokens = %+v, %v; want the user's tokens", tokens, err)
	}
	return tokens[0].ID
}
