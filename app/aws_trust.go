package app

import (
	"context"
	"errors"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// BindOrganization fills in what credentials take from the organization they are checked for
// rather than from the caller: for an AWS role (domain.CredentialAWSRole), the organization's
// ExternalId, replacing whatever the caller sent, so no organization can have bucketd assume a
// role another organization granted it (the confused-deputy defence). Every use case that
// validates credentials calls it before the provider check. ids may be nil on a server that
// does not assume roles; a role is then refused.
func BindOrganization(ctx context.Context, ids ports.ExternalIDs, orgID string, c domain.Credentials) (domain.Credentials, error) {
	c.ExternalID = ""
	if c.Kind.OrDefault() != domain.CredentialAWSRole {
		return c, nil
	}
	if ids == nil {
		return c, domain.Errorf(domain.KindInvalidInput, "credential kind %s is not enabled on this server", domain.CredentialAWSRole)
	}
	id, err := ids.OrganizationExternalID(ctx, orgID)
	if err != nil {
		return c, err
	}
	c.ExternalID = id
	return c, nil
}

// AWSTrustInfo is what an organization puts in its IAM roles' trust policies to let bucketd in.
type AWSTrustInfo struct {
	ExternalID string
	// PrincipalARN is bucketd's own AWS identity; "" when it cannot be learned.
	PrincipalARN string
}

// AWSTrust answers what an organization needs before it creates a role for bucketd.
type AWSTrust struct {
	ids ports.ExternalIDs
	// identity is nil when bucketd has no AWS identity of its own.
	identity ports.AWSIdentity
}

// NewAWSTrust returns the use case; identity may be nil.
func NewAWSTrust(ids ports.ExternalIDs, identity ports.AWSIdentity) (*AWSTrust, error) {
	if ids == nil {
		return nil, errors.New("app.NewAWSTrust: ExternalIDs is nil")
	}
	return &AWSTrust{ids: ids, identity: identity}, nil
}

// Trust returns the caller's organization's ExternalId and, when it can be learned, the ARN of
// bucketd's own identity. Any member may ask: neither is a secret, and both are needed to write
// the trust policy.
func (t *AWSTrust) Trust(ctx context.Context, p domain.Principal) (AWSTrustInfo, error) {
	id, err := t.ids.OrganizationExternalID(ctx, p.OrgID)
	if err != nil {
		return AWSTrustInfo{}, err
	}
	info := AWSTrustInfo{ExternalID: id}
	if t.identity != nil {
		info.PrincipalARN = t.identity.Principal(ctx)
	}
	return info, nil
}
