package s3validator

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// A provider that answers, but not as S3 does, is a PROVIDER_ERROR saying what was odd, never an
// internal error; and one that refuses a value the caller sent names the field. Each case is a
// loopback stub answering through the real validator and SDK.
func TestOddAnswers(t *testing.T) {
	const bucket = "stub-bucket"
	html := stubAnswer{status: http.StatusOK, contentType: "text/html; charset=utf-8", body: "<html><body>Welcome to nginx!</body></html>"}
	badRequest := func(code, message string) stubAnswer {
		return stubAnswer{status: http.StatusBadRequest, body: xmlError(code, message)}
	}
	for _, c := range []struct {
		name   string
		stub   *s3Stub
		kind   domain.Kind
		says   string
		checks map[string]domain.CheckStatus
	}{
		{
			name: "HTML answered to every request", stub: &s3Stub{head: html, list: html, location: html},
			kind:   domain.KindProviderError,
			says:   "list: %s answered 200 with a body that is not a listing of bucket stub-bucket (text/html; charset=utf-8); is the endpoint an S3 API?",
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkList: domain.CheckFail},
		},
		{
			name: "a JSON array for a listing", stub: &s3Stub{list: stubAnswer{status: http.StatusOK, contentType: "application/json", body: "[1,2]"}},
			kind: domain.KindProviderError,
			says: "list: %s answered 200 with a body that is not a listing of bucket stub-bucket (application/json)",
		},
		{
			name: "an empty listing body", stub: &s3Stub{list: stubAnswer{status: http.StatusOK}},
			kind: domain.KindProviderError,
			says: "list: %s answered 200 with a body that is not a listing of bucket stub-bucket (no content type)",
		},
		{
			name: "a listing of another bucket", stub: &s3Stub{list: stubAnswer{status: http.StatusOK, body: xmlListing("other-bucket")}},
			kind: domain.KindProviderError,
			says: "list: %s answered 200 with a body that is not a listing of bucket stub-bucket (application/xml)",
		},
		{
			name: "truncated XML", stub: &s3Stub{list: stubAnswer{status: http.StatusOK, body: `<?xml version="1.0"?><ListBucketResult><Name>stub-bu`}},
			kind: domain.KindProviderError,
			says: "list: %s answered 200 with a body that is not the XML S3 sends (application/xml); is the endpoint an S3 API?",
		},
		{
			name: "a body cut short", stub: &s3Stub{list: stubAnswer{status: http.StatusOK, body: xmlListing(bucket)[:60], cut: true}},
			kind: domain.KindProviderError,
			says: "list: %s answered 200 but its body ends too early, before the XML S3 sends was complete; retry later, or check the endpoint",
		},
		{
			name: "a listing over the body cap", stub: &s3Stub{list: stubAnswer{status: http.StatusOK,
				body: `<?xml version="1.0"?><ListBucketResult><Name>stub-bucket</Name>` + strings.Repeat(" ", 300<<10)}},
			kind: domain.KindProviderError,
			says: "list: %s answered with more than 256 KiB; bucketd reads at most 256 KiB of a provider's answer (--provider-max-body)",
		},
		{
			name: "an error message of 200 KiB",
			stub: &s3Stub{list: stubAnswer{status: http.StatusConflict, body: xmlError("Odd", strings.Repeat("x", 200<<10))}},
			kind: domain.KindProviderError,
			says: "list: %s refused the request with 409 (Odd: xxx",
		},
		{
			name: "an error body that is not XML", stub: &s3Stub{list: stubAnswer{status: http.StatusForbidden, body: "\x00\x01 not xml"}},
			kind: domain.KindProviderError,
			says: "list: %s answered 403 with a body that is not the XML S3 sends (application/xml)",
		},
		{
			name: "a region header that is no region name",
			stub: &s3Stub{
				head: stubAnswer{status: http.StatusMovedPermanently, region: "not a region!"},
				list: stubAnswer{status: http.StatusMovedPermanently, region: "not a region!"},
			},
			kind: domain.KindRegionMismatch,
			says: "region: %s redirected bucket stub-bucket away from region us-east-1; set region to the bucket's region",
		},
		{
			name: "the bucket name refused",
			stub: &s3Stub{head: stubAnswer{status: http.StatusBadRequest}, list: badRequest("InvalidBucketName", "The specified bucket is not valid.")},
			kind: domain.KindInvalidInput,
			says: `bucket: %s refused the bucket name "stub-bucket" (InvalidBucketName: The specified bucket is not valid.); ` +
				"check bucket against the provider's naming rules",
			checks: map[string]domain.CheckStatus{checkBucket: domain.CheckFail, checkList: domain.CheckFail},
		},
		{
			name:   "the region refused",
			stub:   &s3Stub{head: stubAnswer{status: http.StatusBadRequest}, list: badRequest("InvalidRegion", "Region does not match.")},
			kind:   domain.KindRegionMismatch,
			says:   `region: %s refused region "us-east-1" (InvalidRegion: Region does not match.); set region to the bucket's region`,
			checks: map[string]domain.CheckStatus{checkRegion: domain.CheckFail, checkAuth: domain.CheckSkip},
		},
		{
			name: "an argument refused",
			stub: &s3Stub{head: stubAnswer{status: http.StatusBadRequest}, list: badRequest("InvalidArgument", "Invalid argument: max-keys")},
			kind: domain.KindInvalidInput,
			says: "bucket: %s refused an argument of the request (InvalidArgument: Invalid argument: max-keys); check bucket, region and endpoint",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.stub.bucket = bucket
			h, endpoint := stubHarness(t, c.stub)
			target := s3Target(endpoint, bucket, awsKey, awsSecret)
			report, err := h.validate(t, target)
			providerchecktest.WantBoundedText(t, err, h.log.String())
			providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{
				Kind: c.kind, Says: []string{strings.ReplaceAll(c.says, "%s", endpoint)}, Checks: c.checks})
		})
	}
}
