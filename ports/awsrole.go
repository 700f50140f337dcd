package ports

import "context"

// ExternalIDs reads the ExternalId bucketd presents when it assumes an organization's IAM
// roles: stored with the organization, never taken from a caller.
type ExternalIDs interface {
	// OrganizationExternalID returns the organization's ExternalId; an unknown organization
	// is a KindNotFound error.
	OrganizationExternalID(ctx context.Context, orgID string) (string, error)
}

// AWSIdentity is bucketd's own AWS identity, which an organization's trust policy names.
type AWSIdentity interface {
	// Principal is the identity's ARN as STS GetCallerIdentity names it, or "" when bucketd
	// has none or STS cannot say.
	Principal(ctx context.Context) string
}
