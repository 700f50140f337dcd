package app_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/mocks"
)

// adminStore is the four administration ports as mocks. Their controller fails the test on
// any call it did not expect, which is how the tests prove that a refusal stops the sequence.
type adminStore struct {
	orgs       *mocks.MockOrganizations
	workspaces *mocks.MockWorkspaces
	users      *mocks.MockUsers
	tokens     *mocks.MockTokens
}

func newAdminStore(ctrl *gomock.Controller) *adminStore {
	return &adminStore{
		orgs:       mocks.NewMockOrganizations(ctrl),
		workspaces: mocks.NewMockWorkspaces(ctrl),
		users:      mocks.NewMockUsers(ctrl),
		tokens:     mocks.NewMockTokens(ctrl),
	}
}

// deps are the AdminDeps with the four ports and nothing else.
func (s *adminStore) deps() app.AdminDeps {
	return app.AdminDeps{Organizations: s.orgs, Workspaces: s.workspaces, Users: s.users, Tokens: s.tokens}
}

func newAdmin(t *testing.T) (*app.Admin, *adminStore, *bytes.Buffer) {
	t.Helper()
	store := newAdminStore(gomock.NewController(t))
	logs := &bytes.Buffer{}
	deps := store.deps()
	deps.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	deps.Now = func() time.Time { return clock }
	a, err := app.NewAdmin(deps)
	if err != nil {
		t.Fatalf("NewAdmin: %v", err)
	}
	return a, store, logs
}

func TestNewAdminRejectsMissingPorts(t *testing.T) {
	store := newAdminStore(gomock.NewController(t))
	for _, tt := range []struct {
		change func(*app.AdminDeps)
		want   string
	}{
		{func(d *app.AdminDeps) { d.Organizations = nil }, "Organizations is nil"},
		{func(d *app.AdminDeps) { d.Workspaces = nil }, "Workspaces is nil"},
		{func(d *app.AdminDeps) { d.Users = nil }, "Users is nil"},
		{func(d *app.AdminDeps) { d.Tokens = nil }, "Tokens is nil"},
	} {
		deps := store.deps()
		tt.change(&deps)
		if a, err := app.NewAdmin(deps); err == nil || a != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewAdmin = %v, %v; want an error containing %q", a, err, tt.want)
		}
	}
	if _, err := app.NewAdmin(store.deps()); err != nil {
		t.Fatalf("NewAdmin with every port: %v", err)
	}
}

// wantStoredToken checks the stored row holds the digest of the token handed back, and not
// the token itself.
func wantStoredToken(t *testing.T, stored domain.APIToken, token domain.Secret, userID string, expires *time.Time) {
	t.Helper()
	if !strings.HasPrefix(token.Reveal(), "bkd_") {
		t.Errorf("token does not look like a bucketd token")
	}
	if !bytes.Equal(stored.Digest, domain.TokenDigest(token)) {
		t.Errorf("stored digest is not the digest of the returned token")
	}
	if bytes.Contains(stored.Digest, []byte(token.Reveal())) {
		t.Errorf("stored digest contains the token")
	}
	if stored.UserID != userID || !domain.IsID(stored.ID) || !stored.CreatedAt.Equal(clock) {
		t.Errorf("stored token = {ID:%s UserID:%s CreatedAt:%s}, want a fresh id for user %s at %s",
			stored.ID, stored.UserID, stored.CreatedAt, userID, clock)
	}
	if (stored.ExpiresAt == nil) != (expires == nil) || expires != nil && !stored.ExpiresAt.Equal(*expires) {
		t.Errorf("stored expiry = %v, want %v", stored.ExpiresAt, expires)
	}
}

func TestBootstrapCreatesOrganizationAndStoresOnlyTokenDigest(t *testing.T) {
	limit := 25
	tests := []struct {
		name      string
		req       app.BootstrapOrg
		wantPlan  domain.Plan
		wantLimit *int
		wantWS    string
	}{
		{"given everything",
			app.BootstrapOrg{OrgName: "  Acme Corp ", Email: " Ops@Acme.Example ", Plan: "TEAM", BucketLimit: &limit, WorkspaceName: "production"},
			domain.PlanTeam, &limit, "production"},
		{"defaults",
			app.BootstrapOrg{OrgName: "Acme Corp", Email: "ops@acme.example"},
			domain.PlanFreeTrial, nil, app.DefaultWorkspaceName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, store, logs := newAdmin(t)
			var (
				org    domain.Organization
				ws     domain.Workspace
				user   domain.User
				stored domain.APIToken
			)
			gomock.InOrder(
				store.orgs.EXPECT().CreateOrganization(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).
					Do(func(_ context.Context, o domain.Organization, w domain.Workspace, u domain.User) {
						org, ws, user = o, w, u
					}),
				store.tokens.EXPECT().InsertToken(gomock.Any(), gomock.Any()).
					Do(func(_ context.Context, tok domain.APIToken) { stored = tok }),
			)

			res, err := a.Bootstrap(t.Context(), tt.req)
			if err != nil {
				t.Fatalf("Bootstrap: %v", err)
			}

			if org.Name != "Acme Corp" || org.Plan != tt.wantPlan || !domain.IsID(org.ID) {
				t.Errorf("organization = %+v, want Acme Corp on %s with a fresh id", org, tt.wantPlan)
			}
			switch {
			case tt.wantLimit == nil && org.BucketLimit != nil:
				t.Errorf("bucket limit = %d, want none", *org.BucketLimit)
			case tt.wantLimit != nil && (org.BucketLimit == nil || *org.BucketLimit != *tt.wantLimit):
				t.Errorf("bucket limit = %v, want %d", org.BucketLimit, *tt.wantLimit)
			case tt.wantLimit != nil && org.BucketLimit == tt.wantLimit:
				t.Errorf("bucket limit shares the caller's variable; want a copy")
			}
			if ws.Name != tt.wantWS || ws.OrgID != org.ID || !domain.IsID(ws.ID) {
				t.Errorf("workspace = %+v, want %q in organization %s", ws, tt.wantWS, org.ID)
			}
			if user.Email != "ops@acme.example" || user.Role != domain.RoleAdmin || user.OrgID != org.ID || !domain.IsID(user.ID) {
				t.Errorf("admin = %+v, want ops@acme.example as ADMIN of %s", user, org.ID)
			}
			if res.OrgID != org.ID || res.WorkspaceID != ws.ID || res.UserID != user.ID {
				t.Errorf("result ids = %s/%s/%s, want %s/%s/%s", res.OrgID, res.WorkspaceID, res.UserID, org.ID, ws.ID, user.ID)
			}
			wantStoredToken(t, stored, res.Token, user.ID, nil)
			if strings.Contains(logs.String(), res.Token.Reveal()) {
				t.Errorf("log contains the token:\n%s", logs)
			}
		})
	}
}

func TestBootstrapRejectsInvalidInput(t *testing.T) {
	negative := -1
	valid := app.BootstrapOrg{OrgName: "Acme", Email: "ops@acme.example"}
	tests := []struct {
		name   string
		change func(*app.BootstrapOrg)
		want   string
	}{
		{"empty organization name", func(r *app.BootstrapOrg) { r.OrgName = "  " }, "organization name must not be empty"},
		{"control character in organization name", func(r *app.BootstrapOrg) { r.OrgName = "Ac\nme" }, "organization name: character 3 is U+000A LINE FEED, a control character; remove it"},
		{"empty email", func(r *app.BootstrapOrg) { r.Email = "" }, "email must not be empty"},
		{"email without @", func(r *app.BootstrapOrg) { r.Email = "ops.acme.example" }, "exactly one @"},
		{"email with two @", func(r *app.BootstrapOrg) { r.Email = "ops@acme@example" }, "exactly one @"},
		{"email without local part", func(r *app.BootstrapOrg) { r.Email = "@acme.example" }, "exactly one @"},
		{"email without domain", func(r *app.BootstrapOrg) { r.Email = "ops@" }, "exactly one @"},
		{"email with space", func(r *app.BootstrapOrg) { r.Email = "o ps@acme.example" }, "must not contain spaces"},
		{"email with tab", func(r *app.BootstrapOrg) { r.Email = "ops@acme\t.example" }, "must not contain spaces"},
		{"email too long", func(r *app.BootstrapOrg) { r.Email = "ops@" + strings.Repeat("a", 251) }, "email is 255 bytes long; the limit is 254"},
		{"unknown plan", func(r *app.BootstrapOrg) { r.Plan = "GOLD" }, `plan "GOLD" is not one of`},
		{"negative bucket limit", func(r *app.BootstrapOrg) { r.BucketLimit = &negative }, "bucket limit -1 is negative"},
		{"workspace name too long", func(r *app.BootstrapOrg) { r.WorkspaceName = strings.Repeat("w", 129) }, "workspace name is 129 characters long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, _ := newAdmin(t) // the directory expects no call
			req := valid
			tt.change(&req)

			_, err := a.Bootstrap(t.Context(), req)

			wantKind(t, err, domain.KindInvalidInput, tt.want)
		})
	}
}

func TestBootstrapStopsWhenOrganizationIsNotCreated(t *testing.T) {
	a, store, _ := newAdmin(t)
	conflict := domain.Errorf(domain.KindNameTaken, "an organization named Acme already exists")
	store.orgs.EXPECT().CreateOrganization(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(conflict)

	_, err := a.Bootstrap(t.Context(), app.BootstrapOrg{OrgName: "Acme", Email: "ops@acme.example"})

	if !errors.Is(err, conflict) {
		t.Fatalf("error = %v, want the directory's error", err)
	}
}

func TestBootstrapSaysHowToRecoverWhenTokenIsNotStored(t *testing.T) {
	a, store, _ := newAdmin(t)
	down := errors.New("connection reset")
	var org domain.Organization
	gomock.InOrder(
		store.orgs.EXPECT().CreateOrganization(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).
			Do(func(_ context.Context, o domain.Organization, _ domain.Workspace, _ domain.User) { org = o }),
		store.tokens.EXPECT().InsertToken(gomock.Any(), gomock.Any()).Return(down),
	)

	res, err := a.Bootstrap(t.Context(), app.BootstrapOrg{OrgName: "Acme", Email: "ops@acme.example"})

	if !errors.Is(err, down) {
		t.Fatalf("error = %v, want the directory's error", err)
	}
	for _, want := range []string{org.ID, "was created", "ops@acme.example"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !res.Token.IsZero() {
		t.Errorf("a token that was not stored was returned")
	}
}

func TestCreateTokenStoresDigestWithExpiry(t *testing.T) {
	tests := []struct {
		name    string
		ttl     time.Duration
		expires *time.Time
	}{
		{"no expiry", 0, nil},
		{"one day", 24 * time.Hour, new(clock.Add(24 * time.Hour))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, store, logs := newAdmin(t)
			user := domain.User{ID: "u-1", OrgID: orgID, Email: "dev@acme.example", Role: domain.RoleMember}
			var stored domain.APIToken
			gomock.InOrder(
				store.users.EXPECT().UserByEmail(gomock.Any(), "dev@acme.example").Return(user, nil),
				store.tokens.EXPECT().InsertToken(gomock.Any(), gomock.Any()).Do(func(_ context.Context, tok domain.APIToken) { stored = tok }),
			)

			issued, err := a.CreateToken(t.Context(), " Dev@Acme.EXAMPLE ", tt.ttl)
			if err != nil {
				t.Fatalf("CreateToken: %v", err)
			}

			wantStoredToken(t, stored, issued.Token, user.ID, tt.expires)
			if issued.ID != stored.ID || !reflect.DeepEqual(issued.ExpiresAt, stored.ExpiresAt) {
				t.Errorf("issued token = {ID:%s ExpiresAt:%v}, want the stored {ID:%s ExpiresAt:%v}",
					issued.ID, issued.ExpiresAt, stored.ID, stored.ExpiresAt)
			}
			if strings.Contains(logs.String(), issued.Token.Reveal()) || !strings.Contains(logs.String(), issued.ID) {
				t.Errorf("log contains the token or lacks its id:\n%s", logs)
			}
		})
	}
}

func TestCreateTokenRejectsBadRequests(t *testing.T) {
	unknown := domain.Errorf(domain.KindNotFound, "no user with email nobody@acme.example")
	tests := []struct {
		name   string
		email  string
		ttl    time.Duration
		expect func(*adminStore)
		kind   domain.Kind
		want   string
	}{
		{"negative ttl", "dev@acme.example", -time.Hour, func(*adminStore) {}, domain.KindInvalidInput, "ttl -1h0m0s is negative"},
		{"invalid email", "dev", time.Hour, func(*adminStore) {}, domain.KindInvalidInput, "exactly one @"},
		{"unknown user", "nobody@acme.example", time.Hour, func(store *adminStore) {
			store.users.EXPECT().UserByEmail(gomock.Any(), "nobody@acme.example").Return(domain.User{}, unknown)
		}, domain.KindNotFound, "no user with email nobody@acme.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, store, _ := newAdmin(t)
			tt.expect(store)

			issued, err := a.CreateToken(t.Context(), tt.email, tt.ttl)

			wantKind(t, err, tt.kind, tt.want)
			if !issued.Token.IsZero() || issued.ID != "" {
				t.Errorf("a token was returned with the error")
			}
		})
	}
}
