package s3validator

import (
	"errors"
	"net/http"
	"regexp"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// answer is what one S3 request found out, classified once.
type answer struct {
	err error // the SDK's error; nil on success
	// kind classifies err; meaningless when err is nil.
	kind domain.Kind
	// code is the provider's error code. HEAD responses carry no body, so for them the SDK makes
	// one from the status text ("Forbidden", "NotFound", "BadRequest").
	code string
	// status is the HTTP status, 0 when no HTTP answer arrived.
	status int
	// region is the bucket's region when the provider named it: x-amz-bucket-region, or the
	// region an AuthorizationHeaderMalformed answer expects.
	region string
	// listed is the bucket a successful ListObjectsV2 named in its answer.
	listed string
}

func (a answer) ok() bool { return a.err == nil }

// answered reports whether the provider sent an HTTP response.
func (a answer) answered() bool { return a.err == nil || a.status != 0 }

// authenticated reports whether the answer proves the provider accepted the credentials: it
// came back, and what failed was not the signature or the key.
func (a answer) authenticated() bool {
	return a.ok() || a.kind == domain.KindAccessDenied || a.kind == domain.KindBucketNotFound
}

// credentialCodes are the provider codes that mean the key or the secret is wrong.
var credentialCodes = map[string]bool{
	"SignatureDoesNotMatch": true,
	"InvalidAccessKeyId":    true,
	"InvalidToken":          true,
	"ExpiredToken":          true,
	"TokenRefreshRequired":  true,
}

// accessCodes are the provider codes that mean authentication succeeded but the key lacks a
// permission (or the account is barred from the bucket).
var accessCodes = map[string]bool{
	"AccessDenied":      true,
	"AllAccessDisabled": true,
	"AccountProblem":    true,
	"Forbidden":         true, // a body-less 403, as HEAD gets
}

// bareCodes are the codes the SDK makes from a status line when the response had no body; a
// sibling request's body can name the precise one.
var bareCodes = map[string]bool{"Forbidden": true, "NotFound": true, "BadRequest": true, "MovedPermanently": true}

// expectedRegion extracts the region from AWS's and S3-compatible services'
// AuthorizationHeaderMalformed message: "the region 'us-east-1' is wrong; expecting 'eu-west-1'".
var expectedRegion = regexp.MustCompile(`expecting ['"]([A-Za-z0-9._-]+)['"]`)

// classify turns an SDK error into an answer.
func classify(err error) answer {
	a := answer{err: err}
	if err == nil {
		return a
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		a.status = re.HTTPStatusCode()
		a.region = re.Response.Header.Get("x-amz-bucket-region")
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && a.status != 0 {
		a.code = ae.ErrorCode()
		if m := expectedRegion.FindStringSubmatch(ae.ErrorMessage()); m != nil && a.code == "AuthorizationHeaderMalformed" {
			a.region = m[1]
		}
	}
	a.kind = a.classifyKind()
	return a
}

func (a answer) classifyKind() domain.Kind {
	if a.status == 0 {
		return transportKind(a.err)
	}
	switch {
	case a.status >= 500:
		return domain.KindProviderError
	case a.status == http.StatusMovedPermanently || a.code == "PermanentRedirect" ||
		a.code == "AuthorizationHeaderMalformed" && a.region != "" ||
		a.status == http.StatusBadRequest && a.region != "":
		return domain.KindRegionMismatch
	case credentialCodes[a.code] || a.code == "AuthorizationHeaderMalformed":
		return domain.KindInvalidCredentials
	case a.status == http.StatusForbidden && accessCodes[a.code]:
		return domain.KindAccessDenied
	case a.status == http.StatusNotFound || a.code == "NoSuchBucket":
		return domain.KindBucketNotFound
	}
	return domain.KindProviderError
}

// transportKind classifies a failure that produced no HTTP answer; on top of the shared rules,
// the SDK's own "request send failed" also means the endpoint could not be reached.
func transportKind(err error) domain.Kind {
	if kind, ok := providercheck.TransportKind(err); ok {
		return kind
	}
	var sendErr *smithyhttp.RequestSendError
	if errors.As(err, &sendErr) {
		return domain.KindEndpointUnreachable
	}
	return domain.KindInternal // the SDK could not even build the request
}

// refine replaces a bare HEAD code by the precise code a sibling request's body gave for the
// same status, so a body-less 403 becomes SignatureDoesNotMatch or AccessDenied.
func (a answer) refine(sibling answer) answer {
	if a.ok() || !bareCodes[a.code] || sibling.ok() || sibling.status != a.status || bareCodes[sibling.code] {
		return a
	}
	a.code = sibling.code
	if a.region == "" {
		a.region = sibling.region
	}
	a.kind = a.classifyKind()
	return a
}
