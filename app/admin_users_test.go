package app_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

const (
	ws2ID = "0190f5c2-0000-7000-8000-00000000000b"
	devID = "0190f5c2-0000-7000-8000-0000000000d1"
)

// dev is the user the email use cases find.
var dev = domain.User{ID: devID, OrgID: orgID, Email: "dev@acme.example", Role: domain.RoleMember}

func TestListUsersOfOrganization(t *testing.T) {
	a, store, _ := newAdmin(t)
	users := []ports.UserRecord{{User: dev, Workspaces: []string{wsID}}}
	store.users.EXPECT().ListUsers(gomock.Any(), orgID).Return(users, nil)

	got, err := a.ListUsers(t.Context(), strings.ToUpper(orgID))

	if err != nil || !reflect.DeepEqual(got, users) {
		t.Errorf("ListUsers = %+v, %v; want %+v", got, err, users)
	}
	_, err = a.ListUsers(t.Context(), "nope")
	wantKind(t, err, domain.KindInvalidInput, `organization id "nope" is not a UUID`)
}

func TestAddUserStoresNormalizedUser(t *testing.T) {
	a, store, logs := newAdmin(t)
	var (
		stored     domain.User
		workspaces []string
	)
	store.users.EXPECT().AddUser(gomock.Any(), gomock.Any(), gomock.Any()).Do(func(_ context.Context, u domain.User, ws []string) {
		stored, workspaces = u, ws
	})

	added, err := a.AddUser(t.Context(), app.NewUser{
		OrgID: orgID, Email: " Dev@Acme.Example", Role: "MEMBER", WorkspaceIDs: []string{ws2ID, strings.ToUpper(wsID), wsID},
	})

	if err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if stored.Email != "dev@acme.example" || stored.Role != domain.RoleMember || stored.OrgID != orgID || !domain.IsID(stored.ID) {
		t.Errorf("stored user = %+v, want dev@acme.example as MEMBER of %s with a fresh id", stored, orgID)
	}
	if want := []string{wsID, ws2ID}; !slices.Equal(workspaces, want) || !slices.Equal(added.Workspaces, want) {
		t.Errorf("workspaces stored %v, returned %v; want %v, sorted, lower case and without repeats", workspaces, added.Workspaces, want)
	}
	if added.User != stored {
		t.Errorf("returned user %+v, want the stored %+v", added.User, stored)
	}
	if !strings.Contains(logs.String(), stored.ID) {
		t.Errorf("log does not name the new user:\n%s", logs)
	}
}

func TestAddUserRejectsInvalidInput(t *testing.T) {
	valid := app.NewUser{OrgID: orgID, Email: "dev@acme.example", Role: "ADMIN"}
	tests := []struct {
		name   string
		change func(*app.NewUser)
		want   string
	}{
		{"empty organization id", func(r *app.NewUser) { r.OrgID = "" }, "organization id must not be empty"},
		{"malformed organization id", func(r *app.NewUser) { r.OrgID = "1; DROP TABLE users" }, `organization id "1; DROP TABLE users" is not a UUID`},
		{"invalid email", func(r *app.NewUser) { r.Email = "dev" }, "exactly one @"},
		{"unknown role", func(r *app.NewUser) { r.Role = "OWNER" }, `role "OWNER" is not one of ADMIN, MEMBER`},
		{"empty role", func(r *app.NewUser) { r.Role = "" }, `role "" is not one of`},
		{"malformed workspace id", func(r *app.NewUser) { r.WorkspaceIDs = []string{wsID, "../etc"} }, `workspace id "../etc" is not a UUID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, _ := newAdmin(t) // the directory expects no call
			req := valid
			tt.change(&req)

			_, err := a.AddUser(t.Context(), req)

			wantKind(t, err, domain.KindInvalidInput, tt.want)
		})
	}
}

func TestAddUserPassesTheStoresRefusals(t *testing.T) {
	for _, refusal := range []*domain.Error{
		domain.Errorf(domain.KindNotFound, "organization %s does not exist", orgID),
		domain.Errorf(domain.KindWorkspaceNotFound, "workspace %s does not exist in organization %s", ws2ID, orgID),
		domain.Errorf(domain.KindInvalidInput, `a user with the email "dev@acme.example" already exists`),
	} {
		a, store, _ := newAdmin(t)
		store.users.EXPECT().AddUser(gomock.Any(), gomock.Any(), gomock.Any()).Return(refusal)

		_, err := a.AddUser(t.Context(), app.NewUser{OrgID: orgID, Email: "dev@acme.example", Role: "MEMBER", WorkspaceIDs: []string{ws2ID}})

		wantKind(t, err, refusal.Kind, refusal.Message)
	}
}

func TestSetRole(t *testing.T) {
	t.Run("changes the role", func(t *testing.T) {
		a, store, _ := newAdmin(t)
		gomock.InOrder(
			store.users.EXPECT().UserByEmail(gomock.Any(), dev.Email).Return(dev, nil),
			store.users.EXPECT().SetRole(gomock.Any(), devID, domain.RoleAdmin),
		)

		change, err := a.SetRole(t.Context(), "DEV@acme.example", "ADMIN")

		if err != nil || change.User.Role != domain.RoleAdmin || change.Previous != domain.RoleMember || change.User.ID != devID {
			t.Errorf("SetRole = %+v, %v; want %s now ADMIN, before MEMBER", change, err, devID)
		}
	})
	t.Run("the same role changes nothing", func(t *testing.T) {
		a, store, _ := newAdmin(t)
		store.users.EXPECT().UserByEmail(gomock.Any(), dev.Email).Return(dev, nil) // and no SetRole

		change, err := a.SetRole(t.Context(), dev.Email, "MEMBER")

		if err != nil || change.User.Role != domain.RoleMember || change.Previous != domain.RoleMember {
			t.Errorf("SetRole = %+v, %v; want MEMBER unchanged", change, err)
		}
	})
	t.Run("unknown role", func(t *testing.T) {
		a, _, _ := newAdmin(t)
		_, err := a.SetRole(t.Context(), dev.Email, "admin")
		wantKind(t, err, domain.KindInvalidInput, `role "admin" is not one of ADMIN, MEMBER`)
	})
	t.Run("unknown email", func(t *testing.T) {
		a, store, _ := newAdmin(t)
		store.users.EXPECT().UserByEmail(gomock.Any(), "nobody@acme.example").
			Return(domain.User{}, domain.Errorf(domain.KindNotFound, `no user has the email "nobody@acme.example"`))
		_, err := a.SetRole(t.Context(), "nobody@acme.example", "ADMIN")
		wantKind(t, err, domain.KindNotFound, "nobody@acme.example")
	})
}

func TestMembershipChanges(t *testing.T) {
	tests := []struct {
		name    string
		add     bool
		changed bool
	}{
		{"add a new member", true, true},
		{"add a member again", true, false},
		{"remove a member", false, true},
		{"remove a non-member", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, store, _ := newAdmin(t)
			store.users.EXPECT().UserByEmail(gomock.Any(), dev.Email).Return(dev, nil)
			change := a.RemoveMember
			if tt.add {
				change = func(ctx context.Context, ws, email string) (app.MembershipChange, error) {
					return a.AddMember(ctx, ws, email, "")
				}
				store.users.EXPECT().AddMembership(gomock.Any(), devID, ws2ID, domain.WorkspaceWrite).Return(tt.changed, nil)
			} else {
				store.users.EXPECT().RemoveMembership(gomock.Any(), devID, ws2ID).Return(tt.changed, nil)
			}

			got, err := change(t.Context(), strings.ToUpper(ws2ID), dev.Email)

			want := app.MembershipChange{User: dev, WorkspaceID: ws2ID, Member: tt.add, Changed: tt.changed}
			if tt.add {
				want.Role = domain.WorkspaceWrite // the default role
			}
			if err != nil || got != want {
				t.Errorf("= %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

func TestMembershipRejects(t *testing.T) {
	foreign := domain.Errorf(domain.KindWorkspaceNotFound, "workspace %s does not exist in the organization of user %s", ws2ID, devID)
	tests := []struct {
		name   string
		ws     string
		email  string
		expect func(*adminStore)
		kind   domain.Kind
		want   string
	}{
		{"malformed workspace id", "ws-1", dev.Email, func(*adminStore) {}, domain.KindInvalidInput, `workspace id "ws-1" is not a UUID`},
		{"invalid email", ws2ID, "dev@", func(*adminStore) {}, domain.KindInvalidInput, "exactly one @"},
		{"unknown email", ws2ID, "nobody@acme.example", func(store *adminStore) {
			store.users.EXPECT().UserByEmail(gomock.Any(), "nobody@acme.example").
				Return(domain.User{}, domain.Errorf(domain.KindNotFound, `no user has the email "nobody@acme.example"`))
		}, domain.KindNotFound, "nobody@acme.example"},
		{"workspace of another organization", ws2ID, dev.Email, func(store *adminStore) {
			store.users.EXPECT().UserByEmail(gomock.Any(), dev.Email).Return(dev, nil)
			store.users.EXPECT().AddMembership(gomock.Any(), devID, ws2ID, domain.WorkspaceWrite).Return(false, foreign)
		}, domain.KindWorkspaceNotFound, "workspace " + ws2ID + " does not exist"},
		{"unknown role", ws2ID, dev.Email, func(store *adminStore) {
			store.users.EXPECT().UserByEmail(gomock.Any(), dev.Email).Return(dev, nil)
		}, domain.KindInvalidInput, `role "OWNER" is not one of READ, WRITE, ADMIN`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, store, _ := newAdmin(t)
			tt.expect(store)

			role := ""
			if tt.name == "unknown role" {
				role = "OWNER"
			}
			_, err := a.AddMember(t.Context(), tt.ws, tt.email, role)

			wantKind(t, err, tt.kind, tt.want)
		})
	}
}
