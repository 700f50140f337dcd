package main_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
)

// sent returns a function that takes a client call's results, fails t when the request could
// not be sent, and returns the answer: sent(t, op)(c.CallWithResponse(...)).
func sent(t testing.TB, op string) func(answer, error) answer {
	return func(res answer, err error) answer {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return res
	}
}

// decoded fails t unless op was answered 200, and returns the body decoded as T.
func decoded[T any](t testing.TB, op string, res answer) T {
	t.Helper()
	var body T
	if res.StatusCode() != http.StatusOK || json.Unmarshal(res.GetBody(), &body) != nil {
		t.Fatalf("%s answered %d %s, want 200", op, res.StatusCode(), res.GetBody())
	}
	return body
}

// listedWorkspaces answers GET /workspace for c: the ids in order and the decoded answer.
func listedWorkspaces(t testing.TB, c *client.ClientWithResponses) ([]string, api.GetWorkspacesResponse) {
	t.Helper()
	got := decoded[api.GetWorkspacesResponse](t, "GET /workspace", sent(t, "GET /workspace")(c.ListWorkspacesWithResponse(t.Context())))
	ids := make([]string, len(got.Workspaces))
	for i, w := range got.Workspaces {
		ids[i] = w.Id
	}
	return ids, got
}

// testWorkspacesAPI drives the workspace routes as Flashback's client would: an admin creates,
// renames and deletes workspaces and manages their members; a member sees only its own and may
// manage none; a READ member cannot create a bucket; a workspace holding buckets is refused
// with their count; another organization's workspace is 404 exactly like an unknown id; and
// each change is in the audit trail.
func testWorkspacesAPI(t *testing.T, b *backend) {
	owner := b.bootstrap(t, -1)
	ac := b.client(t, owner)
	member := b.addMember(t, owner, owner.WorkspaceID) // WRITE in the first workspace (the default role)
	mc := b.client(t, member)

	created := sent(t, "POST /workspace")(ac.CreateWorkspaceWithResponse(t.Context(), api.CreateWorkspaceRequest{Name: "  Team A "}))
	teamA := decoded[api.CreateWorkspaceResponse](t, "POST /workspace", created).Workspace
	if !domain.IsID(teamA.Id) || teamA.Name != "Team A" || teamA.OrgId != owner.OrgID {
		t.Fatalf("POST /workspace answered %s", created.GetBody())
	}
	private := sent(t, "POST /workspace")(ac.CreateWorkspaceWithResponse(t.Context(), api.CreateWorkspaceRequest{Name: "Private"}))
	privateID := decoded[api.CreateWorkspaceResponse](t, "POST /workspace", private).Workspace.Id
	taken := sent(t, "POST /workspace")(ac.CreateWorkspaceWithResponse(t.Context(), api.CreateWorkspaceRequest{Name: "TEAM a"}))
	wantAPIError(t, "POST /workspace with a taken name", taken, http.StatusConflict, "NAME_ALREADY_USED")

	added := sent(t, "POST /workspace/{id}/users")(ac.AddWorkspaceUserWithResponse(t.Context(), teamA.Id,
		api.AddUserToWorkspaceRequest{UserId: member.UserID, Role: api.READ}))
	decoded[api.SuccessResponse](t, "POST /workspace/{id}/users", added)
	again := sent(t, "POST /workspace/{id}/users")(ac.AddWorkspaceUserWithResponse(t.Context(), teamA.Id,
		api.AddUserToWorkspaceRequest{UserId: member.UserID, Role: api.ADMIN}))
	wantAPIError(t, "POST /workspace/{id}/users for a member", again, http.StatusConflict, "CONFLICT")

	// The admin sees every workspace with its members, in Flashback's shapes.
	ids, all := listedWorkspaces(t, ac)
	if !slices.Equal(ids, []string{owner.WorkspaceID, teamA.Id, privateID}) {
		t.Errorf("the admin's GET /workspace = %v; want every workspace, oldest first", ids)
	}
	first := all.Workspaces[0].Users
	if len(first) != 2 {
		t.Fatalf("the first workspace's users = %+v; want the admin and the member", first)
	}
	for _, u := range first {
		wantRole, wantOrgRole := api.WRITE, 0
		if u.UserId == owner.UserID {
			wantRole, wantOrgRole = api.ADMIN, 0xfe
		}
		local, _, _ := strings.Cut(u.User.Email, "@")
		if u.Role != wantRole || u.User.OrgRole == nil || *u.User.OrgRole != wantOrgRole || u.User.Name != local || u.User.LastName != "" {
			t.Errorf("user %+v; want role %s, orgRole %d, name %q, lastName empty", u, wantRole, wantOrgRole, local)
		}
	}

	// The member sees its own workspaces only, manages none, and reads, but cannot write, where it has READ.
	if ids, _ := listedWorkspaces(t, mc); !slices.Equal(ids, []string{owner.WorkspaceID, teamA.Id}) {
		t.Errorf("the member's GET /workspace = %v; want its two workspaces", ids)
	}
	wantAPIError(t, "a member's GET of a workspace it is not in",
		sent(t, "GET /workspace/{id}")(mc.GetWorkspaceWithResponse(t.Context(), privateID)), http.StatusForbidden, "FORBIDDEN")
	refused := wantAPIError(t, "a member's POST /workspace",
		sent(t, "POST /workspace")(mc.CreateWorkspaceWithResponse(t.Context(), api.CreateWorkspaceRequest{Name: "Mine"})), http.StatusForbidden, "FORBIDDEN")
	if !strings.Contains(refused.Message, "needs the organization's ADMIN role") {
		t.Errorf("the refusal %q does not name what the member lacks", refused.Message)
	}
	wantAPIError(t, "a READ member's DELETE /workspace/{id}/users/{userId}",
		sent(t, "DELETE")(mc.RemoveWorkspaceUserWithResponse(t.Context(), teamA.Id, owner.UserID)), http.StatusForbidden, "FORBIDDEN")
	inTeamA := member
	inTeamA.WorkspaceID = teamA.Id
	readOnly := wantError(t, create(t, mc, b.request(inTeamA, "Not allowed")), http.StatusForbidden, "FORBIDDEN")
	if !strings.Contains(readOnly.Message, "is READ") {
		t.Errorf("a READ member's create was refused with %q; want it to name the READ role", readOnly.Message)
	}
	if got := listBuckets(t, mc, api.ListBucketsParams{WorkspaceId: &teamA.Id}); got.StatusCode() != http.StatusOK {
		t.Errorf("a READ member's GET /bucket of its workspace answered %d %s", got.StatusCode(), got.Body)
	}

	// WRITE, given on the next request, lets the member create; a workspace with buckets stays.
	role := sent(t, "PUT /workspace/{id}/users/{userId}")(ac.UpdateWorkspaceUserRoleWithResponse(t.Context(), teamA.Id, member.UserID,
		api.UpdateUserRoleRequest{Role: api.WRITE}))
	decoded[api.SuccessResponse](t, "PUT /workspace/{id}/users/{userId}", role)
	buckets := []string{wantCreated(t, create(t, mc, b.request(inTeamA, "Team A one"))), wantCreated(t, create(t, ac, b.request(inTeamA, "Team A two")))}
	busy := wantAPIError(t, "DELETE /workspace/{id} with buckets",
		sent(t, "DELETE /workspace/{id}")(ac.DeleteWorkspaceWithResponse(t.Context(), teamA.Id)), http.StatusConflict, "CONFLICT")
	if !strings.Contains(busy.Message, "holds 2 live bucket(s)") {
		t.Errorf("the refusal %q does not give the count of 2", busy.Message)
	}
	for _, id := range buckets {
		decoded[api.SuccessResponse](t, "DELETE /bucket", deleteBucket(t, ac, id))
	}
	renamed := sent(t, "PUT /workspace/{id}")(ac.UpdateWorkspaceWithResponse(t.Context(), teamA.Id, api.UpdateWorkspaceRequest{Name: ptr("Team A (old)")}))
	if got := decoded[api.UpdateWorkspaceResponse](t, "PUT /workspace/{id}", renamed); got.Workspace.Name != "Team A (old)" {
		t.Errorf("PUT /workspace/{id} answered %s", renamed.GetBody())
	}
	deleted := sent(t, "DELETE /workspace/{id}")(ac.DeleteWorkspaceWithResponse(t.Context(), teamA.Id))
	decoded[api.SuccessResponse](t, "DELETE /workspace/{id}", deleted)
	wantAPIError(t, "GET of a deleted workspace",
		sent(t, "GET /workspace/{id}")(ac.GetWorkspaceWithResponse(t.Context(), teamA.Id)), http.StatusNotFound, "NOT_FOUND")
	if ids, _ := listedWorkspaces(t, mc); !slices.Equal(ids, []string{owner.WorkspaceID}) {
		t.Errorf("after the delete the member's GET /workspace = %v; want only the first workspace", ids)
	}
	wantError(t, create(t, ac, b.request(inTeamA, "Too late")), http.StatusBadRequest, "WORKSPACE_NOT_FOUND")
	reused := sent(t, "POST /workspace")(ac.CreateWorkspaceWithResponse(t.Context(), api.CreateWorkspaceRequest{Name: "Team A (old)"}))
	decoded[api.CreateWorkspaceResponse](t, "POST /workspace with a deleted workspace's name", reused)

	// Another organization's workspace is 404 exactly like an unknown id, for every call; its
	// own last workspace stays.
	intruder := b.bootstrap(t, -1)
	ic := b.client(t, intruder)
	unknown := domain.NewID()
	for _, call := range []struct {
		name string
		do   func(id string) (answer, error)
	}{
		{"GET", func(id string) (answer, error) { return ic.GetWorkspaceWithResponse(t.Context(), id) }},
		{"PUT", func(id string) (answer, error) {
			return ic.UpdateWorkspaceWithResponse(t.Context(), id, api.UpdateWorkspaceRequest{Name: ptr("Mine now")})
		}},
		{"DELETE", func(id string) (answer, error) { return ic.DeleteWorkspaceWithResponse(t.Context(), id) }},
		{"POST users", func(id string) (answer, error) {
			return ic.AddWorkspaceUserWithResponse(t.Context(), id, api.AddUserToWorkspaceRequest{UserId: intruder.UserID, Role: api.ADMIN})
		}},
		{"DELETE users", func(id string) (answer, error) {
			return ic.RemoveWorkspaceUserWithResponse(t.Context(), id, owner.UserID)
		}},
	} {
		foreign := wantAPIError(t, call.name+" of another organization's workspace", sent(t, call.name)(call.do(owner.WorkspaceID)), http.StatusNotFound, "NOT_FOUND")
		nobodys := wantAPIError(t, call.name+" of an unknown workspace", sent(t, call.name)(call.do(unknown)), http.StatusNotFound, "NOT_FOUND")
		if strings.ReplaceAll(foreign.Message, owner.WorkspaceID, "<id>") != strings.ReplaceAll(nobodys.Message, unknown, "<id>") {
			t.Errorf("%s: messages differ for a foreign and an unknown id: %q and %q", call.name, foreign.Message, nobodys.Message)
		}
	}
	if ids, _ := listedWorkspaces(t, ic); !slices.Equal(ids, []string{intruder.WorkspaceID}) {
		t.Errorf("the intruder's GET /workspace = %v; want only its own", ids)
	}
	last := wantAPIError(t, "DELETE of the last workspace",
		sent(t, "DELETE")(ic.DeleteWorkspaceWithResponse(t.Context(), intruder.WorkspaceID)), http.StatusConflict, "CONFLICT")
	if !strings.Contains(last.Message, "last workspace") {
		t.Errorf("the refusal %q does not say it is the last workspace", last.Message)
	}

	// Every change is in the audit trail, with its actor, workspace, member and role.
	trail := adminText(t, b, "audit", "--org", owner.OrgID)
	for _, want := range []string{
		`"userId":"` + owner.UserID + `","action":"workspace_create"`,
		`"action":"member_add"`, `"subjectUserId":"` + member.UserID + `","detail":"READ"`,
		`"action":"member_role"`, `"action":"workspace_rename"`, `"action":"workspace_delete","outcome":"conflict"`,
		`"action":"workspace_delete","outcome":"ok"`,
	} {
		if !strings.Contains(trail, want) {
			t.Errorf("the audit trail lacks %s:\n%s", want, trail)
		}
	}
	var e map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(trail, "\n", 2)[0]), &e); err != nil {
		t.Errorf("the audit trail is not JSON lines: %v", err)
	}
}

// testWorkspaceAdminsAndTheCommandLine drives what an operator does at the command line
// (workspace create, rename and delete, member add and role) and what a workspace ADMIN who is
// only a MEMBER of the organization may do through the API: manage that workspace's members,
// and nothing else.
func testWorkspaceAdminsAndTheCommandLine(t *testing.T, b *backend) {
	owner := b.bootstrap(t, -1)
	lead := b.addMember(t, owner, owner.WorkspaceID)
	colleague := b.addMember(t, owner, owner.WorkspaceID)
	type workspaceOut struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	type membershipOut struct {
		Role, PreviousRole string
		Changed            bool
	}

	ops := adminJSON[workspaceOut](t, b, "workspace", "create", "--org", owner.OrgID, "--name", "Ops")
	added := adminJSON[membershipOut](t, b, "member", "add", "--workspace", ops.ID, "--email", lead.Email, "--role", "READ")
	promoted := adminJSON[membershipOut](t, b, "member", "role", "--workspace", ops.ID, "--email", lead.Email, "--role", "ADMIN")
	if added.Role != "READ" || promoted.Role != "ADMIN" || promoted.PreviousRole != "READ" || !promoted.Changed {
		t.Fatalf("member add then role printed %+v and %+v; want READ, then ADMIN changed from READ", added, promoted)
	}
	renamed := adminJSON[workspaceOut](t, b, "workspace", "rename", "--org", owner.OrgID, "--workspace", ops.ID, "--name", "Operations")
	if renamed.ID != ops.ID || renamed.Name != "Operations" {
		t.Errorf("workspace rename printed %+v", renamed)
	}

	// The workspace ADMIN manages the workspace's members, from its next request on.
	lc := b.client(t, lead)
	decoded[api.SuccessResponse](t, "a workspace ADMIN's POST /workspace/{id}/users", sent(t, "POST /workspace/{id}/users")(
		lc.AddWorkspaceUserWithResponse(t.Context(), ops.ID, api.AddUserToWorkspaceRequest{UserId: colleague.UserID, Role: api.READ})))
	decoded[api.SuccessResponse](t, "a workspace ADMIN's PUT /workspace/{id}/users/{userId}", sent(t, "PUT /workspace/{id}/users/{userId}")(
		lc.UpdateWorkspaceUserRoleWithResponse(t.Context(), ops.ID, colleague.UserID, api.UpdateUserRoleRequest{Role: api.WRITE})))
	got := decoded[api.GetWorkspaceResponse](t, "GET /workspace/{id}", sent(t, "GET /workspace/{id}")(lc.GetWorkspaceWithResponse(t.Context(), ops.ID)))
	if got.Workspace.Name != "Operations" || !slices.ContainsFunc(got.Workspace.Users, func(u api.WorkspaceUser) bool {
		return u.UserId == colleague.UserID && u.Role == api.WRITE
	}) {
		t.Errorf("GET /workspace/{id} after the ADMIN's changes = %+v", got.Workspace)
	}
	// ... but not the workspace itself, nor another workspace's members.
	wantAPIError(t, "a workspace ADMIN's PUT /workspace/{id}", sent(t, "PUT /workspace/{id}")(
		lc.UpdateWorkspaceWithResponse(t.Context(), ops.ID, api.UpdateWorkspaceRequest{Name: ptr("Mine")})), http.StatusForbidden, "FORBIDDEN")
	wantAPIError(t, "a workspace ADMIN's DELETE /workspace/{id}", sent(t, "DELETE /workspace/{id}")(
		lc.DeleteWorkspaceWithResponse(t.Context(), ops.ID)), http.StatusForbidden, "FORBIDDEN")
	wantAPIError(t, "a WRITE member's POST /workspace/{id}/users in its other workspace", sent(t, "POST /workspace/{id}/users")(
		lc.AddWorkspaceUserWithResponse(t.Context(), owner.WorkspaceID, api.AddUserToWorkspaceRequest{UserId: owner.UserID, Role: api.READ})),
		http.StatusForbidden, "FORBIDDEN")

	// The operator's delete follows the API's rules: refused while a bucket lives there.
	inOps := owner
	inOps.WorkspaceID = ops.ID
	id := wantCreated(t, create(t, b.client(t, owner), b.request(inOps, "Ops bucket")))
	if res := b.admin(t, "workspace", "delete", "--org", owner.OrgID, "--workspace", ops.ID); res.err == nil ||
		!strings.Contains(res.stderr, "holds 1 live bucket(s)") {
		t.Errorf("workspace delete of a workspace with a bucket: %v, stderr %q; want a refusal giving the count", res.err, res.stderr)
	}
	decoded[api.SuccessResponse](t, "DELETE /bucket", deleteBucket(t, b.client(t, owner), id))
	if out := adminText(t, b, "workspace", "delete", "--org", owner.OrgID, "--workspace", ops.ID); !strings.Contains(out, "deleted") {
		t.Errorf("workspace delete printed %q", out)
	}
	wantAPIError(t, "GET of the deleted workspace", sent(t, "GET /workspace/{id}")(lc.GetWorkspaceWithResponse(t.Context(), ops.ID)),
		http.StatusNotFound, "NOT_FOUND")
}
