package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/ports"
)

// fakeWorkspaces records the workspace calls and answers with views or err.
type fakeWorkspaces struct {
	mu    sync.Mutex
	calls []workspaceCall
	views []app.WorkspaceView
	err   error
}

// workspaceCall is one call of the workspace service, with the arguments that matter.
type workspaceCall struct {
	method                    string
	principal                 domain.Principal
	workspaceID, userID, role string
	name                      *string
}

func (f *fakeWorkspaces) record(c workspaceCall) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	return f.err
}

func (f *fakeWorkspaces) List(_ context.Context, p domain.Principal) ([]app.WorkspaceView, error) {
	return f.views, f.record(workspaceCall{method: "List", principal: p})
}

func (f *fakeWorkspaces) Get(_ context.Context, p domain.Principal, id string) (app.WorkspaceView, error) {
	return f.views[0], f.record(workspaceCall{method: "Get", principal: p, workspaceID: id})
}

func (f *fakeWorkspaces) Create(_ context.Context, p domain.Principal, name string) (domain.Workspace, error) {
	return f.views[0].Workspace, f.record(workspaceCall{method: "Create", principal: p, name: &name})
}

func (f *fakeWorkspaces) Update(_ context.Context, p domain.Principal, id string, name *string) (domain.Workspace, error) {
	return f.views[0].Workspace, f.record(workspaceCall{method: "Update", principal: p, workspaceID: id, name: name})
}

func (f *fakeWorkspaces) Delete(_ context.Context, p domain.Principal, id string) error {
	return f.record(workspaceCall{method: "Delete", principal: p, workspaceID: id})
}

func (f *fakeWorkspaces) AddUser(_ context.Context, p domain.Principal, id, userID, role string) error {
	return f.record(workspaceCall{method: "AddUser", principal: p, workspaceID: id, userID: userID, role: role})
}

func (f *fakeWorkspaces) SetRole(_ context.Context, p domain.Principal, id, userID, role string) error {
	return f.record(workspaceCall{method: "SetRole", principal: p, workspaceID: id, userID: userID, role: role})
}

func (f *fakeWorkspaces) RemoveUser(_ context.Context, p domain.Principal, id, userID string) error {
	return f.record(workspaceCall{method: "RemoveUser", principal: p, workspaceID: id, userID: userID})
}

// onlyCall returns the one call made, failing t unless exactly one was.
func (f *fakeWorkspaces) onlyCall(t testing.TB) workspaceCall {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) != 1 {
		t.Fatalf("workspace calls = %+v; want exactly one", f.calls)
	}
	return f.calls[0]
}

const memberID = "0192f7a4-0000-7000-8000-000000000005"

// sampleWorkspace has an organization admin and a READ member.
func sampleWorkspace() app.WorkspaceView {
	return app.WorkspaceView{
		Workspace: domain.Workspace{ID: workspaceID, OrgID: testPrincipal.OrgID, Name: "Marketing"},
		Members: []ports.WorkspaceMember{
			{WorkspaceID: workspaceID, Role: domain.WorkspaceAdmin,
				User: domain.User{ID: testPrincipal.UserID, OrgID: testPrincipal.OrgID, Email: "ada@example.com", Role: domain.RoleAdmin}},
			{WorkspaceID: workspaceID, Role: domain.WorkspaceRead,
				User: domain.User{ID: memberID, OrgID: testPrincipal.OrgID, Email: "bob.smith@example.com", Role: domain.RoleMember}},
		},
	}
}

// TestListWorkspacesRendersFlashbackShapes checks GET /workspace against the contract and
// Flashback's WorkspaceUser: the name is the email's local part, the last name empty, the
// organization role Flashback's OrgRoles number.
func TestListWorkspacesRendersFlashbackShapes(t *testing.T) {
	h := newHarness(t)
	h.workspaces.views = []app.WorkspaceView{sampleWorkspace()}

	res := h.serve(t, apiRequest(http.MethodGet, "/workspace", ""))

	wantStatus(t, res, http.StatusOK)
	var got api.GetWorkspacesResponse
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !got.Success || len(got.Workspaces) != 1 || got.Workspaces[0].Name != "Marketing" || len(got.Workspaces[0].Users) != 2 {
		t.Fatalf("answer = %s", res.body)
	}
	for i, want := range []struct {
		name    string
		orgRole int
		role    api.WorkspaceRole
	}{{"ada", 0xfe, api.ADMIN}, {"bob.smith", 0, api.READ}} {
		u := got.Workspaces[0].Users[i]
		if u.User.Name != want.name || u.User.LastName != "" || u.User.OrgRole == nil || *u.User.OrgRole != want.orgRole ||
			u.Role != want.role || u.UserId != u.User.Id {
			t.Errorf("user %d = %+v; want name %q, lastName \"\", orgRole %d, role %s", i, u, want.name, want.orgRole, want.role)
		}
	}
	wantFields(t, "workspace user", fieldsOf(t, mustRaw(t, got.Workspaces[0].Users[0].User)), "id", "name", "lastName", "email", "orgRole")
	if c := h.workspaces.onlyCall(t); c.method != "List" || c.principal.UserID != testPrincipal.UserID {
		t.Errorf("call = %+v; want List for the token's principal", c)
	}
}

func mustRaw(t testing.TB, v any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestWorkspaceRoutesPassArgumentsThrough checks that each route calls its use case with the
// path's ids and the body's fields.
func TestWorkspaceRoutesPassArgumentsThrough(t *testing.T) {
	name := "Marketing EU"
	tests := []struct {
		method, path, body string
		want               workspaceCall
	}{
		{http.MethodGet, "/workspace/" + workspaceID, "", workspaceCall{method: "Get", workspaceID: workspaceID}},
		{http.MethodPost, "/workspace", `{"name":"Marketing EU"}`, workspaceCall{method: "Create", name: &name}},
		{http.MethodPut, "/workspace/" + workspaceID, `{"name":"Marketing EU"}`, workspaceCall{method: "Update", workspaceID: workspaceID, name: &name}},
		{http.MethodPut, "/workspace/" + workspaceID, `{}`, workspaceCall{method: "Update", workspaceID: workspaceID}},
		{http.MethodDelete, "/workspace/" + workspaceID, "", workspaceCall{method: "Delete", workspaceID: workspaceID}},
		{http.MethodPost, "/workspace/" + workspaceID + "/users", `{"userId":"` + memberID + `","role":"READ"}`,
			workspaceCall{method: "AddUser", workspaceID: workspaceID, userID: memberID, role: "READ"}},
		{http.MethodPut, "/workspace/" + workspaceID + "/users/" + memberID, `{"role":"ADMIN"}`,
			workspaceCall{method: "SetRole", workspaceID: workspaceID, userID: memberID, role: "ADMIN"}},
		{http.MethodDelete, "/workspace/" + workspaceID + "/users/" + memberID, "",
			workspaceCall{method: "RemoveUser", workspaceID: workspaceID, userID: memberID}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
			h := newHarness(t)
			h.workspaces.views = []app.WorkspaceView{sampleWorkspace()}

			res := h.serve(t, apiRequest(tt.method, tt.path, tt.body))

			wantStatus(t, res, http.StatusOK)
			got := h.workspaces.onlyCall(t)
			if got.principal.UserID != testPrincipal.UserID {
				t.Errorf("principal = %+v; want the token's", got.principal)
			}
			got.principal = domain.Principal{}
			if got.method != tt.want.method || got.workspaceID != tt.want.workspaceID || got.userID != tt.want.userID ||
				got.role != tt.want.role || (got.name == nil) != (tt.want.name == nil) || (got.name != nil && *got.name != *tt.want.name) {
				t.Errorf("call = %+v (name %v); want %+v", got, got.name, tt.want)
			}
		})
	}
}

// TestWorkspaceRefusals checks that the use cases' refusals become the contract's errors, and
// that a body the contract refuses never reaches them.
func TestWorkspaceRefusals(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		err                      error
		status                   int
		code, message            string
	}{
		{"another organization's workspace", http.MethodGet, "/workspace/" + workspaceID, "",
			domain.Errorf(domain.KindNotFound, "workspace %q not found in this organization", workspaceID), http.StatusNotFound, "NOT_FOUND", "not found"},
		{"live buckets", http.MethodDelete, "/workspace/" + workspaceID, "",
			domain.Errorf(domain.KindConflict, "workspace %s holds 2 live bucket(s); delete them first", workspaceID), http.StatusConflict, "CONFLICT", "holds 2 live bucket(s)"},
		{"a member managing", http.MethodPost, "/workspace", `{"name":"X"}`,
			domain.Errorf(domain.KindForbidden, "creating a workspace needs the organization's ADMIN role; you are a MEMBER"), http.StatusForbidden, "FORBIDDEN", "needs the organization's ADMIN role"},
		{"a taken name", http.MethodPut, "/workspace/" + workspaceID, `{"name":"X"}`,
			domain.Errorf(domain.KindNameTaken, "workspace name %q is already used", "X"), http.StatusConflict, "NAME_ALREADY_USED", "already used"},
		{"an unknown role", http.MethodPost, "/workspace/" + workspaceID + "/users", `{"userId":"` + memberID + `","role":"OWNER"}`,
			nil, http.StatusBadRequest, "INVALID_REQUEST", "role"},
		{"no role", http.MethodPut, "/workspace/" + workspaceID + "/users/" + memberID, `{}`,
			nil, http.StatusBadRequest, "INVALID_REQUEST", "role"},
		{"no name", http.MethodPost, "/workspace", `{}`, nil, http.StatusBadRequest, "INVALID_REQUEST", "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.workspaces.views = []app.WorkspaceView{sampleWorkspace()}
			h.workspaces.err = tt.err

			res := h.serve(t, apiRequest(tt.method, tt.path, tt.body))

			e := wantError(t, res, tt.status, tt.code)
			if !strings.Contains(e.Message, tt.message) {
				t.Errorf("message %q does not say %q", e.Message, tt.message)
			}
			h.workspaces.mu.Lock()
			defer h.workspaces.mu.Unlock()
			if tt.err == nil && len(h.workspaces.calls) != 0 {
				t.Errorf("a request the contract refuses reached the use cases: %+v", h.workspaces.calls)
			}
		})
	}
}
