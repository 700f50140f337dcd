package httpapi

import (
	"context"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/ports"
)

// WorkspaceService is the part of the application the workspace routes drive (app.Workspaces).
type WorkspaceService interface {
	List(ctx context.Context, p domain.Principal) ([]app.WorkspaceView, error)
	Get(ctx context.Context, p domain.Principal, workspaceID string) (app.WorkspaceView, error)
	Create(ctx context.Context, p domain.Principal, name string) (domain.Workspace, error)
	Update(ctx context.Context, p domain.Principal, workspaceID string, name *string) (domain.Workspace, error)
	Delete(ctx context.Context, p domain.Principal, workspaceID string) error
	AddUser(ctx context.Context, p domain.Principal, workspaceID, userID, role string) error
	SetRole(ctx context.Context, p domain.Principal, workspaceID, userID, role string) error
	RemoveUser(ctx context.Context, p domain.Principal, workspaceID, userID string) error
}

// ListWorkspaces answers the workspaces the caller may see (GET /workspace).
func (s *Server) ListWorkspaces(ctx context.Context, _ api.ListWorkspacesRequestObject) (api.ListWorkspacesResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	views, err := s.workspaces.List(ctx, p)
	if err != nil {
		return nil, err
	}
	out := api.ListWorkspaces200JSONResponse{Success: true, Workspaces: make([]api.WorkspaceWithUsers, len(views))}
	for i, v := range views {
		out.Workspaces[i] = workspaceWithUsers(v)
	}
	return out, nil
}

// GetWorkspace answers one workspace with its members (GET /workspace/{workspaceId}).
func (s *Server) GetWorkspace(ctx context.Context, req api.GetWorkspaceRequestObject) (api.GetWorkspaceResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.workspaces.Get(ctx, p, req.WorkspaceId)
	if err != nil {
		return nil, err
	}
	return api.GetWorkspace200JSONResponse{Success: true, Workspace: workspaceWithUsers(v)}, nil
}

// CreateWorkspace adds a workspace (POST /workspace).
func (s *Server) CreateWorkspace(ctx context.Context, req api.CreateWorkspaceRequestObject) (api.CreateWorkspaceResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := s.workspaces.Create(ctx, p, req.Body.Name)
	if err != nil {
		return nil, err
	}
	return api.CreateWorkspace200JSONResponse{Success: true, Workspace: workspaceOf(ws)}, nil
}

// UpdateWorkspace renames a workspace (PUT /workspace/{workspaceId}).
func (s *Server) UpdateWorkspace(ctx context.Context, req api.UpdateWorkspaceRequestObject) (api.UpdateWorkspaceResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := s.workspaces.Update(ctx, p, req.WorkspaceId, req.Body.Name)
	if err != nil {
		return nil, err
	}
	return api.UpdateWorkspace200JSONResponse{Success: true, Workspace: workspaceOf(ws)}, nil
}

// DeleteWorkspace deletes an empty workspace (DELETE /workspace/{workspaceId}).
func (s *Server) DeleteWorkspace(ctx context.Context, req api.DeleteWorkspaceRequestObject) (api.DeleteWorkspaceResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.workspaces.Delete(ctx, p, req.WorkspaceId); err != nil {
		return nil, err
	}
	return api.DeleteWorkspace200JSONResponse{Success: true}, nil
}

// AddWorkspaceUser adds a member (POST /workspace/{workspaceId}/users).
func (s *Server) AddWorkspaceUser(ctx context.Context, req api.AddWorkspaceUserRequestObject) (api.AddWorkspaceUserResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.workspaces.AddUser(ctx, p, req.WorkspaceId, req.Body.UserId, string(req.Body.Role)); err != nil {
		return nil, err
	}
	return api.AddWorkspaceUser200JSONResponse{Success: true}, nil
}

// UpdateWorkspaceUserRole changes a member's role (PUT /workspace/{workspaceId}/users/{userId}).
func (s *Server) UpdateWorkspaceUserRole(ctx context.Context, req api.UpdateWorkspaceUserRoleRequestObject) (api.UpdateWorkspaceUserRoleResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.workspaces.SetRole(ctx, p, req.WorkspaceId, req.UserId, string(req.Body.Role)); err != nil {
		return nil, err
	}
	return api.UpdateWorkspaceUserRole200JSONResponse{Success: true}, nil
}

// RemoveWorkspaceUser ends a membership (DELETE /workspace/{workspaceId}/users/{userId}).
func (s *Server) RemoveWorkspaceUser(ctx context.Context, req api.RemoveWorkspaceUserRequestObject) (api.RemoveWorkspaceUserResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.workspaces.RemoveUser(ctx, p, req.WorkspaceId, req.UserId); err != nil {
		return nil, err
	}
	return api.RemoveWorkspaceUser200JSONResponse{Success: true}, nil
}

func workspaceOf(ws domain.Workspace) api.Workspace {
	return api.Workspace{Id: ws.ID, Name: ws.Name, OrgId: ws.OrgID}
}

func workspaceWithUsers(v app.WorkspaceView) api.WorkspaceWithUsers {
	out := api.WorkspaceWithUsers{Id: v.ID, Name: v.Name, OrgId: v.OrgID, Users: make([]api.WorkspaceUser, len(v.Members))}
	for i, m := range v.Members {
		out.Users[i] = workspaceUser(m)
	}
	return out
}

// workspaceUser is a member in Flashback's shape; lastName is empty rather than made up.
func workspaceUser(m ports.WorkspaceMember) api.WorkspaceUser {
	orgRole := flashbackOrgRole(m.User.Role)
	u := api.WorkspaceUser{UserId: m.User.ID, Role: api.WorkspaceRole(m.Role)}
	u.User.Id, u.User.Email, u.User.Name, u.User.OrgRole = m.User.ID, m.User.Email, displayName(m.User.Email), &orgRole
	return u
}
