package app_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

func TestCreateWorkspaceStoresNormalizedName(t *testing.T) {
	a, store, _ := newAdmin(t)
	var stored domain.Workspace
	store.workspaces.EXPECT().CreateWorkspace(gomock.Any(), gomock.Any()).Do(func(_ context.Context, ws domain.Workspace) { stored = ws })

	ws, err := a.CreateWorkspace(t.Context(), strings.ToUpper(orgID), "  Production ")

	if err != nil {
		t.Fatalf("CreateWorkspace: %v", err)
	}
	if ws != stored || ws.Name != "Production" || ws.OrgID != orgID || !domain.IsID(ws.ID) {
		t.Errorf("workspace = %+v (stored %+v), want Production in %s with a fresh id", ws, stored, orgID)
	}
}

func TestCreateWorkspaceRejects(t *testing.T) {
	unknown := domain.Errorf(domain.KindNotFound, "organization %s does not exist", orgID)
	tests := []struct {
		name   string
		org    string
		wsName string
		expect func(*adminStore)
		kind   domain.Kind
		want   string
	}{
		{"malformed organization id", "acme", "W", func(*adminStore) {}, domain.KindInvalidInput, `organization id "acme" is not a UUID`},
		{"empty name", orgID, " ", func(*adminStore) {}, domain.KindInvalidInput, "workspace name must not be empty"},
		{"unknown organization", orgID, "W", func(store *adminStore) {
			store.workspaces.EXPECT().CreateWorkspace(gomock.Any(), gomock.Any()).Return(unknown)
		}, domain.KindNotFound, "organization " + orgID + " does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, store, _ := newAdmin(t)
			tt.expect(store)

			_, err := a.CreateWorkspace(t.Context(), tt.org, tt.wsName)

			wantKind(t, err, tt.kind, tt.want)
		})
	}
}

func TestListWorkspacesOfOrganization(t *testing.T) {
	a, store, _ := newAdmin(t)
	workspaces := []ports.WorkspaceRecord{{Workspace: domain.Workspace{ID: wsID, OrgID: orgID, Name: "Default"}, Members: 1}}
	store.workspaces.EXPECT().ListWorkspaces(gomock.Any(), orgID).Return(workspaces, nil)

	got, err := a.ListWorkspaces(t.Context(), strings.ToUpper(orgID))

	if err != nil || !reflect.DeepEqual(got, workspaces) {
		t.Errorf("ListWorkspaces = %+v, %v; want %+v", got, err, workspaces)
	}
	_, err = a.ListWorkspaces(t.Context(), "nope")
	wantKind(t, err, domain.KindInvalidInput, `organization id "nope" is not a UUID`)
}
