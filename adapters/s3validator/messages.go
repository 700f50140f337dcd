package s3validator

import (
	"fmt"
	"net/http"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// permissions names the IAM actions each check needs, for access-denied messages.
var permissions = map[string]string{
	checkBucket: "s3:ListBucket",
	checkList:   "s3:ListBucket",
	checkRegion: "s3:GetBucketLocation",
	checkWrite:  "s3:PutObject and s3:DeleteObject",
}

// describe writes the caller-facing message for a failed answer of check. It names the check,
// the bucket and the key hint, never the key or the secret; failures that are not S3's verdict
// are worded by providercheck, as for every provider.
func (p *probe) describe(check string, a answer) string {
	if msg, ok := providercheck.DescribePanic(check, a.err); ok {
		return msg
	}
	bucket := p.target.Bucket
	switch a.kind {
	case domain.KindInvalidCredentials:
		return p.describeCredentials(check, a)
	case domain.KindAccessDenied:
		return fmt.Sprintf("%s: access denied for key %s on bucket %s; grant %s", check, p.keyHint, bucket, permissions[check])
	case domain.KindBucketNotFound:
		return fmt.Sprintf("%s: bucket %s does not exist at %s; check the bucket name and the endpoint", check, bucket, p.where)
	case domain.KindRegionMismatch:
		switch {
		case a.region != "":
			return fmt.Sprintf("region: bucket %s is in %s, not %s; set region to %s", bucket, a.region, p.signedFor(), a.region)
		case regionCodes[a.code]:
			return fmt.Sprintf("region: %s refused region %q (%s); set region to the bucket's region", p.where, p.signedFor(), a.reason())
		}
		return fmt.Sprintf("region: %s redirected bucket %s away from region %s; set region to the bucket's region",
			p.where, bucket, p.signedFor())
	case domain.KindInvalidInput:
		if a.code == "InvalidBucketName" {
			return fmt.Sprintf("%s: %s refused the bucket name %q (%s); check bucket against the provider's naming rules",
				check, p.where, bucket, a.reason())
		}
		return fmt.Sprintf("%s: %s refused an argument of the request (%s); check bucket, region and endpoint", check, p.where, a.reason())
	case domain.KindProviderError:
		switch {
		case a.status >= http.StatusInternalServerError:
			return providercheck.DescribeServerError(check, p.where, a.status, a.code)
		case a.odd != nil:
			return a.odd.Describe(check, p.where)
		case a.status != 0:
			return fmt.Sprintf("%s: %s refused the request with %d (%s) for key %s on bucket %s; check the bucket, region and endpoint",
				check, p.where, a.status, a.reason(), p.keyHint, bucket)
		}
	}
	return providercheck.DescribeTransport(check, p.where, a.kind, a.err, p.timeout)
}

func (p *probe) describeCredentials(check string, a answer) string {
	switch a.code {
	case "SignatureDoesNotMatch":
		return fmt.Sprintf("%s: the secret does not match key %s (SignatureDoesNotMatch); check the secret access key", check, p.keyHint)
	case "InvalidAccessKeyId":
		return fmt.Sprintf("%s: key %s is not known at %s (InvalidAccessKeyId); check the access key id and the endpoint",
			check, p.keyHint, p.where)
	case "InvalidToken", "ExpiredToken", "TokenRefreshRequired":
		return p.describeToken(check, a)
	}
	return fmt.Sprintf("%s: %s rejected key %s (%s); check the access key id and the secret", check, p.where, p.keyHint, a.code)
}

// describeToken words a refused session token by the credentials' kind: temporary credentials
// that expired must be replaced, an assumed role's are renewed by bucketd, and long-lived keys
// carry no token at all.
func (p *probe) describeToken(check string, a answer) string {
	expired := a.code != "InvalidToken"
	switch {
	case p.kind == domain.CredentialAWSSession && expired:
		return fmt.Sprintf("%s: the temporary credentials of key %s expired (%s); give new ones: access key, secret and session token",
			check, p.keyHint, a.code)
	case p.kind == domain.CredentialAWSSession:
		return fmt.Sprintf("%s: %s does not accept the session token of key %s (%s); give the session token STS issued with this key",
			check, p.where, p.keyHint, a.code)
	case p.kind == domain.CredentialAWSRole:
		return fmt.Sprintf("%s: %s refused the credentials assumed from role %s (%s); retry, or check that the role's session may reach %s",
			check, p.where, p.keyHint, a.code, p.where)
	}
	return fmt.Sprintf("%s: key %s needs a session token (%s); use a long-lived access key", check, p.keyHint, a.code)
}

// reason is the provider's code with its message, when that says more, for messages.
func (a answer) reason() string {
	switch {
	case a.code == "":
		return http.StatusText(a.status)
	case a.detail == "" || a.detail == a.code || a.detail == http.StatusText(a.status):
		return a.code
	}
	return a.code + ": " + a.detail
}
