package s3validator

import (
	"net/http"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// A panic in the SDK, on whichever goroutine the request runs, becomes the validation's error
// and is logged once; the process, here the test binary, lives on. Without the recovers each
// case ends the test binary.
func TestPanicInTheSDKIsTheValidationsError(t *testing.T) {
	const bucket = "stub-bucket"
	for name, c := range map[string]struct {
		when func(*http.Request) bool
		mode domain.ValidationMode
		says string
	}{
		// HeadBucket runs on a goroutine of its own, ListObjectsV2 on Validate's.
		"HeadBucket": {func(r *http.Request) bool { return r.Method == http.MethodHead }, domain.ValidateReadOnly,
			"bucket: HeadBucket failed unexpectedly"},
		"ListObjectsV2": {func(r *http.Request) bool { return r.URL.Query().Has("list-type") }, domain.ValidateReadOnly,
			"the S3 validation failed unexpectedly"},
		// The region and write checks run on goroutines of their own.
		"GetBucketLocation": {func(r *http.Request) bool { return r.URL.Query().Has("location") }, domain.ValidateReadOnly,
			"region: the region check failed unexpectedly"},
		"PutObject": {func(r *http.Request) bool { return r.Method == http.MethodPut }, domain.ValidateReadWrite,
			"write: the write check failed unexpectedly"},
	} {
		t.Run(name, func(t *testing.T) {
			transport, allow, endpoint := serveStub(t, &s3Stub{bucket: bucket})
			h := newHarnessAllowing(t, 0, providerchecktest.PanickingTransport{Base: transport, When: c.when}, allow)
			target := s3Target(endpoint, bucket, awsKey, awsSecret)
			target.Mode = c.mode
			_, err := h.validate(t, target)
			providerchecktest.WantRecoveredPanic(t, err, h.log.String(), c.says)
		})
	}
}
