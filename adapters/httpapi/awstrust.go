package httpapi

import (
	"context"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
)

// AWSTrustService is the use case behind GET /apikeys/aws-trust (app.AWSTrust).
type AWSTrustService interface {
	Trust(ctx context.Context, p domain.Principal) (app.AWSTrustInfo, error)
}

// GetAwsTrust answers what an AWS role's trust policy needs to let bucketd in (GET
// /apikeys/aws-trust): the organization's ExternalId and bucketd's own identity.
func (s *Server) GetAwsTrust(ctx context.Context, _ api.GetAwsTrustRequestObject) (api.GetAwsTrustResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if s.awsTrust == nil {
		return nil, domain.Errorf(domain.KindNotFound, "this server does not serve AWS role access")
	}
	info, err := s.awsTrust.Trust(ctx, p)
	if err != nil {
		return nil, err
	}
	out := api.GetAwsTrust200JSONResponse{Success: true, ExternalId: info.ExternalID}
	if info.PrincipalARN != "" {
		out.PrincipalArn = &info.PrincipalARN
	}
	return out, nil
}
