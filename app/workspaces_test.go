package app_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

const ws3ID = "0190f5c2-0000-7000-8000-00000000000c"

var (
	orgAdmin = domain.Principal{UserID: "0190f5c2-0000-7000-8000-0000000000a1", OrgID: orgID, Role: domain.RoleAdmin}
	// wsAdmin administers ws2 and writes in wsID.
	wsAdmin = domain.Principal{UserID: "0190f5c2-0000-7000-8000-0000000000a2", OrgID: orgID, Role: domain.RoleMember,
		Workspaces: map[string]domain.WorkspaceRole{ws2ID: domain.WorkspaceAdmin, wsID: domain.WorkspaceWrite}}
	orgWorkspaces = []ports.WorkspaceRecord{
		{Workspace: domain.Workspace{ID: wsID, OrgID: orgID, Name: "default"}},
		{Workspace: domain.Workspace{ID: ws2ID, OrgID: orgID, Name: "Marketing"}},
		{Workspace: domain.Workspace{ID: ws3ID, OrgID: orgID, Name: "Finance"}},
	}
)

type workspacesFixture struct {
	svc   *app.Workspaces
	store *adminStore
	audit *auditSpy
}

func newWorkspacesFixture(t *testing.T) *workspacesFixture {
	t.Helper()
	f := &workspacesFixture{store: newAdminStore(gomock.NewController(t)), audit: &auditSpy{}}
	deps := f.store.deps()
	deps.Audit = f.audit
	deps.Logger = slog.New(slog.DiscardHandler)
	deps.Now = func() time.Time { return clock }
	admin, err := app.NewAdmin(deps)
	if err != nil {
		t.Fatal(err)
	}
	if f.svc, err = app.NewWorkspaces(admin); err != nil {
		t.Fatal(err)
	}
	return f
}

// expectWorkspaces lets the use case read the organization's workspaces (any number of times).
func (f *workspacesFixture) expectWorkspaces() {
	f.store.workspaces.EXPECT().ListWorkspaces(gomock.Any(), orgID).Return(orgWorkspaces, nil).AnyTimes()
}

// wantEvent checks the only audit event recorded.
func (f *workspacesFixture) wantEvent(t *testing.T, want domain.AuditEvent) {
	t.Helper()
	events := f.audit.recorded()
	if len(events) != 1 {
		t.Fatalf("audit events = %+v; want one", events)
	}
	e := events[0]
	if e.Action != want.Action || e.OrgID != orgID || e.UserID != want.UserID || e.WorkspaceID != want.WorkspaceID ||
		e.SubjectUserID != want.SubjectUserID || e.Detail != want.Detail || e.Outcome != want.Outcome {
		t.Errorf("audit event = %+v; want %+v", e, want)
	}
}

func TestListWorkspacesByRole(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    domain.Principal
		want []string
	}{
		{"an organization admin sees every workspace", orgAdmin, []string{wsID, ws2ID, ws3ID}},
		{"a member sees their own", wsAdmin, []string{wsID, ws2ID}},
		{"a member of none sees none", domain.Principal{UserID: "u", OrgID: orgID, Role: domain.RoleMember}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newWorkspacesFixture(t)
			f.expectWorkspaces()
			member := ports.WorkspaceMember{WorkspaceID: ws2ID, User: dev, Role: domain.WorkspaceRead}
			f.store.workspaces.EXPECT().WorkspaceMembers(gomock.Any(), orgID).Return([]ports.WorkspaceMember{member}, nil)

			views, err := f.svc.List(t.Context(), tt.p)

			var got []string
			for _, v := range views {
				got = append(got, v.ID)
				if v.ID == ws2ID && (len(v.Members) != 1 || v.Members[0] != member) {
					t.Errorf("members of %s = %+v; want %+v", ws2ID, v.Members, member)
				}
			}
			if err != nil || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("List = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestGetWorkspace(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    domain.Principal
		id   string
		kind domain.Kind
		want string
	}{
		{"a member's own", wsAdmin, strings.ToUpper(ws2ID), domain.KindInvalidInput, ""},
		{"another organization's", orgAdmin, "0190f5c2-0000-7000-8000-0000000000ff", domain.KindNotFound, "not found in this organization"},
		{"a malformed id", orgAdmin, "x", domain.KindNotFound, "not found"},
		{"one the member is not in", wsAdmin, ws3ID, domain.KindForbidden, "you are not a member of workspace " + ws3ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newWorkspacesFixture(t)
			f.expectWorkspaces()
			f.store.workspaces.EXPECT().WorkspaceMembers(gomock.Any(), orgID).Return(nil, nil)

			v, err := f.svc.Get(t.Context(), tt.p, tt.id)

			if tt.want == "" {
				if err != nil || v.ID != ws2ID || v.Name != "Marketing" {
					t.Errorf("Get = %+v, %v", v, err)
				}
				return
			}
			wantKind(t, err, tt.kind, tt.want)
		})
	}
}

// TestMembersCannotManageWorkspaces checks that creating, renaming and deleting are the
// organization admin's, whatever a member's workspace roles, and that the store hears nothing.
func TestMembersCannotManageWorkspaces(t *testing.T) {
	f := newWorkspacesFixture(t)
	f.expectWorkspaces()
	const lacks = "needs the organization's ADMIN role; you are a MEMBER"
	_, err := f.svc.Create(t.Context(), wsAdmin, "New")
	wantKind(t, err, domain.KindForbidden, "creating a workspace "+lacks)
	_, err = f.svc.Update(t.Context(), wsAdmin, ws2ID, new("Renamed"))
	wantKind(t, err, domain.KindForbidden, "renaming a workspace "+lacks)
	wantKind(t, f.svc.Delete(t.Context(), wsAdmin, ws2ID), domain.KindForbidden, "deleting a workspace "+lacks)
	// Another organization's workspace is not found, before any question of rights.
	wantKind(t, f.svc.Delete(t.Context(), wsAdmin, "0190f5c2-0000-7000-8000-0000000000ff"), domain.KindNotFound, "not found")
}

func TestAdminManagesWorkspaces(t *testing.T) {
	t.Run("create", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		var stored domain.Workspace
		f.store.workspaces.EXPECT().CreateWorkspace(gomock.Any(), gomock.Any()).DoAndReturn(
			func(_ any, ws domain.Workspace) error { stored = ws; return nil })

		ws, err := f.svc.Create(t.Context(), orgAdmin, "  Sales ")

		if err != nil || ws.Name != "Sales" || ws.OrgID != orgID || ws != stored {
			t.Fatalf("Create = %+v, %v; stored %+v", ws, err, stored)
		}
		f.wantEvent(t, domain.AuditEvent{Action: domain.AuditWorkspaceCreate, UserID: orgAdmin.UserID, WorkspaceID: ws.ID, Outcome: domain.AuditOK})
	})
	t.Run("rename", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		f.expectWorkspaces()
		f.store.workspaces.EXPECT().RenameWorkspace(gomock.Any(), orgID, ws2ID, "Marketing EU").
			Return(ports.WorkspaceRecord{Workspace: domain.Workspace{ID: ws2ID, OrgID: orgID, Name: "Marketing EU"}}, nil)

		ws, err := f.svc.Update(t.Context(), orgAdmin, ws2ID, new(" Marketing EU"))

		if err != nil || ws.Name != "Marketing EU" {
			t.Fatalf("Update = %+v, %v", ws, err)
		}
		f.wantEvent(t, domain.AuditEvent{Action: domain.AuditWorkspaceRename, UserID: orgAdmin.UserID, WorkspaceID: ws2ID, Outcome: domain.AuditOK})
	})
	t.Run("an update without a name changes nothing", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		f.expectWorkspaces()
		f.store.workspaces.EXPECT().WorkspaceMembers(gomock.Any(), orgID).Return(nil, nil)

		ws, err := f.svc.Update(t.Context(), orgAdmin, ws2ID, nil)

		if err != nil || ws.Name != "Marketing" || len(f.audit.recorded()) != 0 {
			t.Errorf("Update(no name) = %+v, %v, events %+v; want the workspace unchanged and no event", ws, err, f.audit.recorded())
		}
	})
	t.Run("a refused delete is audited with its outcome", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		f.expectWorkspaces()
		refusal := domain.Errorf(domain.KindConflict, "workspace %s holds 3 live bucket(s)", ws2ID)
		f.store.workspaces.EXPECT().DeleteWorkspace(gomock.Any(), orgID, ws2ID, clock).Return(refusal)

		wantKind(t, f.svc.Delete(t.Context(), orgAdmin, ws2ID), domain.KindConflict, "holds 3 live bucket(s)")
		f.wantEvent(t, domain.AuditEvent{Action: domain.AuditWorkspaceDelete, UserID: orgAdmin.UserID, WorkspaceID: ws2ID,
			Outcome: domain.KindConflict.String()})
	})
	t.Run("an invalid name reaches no store", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		_, err := f.svc.Create(t.Context(), orgAdmin, "bad\u200bname")
		wantKind(t, err, domain.KindInvalidInput, "workspace name")
		// The refusal is audited without a workspace id: none was created.
		f.wantEvent(t, domain.AuditEvent{Action: domain.AuditWorkspaceCreate, UserID: orgAdmin.UserID, Outcome: domain.KindInvalidInput.String()})
	})
}

func TestWorkspaceMemberships(t *testing.T) {
	colleague := domain.User{ID: devID, OrgID: orgID, Email: "dev@acme.example", Role: domain.RoleMember}
	t.Run("a workspace admin adds a member with a role", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		f.expectWorkspaces()
		f.store.users.EXPECT().UserInOrg(gomock.Any(), orgID, devID).Return(colleague, nil)
		f.store.users.EXPECT().AddMembership(gomock.Any(), devID, ws2ID, domain.WorkspaceRead).Return(true, nil)

		if err := f.svc.AddUser(t.Context(), wsAdmin, ws2ID, strings.ToUpper(devID), "READ"); err != nil {
			t.Fatalf("AddUser: %v", err)
		}
		f.wantEvent(t, domain.AuditEvent{Action: domain.AuditMemberAdd, UserID: wsAdmin.UserID, WorkspaceID: ws2ID,
			SubjectUserID: devID, Detail: "READ", Outcome: domain.AuditOK})
	})
	t.Run("a member already in is a conflict", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		f.expectWorkspaces()
		f.store.users.EXPECT().UserInOrg(gomock.Any(), orgID, devID).Return(colleague, nil)
		f.store.users.EXPECT().AddMembership(gomock.Any(), devID, ws2ID, domain.WorkspaceWrite).Return(false, nil)

		wantKind(t, f.svc.AddUser(t.Context(), orgAdmin, ws2ID, devID, "WRITE"), domain.KindConflict, "already is a member")
	})
	t.Run("a WRITE member may not manage members", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		f.expectWorkspaces()
		wantKind(t, f.svc.SetRole(t.Context(), wsAdmin, wsID, devID, "ADMIN"), domain.KindForbidden,
			"needs the organization's ADMIN role or the ADMIN role in workspace "+wsID+"; yours is WRITE")
		wantKind(t, f.svc.RemoveUser(t.Context(), wsAdmin, ws3ID, devID), domain.KindForbidden, "yours is none (not a member)")
	})
	t.Run("a user of another organization is not found", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		f.expectWorkspaces()
		f.store.users.EXPECT().UserInOrg(gomock.Any(), orgID, devID).Return(domain.User{}, domain.Errorf(domain.KindNotFound, "user %s not found in this organization", devID))
		wantKind(t, f.svc.AddUser(t.Context(), orgAdmin, ws2ID, devID, "READ"), domain.KindNotFound, "not found in this organization")
	})
	t.Run("set a role", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		f.expectWorkspaces()
		f.store.users.EXPECT().UserInOrg(gomock.Any(), orgID, devID).Return(colleague, nil)
		f.store.users.EXPECT().SetMembershipRole(gomock.Any(), devID, ws2ID, domain.WorkspaceAdmin).Return(domain.WorkspaceRead, nil)

		if err := f.svc.SetRole(t.Context(), wsAdmin, ws2ID, devID, "ADMIN"); err != nil {
			t.Fatalf("SetRole: %v", err)
		}
		f.wantEvent(t, domain.AuditEvent{Action: domain.AuditMemberRole, UserID: wsAdmin.UserID, WorkspaceID: ws2ID,
			SubjectUserID: devID, Detail: "ADMIN", Outcome: domain.AuditOK})
	})
	t.Run("an unknown role reaches no store", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		f.expectWorkspaces()
		f.store.users.EXPECT().UserInOrg(gomock.Any(), orgID, devID).Return(colleague, nil)
		wantKind(t, f.svc.SetRole(t.Context(), orgAdmin, ws2ID, devID, "OWNER"), domain.KindInvalidInput, `role "OWNER"`)
	})
	t.Run("removing a non-member is not found", func(t *testing.T) {
		f := newWorkspacesFixture(t)
		f.expectWorkspaces()
		f.store.users.EXPECT().UserInOrg(gomock.Any(), orgID, devID).Return(colleague, nil)
		f.store.users.EXPECT().RemoveMembership(gomock.Any(), devID, ws2ID).Return(false, nil)
		wantKind(t, f.svc.RemoveUser(t.Context(), orgAdmin, ws2ID, devID), domain.KindNotFound, "is not a member")
		if len(f.audit.recorded()) != 0 {
			t.Errorf("a removal that changed nothing was audited: %+v", f.audit.recorded())
		}
	})
}
