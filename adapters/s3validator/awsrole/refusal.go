package awsrole

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// identityCodes are STS's codes for a request whose signer it does not accept: bucketd's own
// identity is wrong, which only the operator can fix.
var identityCodes = map[string]bool{
	"InvalidClientTokenId":       true,
	"SignatureDoesNotMatch":      true,
	"ExpiredToken":               true,
	"IncompleteSignature":        true,
	"MissingAuthenticationToken": true,
	"InvalidAccessKeyId":         true,
}

// refusal classifies a failed AssumeRole into the *domain.Error the validation reports. Whatever
// STS said is an attacker's answer until proven otherwise: codes and messages are cleaned and
// bounded, a body that is not STS's XML is named as such, and nothing becomes a 500.
func (a *Assumer) refusal(ctx context.Context, check string, role Role, err error) error {
	cause := providercheck.Bounded(err)
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.HTTPStatusCode() == 0 {
		kind, ok := providercheck.TransportKind(err)
		var sendErr *smithyhttp.RequestSendError
		if !ok && errors.As(err, &sendErr) {
			kind = domain.KindEndpointUnreachable
		} else if !ok {
			kind = domain.KindProviderError
		}
		return domain.Wrap(kind, cause, providercheck.DescribeTransport(check, a.where, kind, err, a.timeout))
	}
	status := re.HTTPStatusCode()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		kind := providercheck.AnswerKind(err)
		if kind == domain.KindProviderTimeout {
			return domain.Wrap(kind, cause, providercheck.DescribeTransport(check, a.where, kind, err, a.timeout))
		}
		odd := providercheck.OddAnswer{Status: status, ContentType: re.Response.Header.Get("Content-Type"),
			Want: "the XML STS sends", API: "an STS API", Err: err}
		return domain.Wrap(kind, cause, odd.Describe(check, a.where))
	}
	// STS's own words may quote the role ARN, which, like every credential's key, is shown only
	// as its hint; the SDK's error, which quotes them too, is left out for the same reason.
	code := providercheck.Printable(ae.ErrorCode())
	detail := strings.ReplaceAll(providercheck.Printable(ae.ErrorMessage()), role.ARN.Reveal(), role.ARN.Hint())
	cause = fmt.Errorf("STS answered %d %s", status, code)
	switch {
	case status >= http.StatusInternalServerError:
		return domain.Wrap(domain.KindProviderError, cause, providercheck.DescribeServerError(check, a.where, status, code))
	case code == "AccessDenied":
		return domain.Wrap(domain.KindAccessDenied, cause, a.describeTrust(ctx, check, role))
	case identityCodes[code]:
		return domain.Wrap(domain.KindProviderError, cause, fmt.Sprintf(
			"%s: %s refused this bucketd's own AWS identity (%s); its operator must fix bucketd's AWS credentials", check, a.where, code))
	case code == "ValidationError" || code == "MalformedPolicyDocument" || code == "PackedPolicyTooLarge":
		return domain.Wrap(domain.KindInvalidInput, cause, fmt.Sprintf(
			"%s: %s refused to assume role %s (%s); check the role ARN", check, a.where, role.ARN.Hint(), reason(code, detail)))
	}
	return domain.Wrap(domain.KindProviderError, cause, fmt.Sprintf(
		"%s: %s refused to assume role %s with %d (%s)", check, a.where, role.ARN.Hint(), status, reason(code, detail)))
}

// describeTrust is the message of an AccessDenied: the role's trust policy does not let bucketd
// in with the organization's ExternalId, so it names the statement to add.
func (a *Assumer) describeTrust(ctx context.Context, check string, role Role) string {
	principal := "the AWS identity this bucketd runs as"
	if arn := a.Principal(ctx); arn != "" {
		principal = fmt.Sprintf("%q", arn)
	}
	return fmt.Sprintf("%s: %s denied bucketd assuming role %s (AccessDenied); the role's trust policy must allow "+
		"sts:AssumeRole to principal %s with the condition \"StringEquals\": {\"sts:ExternalId\": %q}",
		check, a.where, role.ARN.Hint(), principal, role.ExternalID)
}

// reason is a code with its message when that says more.
func reason(code, detail string) string {
	if detail == "" || detail == code {
		return code
	}
	return code + ": " + detail
}
