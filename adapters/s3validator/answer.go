package s3validator

import (
	"errors"
	"net/http"
	"regexp"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
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
	// detail is the provider's error message, cleaned for display.
	detail string
	// region is the bucket's region when the provider named it: x-amz-bucket-region, or the
	// region an AuthorizationHeaderMalformed answer expects.
	region string
	// odd is set when the provider answered but its body could not be used: the SDK could not
	// read or decode it, or a ListObjectsV2 answer listed no such bucket (see notListing).
	odd *providercheck.OddAnswer
	// notListing says a ListObjectsV2 answer succeeded without listing the bucket: a service
	// that ignores the bucket's subdomain lists its buckets instead, and a server that is no S3
	// API at all may send anything, HTML included, which the SDK decodes as an empty listing.
	notListing bool
}

// What S3 sends, for the messages about answers whose body is not that.
const (
	s3Body = "the XML S3 sends"
	s3API  = "an S3 API"
)

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

// regionCodes are the codes of a provider refusing the region the requests were signed for
// (they name no other region; an AuthorizationHeaderMalformed answer that does is a region
// mismatch too).
var regionCodes = map[string]bool{"InvalidRegion": true, "IllegalLocationConstraint": true}

// inputCodes are the codes of a provider refusing a value of the request the caller sent: the
// bucket name, or an argument the provider's message names.
var inputCodes = map[string]bool{"InvalidBucketName": true, "InvalidArgument": true}

// expectedRegion extracts the region from AWS's and S3-compatible services'
// AuthorizationHeaderMalformed message: "the region 'us-east-1' is wrong; expecting 'eu-west-1'".
var expectedRegion = regexp.MustCompile(`expecting ['"]([A-Za-z0-9._-]+)['"]`)

// classify turns an SDK error into an answer. What the provider chose to say (code, message,
// region) is cleaned, or dropped when it cannot be what it claims, before any message shows it.
func classify(err error) answer {
	a := answer{err: err}
	if err == nil {
		return a
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.HTTPStatusCode() == 0 {
		a.kind = transportKind(err) // no answer came
		return a
	}
	a.status = re.HTTPStatusCode()
	a.region = regionName(re.Response.Header.Get("x-amz-bucket-region"))
	var ae smithy.APIError
	if errors.As(err, &ae) {
		a.code, a.detail = providercheck.Printable(ae.ErrorCode()), providercheck.Printable(ae.ErrorMessage())
		if m := expectedRegion.FindStringSubmatch(ae.ErrorMessage()); m != nil && a.code == "AuthorizationHeaderMalformed" {
			a.region = regionName(m[1])
		}
	} else {
		// An answer came, but the SDK could not read its body or make an S3 error of it.
		a.odd = &providercheck.OddAnswer{Status: a.status, ContentType: re.Response.Header.Get("Content-Type"),
			Want: s3Body, API: s3API, Err: err}
	}
	a.kind = a.classifyKind()
	return a
}

// notAListing is the answer to a ListObjectsV2 that succeeded without listing bucket; md is
// the operation's result metadata, which holds the raw response.
func notAListing(bucket string, md middleware.Metadata) answer {
	a := answer{err: errNotAListing, kind: domain.KindProviderError, status: http.StatusOK, notListing: true}
	odd := providercheck.OddAnswer{Want: "a listing of bucket " + bucket, API: s3API}
	if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		a.status, odd.ContentType = raw.StatusCode, raw.Header.Get("Content-Type")
	}
	odd.Status = a.status
	a.odd = &odd
	return a
}

var errNotAListing = errors.New("the ListObjectsV2 answer does not list the bucket")

// regionName returns region when it can be a region name, "" otherwise.
func regionName(region string) string {
	if checkRegionName(region) != nil {
		return ""
	}
	return region
}

func (a answer) classifyKind() domain.Kind {
	switch {
	case a.status >= 500:
		return domain.KindProviderError
	case a.status == http.StatusMovedPermanently || a.code == "PermanentRedirect" ||
		a.code == "AuthorizationHeaderMalformed" && a.region != "" ||
		a.status == http.StatusBadRequest && a.region != "" || regionCodes[a.code]:
		return domain.KindRegionMismatch
	case a.odd != nil:
		return providercheck.AnswerKind(a.err)
	case inputCodes[a.code]:
		return domain.KindInvalidInput
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
	if a.ok() || !bareCodes[a.code] || sibling.ok() || sibling.status != a.status || sibling.code == "" || bareCodes[sibling.code] {
		return a
	}
	a.code, a.detail = sibling.code, sibling.detail
	if a.region == "" {
		a.region = sibling.region
	}
	a.kind = a.classifyKind()
	return a
}
