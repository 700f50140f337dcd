package httpapi

import (
	"context"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/ports"
)

// SignInService is the part of the application that signs people in and keeps their sessions
// and their own API tokens.
type SignInService interface {
	Login(ctx context.Context, email string, password domain.Secret) (app.SignedIn, error)
	Refresh(ctx context.Context, refreshToken domain.Secret) (domain.SessionTokens, error)
	Logout(ctx context.Context, refreshToken domain.Secret) error
	OwnTokens(ctx context.Context, p domain.Principal) ([]ports.TokenRecord, error)
	RevokeOwnToken(ctx context.Context, p domain.Principal, tokenID string) error
}

// UserLogin signs a user in with email and password (POST /user/login).
func (s *Server) UserLogin(ctx context.Context, req api.UserLoginRequestObject) (api.UserLoginResponseObject, error) {
	in, err := s.signIn.Login(ctx, req.Body.Email, domain.NewSecret(req.Body.Password))
	if err != nil {
		return nil, err
	}
	u := in.User
	return api.UserLogin200JSONResponse{Success: true, AccessToken: in.Tokens.Access.Reveal(),
		RefreshToken: in.Tokens.Refresh.Reveal(), ExpiresAt: in.Tokens.AccessExpiresAt.UnixMilli(),
		User: api.SignedInUser{Id: u.ID, Email: u.Email, Name: displayName(u.Email), OrgId: u.OrgID,
			OrgRole: api.SignedInUserOrgRole(flashbackOrgRole(u.Role))}}, nil
}

// UserRefresh exchanges a refresh token for new tokens (POST /user/refresh).
func (s *Server) UserRefresh(ctx context.Context, req api.UserRefreshRequestObject) (api.UserRefreshResponseObject, error) {
	tokens, err := s.signIn.Refresh(ctx, domain.NewSecret(req.Body.RefreshToken))
	if err != nil {
		return nil, err
	}
	access := tokens.Access.Reveal()
	return api.UserRefresh200JSONResponse{Success: true, Token: access, AccessToken: access,
		RefreshToken: tokens.Refresh.Reveal(), ExpiresAt: tokens.AccessExpiresAt.UnixMilli()}, nil
}

// UserLogout ends the session of a refresh token (POST /user/logout).
func (s *Server) UserLogout(ctx context.Context, req api.UserLogoutRequestObject) (api.UserLogoutResponseObject, error) {
	if err := s.signIn.Logout(ctx, domain.NewSecret(req.Body.RefreshToken)); err != nil {
		return nil, err
	}
	return api.UserLogout200JSONResponse{Success: true}, nil
}

// GetTokens lists the caller's API tokens (GET /token).
func (s *Server) GetTokens(ctx context.Context, _ api.GetTokensRequestObject) (api.GetTokensResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	tokens, err := s.signIn.OwnTokens(ctx, p)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]api.TokenInfo, len(tokens))
	for i, t := range tokens {
		out[i] = api.TokenInfo{Id: t.ID, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt,
			RevokedAt: t.RevokedAt, State: api.TokenInfoState(t.State(now))}
	}
	return api.GetTokens200JSONResponse{Success: true, Tokens: out}, nil
}

// RevokeToken revokes one of the caller's API tokens (DELETE /token/{tokenId}).
func (s *Server) RevokeToken(ctx context.Context, req api.RevokeTokenRequestObject) (api.RevokeTokenResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.signIn.RevokeOwnToken(ctx, p, req.TokenId); err != nil {
		return nil, err
	}
	return api.RevokeToken200JSONResponse{Success: true}, nil
}
