package gcsvalidator

import "github.com/bucketd/bucketd/adapters/providercheck"

// The checks, in the order they are reported. The first failed one decides the error. bucket
// (which decides region) and permissions are asked of the API concurrently, and their answers
// decide connect and authenticate too (a bare PEM key whose key id is not yet known has its
// authenticate decided by the token endpoint, before them).
const (
	checkConnect     = "connect"
	checkAuth        = "authenticate"
	checkBucket      = "bucket"
	checkRegion      = "region"
	checkPermissions = "permissions"
)

// report is the shared check report plus the bucket's location, once known.
type report struct {
	*providercheck.Report
	region string
}

func newReport() *report {
	return &report{Report: providercheck.NewReport(checkConnect, checkAuth, checkBucket, checkRegion, checkPermissions)}
}
