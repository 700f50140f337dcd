package s3validator

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/bucketd/bucketd/adapters/s3validator/awsrole"
	"github.com/bucketd/bucketd/domain"
)

// credentials is what the S3 requests are signed with, by the credentials' kind: the key and
// secret as given, with the session token of temporary credentials, or the temporary
// credentials of an assumed role. A refusal is the authenticate check's.
func (v *Validator) credentials(ctx context.Context, t domain.ValidationTarget) (aws.CredentialsProvider, error) {
	c := t.Credentials
	switch c.Kind.OrDefault() {
	case domain.CredentialKeySecret:
		return credentials.NewStaticCredentialsProvider(c.Key.Reveal(), c.Secret.Reveal(), ""), nil
	case domain.CredentialAWSSession:
		if c.SessionToken.IsZero() {
			return nil, domain.Errorf(domain.KindInvalidInput,
				"%s: temporary credentials (AWS_SESSION) need the session token STS issued with key %s", checkAuth, c.Key.Hint())
		}
		return credentials.NewStaticCredentialsProvider(c.Key.Reveal(), c.Secret.Reveal(), c.SessionToken.Reveal()), nil
	case domain.CredentialAWSRole:
		if v.roles == nil {
			return nil, domain.Errorf(domain.KindInternal, "%s: this validator was built without role assumption", checkAuth)
		}
		assumed, err := v.roles.Assume(ctx, checkAuth, awsrole.Role{ARN: c.Key, ExternalID: c.ExternalID, OrgID: t.OrgID})
		if err != nil {
			return nil, err
		}
		return credentials.StaticCredentialsProvider{Value: assumed}, nil
	}
	return nil, domain.Errorf(domain.KindInternal, "%s: S3 cannot use credentials of kind %s", checkAuth, c.Kind)
}
