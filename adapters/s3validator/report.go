package s3validator

import (
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// The checks, in the order they are reported. The first failed one decides the error.
const (
	checkConnect = "connect"
	checkAuth    = "authenticate"
	checkBucket  = "bucket"
	checkList    = "list"
	checkRegion  = "region"
	checkWrite   = "write"
)

// report is the shared check report plus what S3 learns on the way.
type report struct {
	*providercheck.Report
	// region is the bucket's region as the provider reported it, when it did.
	region string
	// style is the addressing style whose answers the report is built on; empty when no
	// request got an answer.
	style string
}

func newReport(mode domain.ValidationMode) *report {
	names := []string{checkConnect, checkAuth, checkBucket, checkList, checkRegion}
	if mode == domain.ValidateReadWrite {
		names = append(names, checkWrite)
	}
	return &report{Report: providercheck.NewReport(names...)}
}

// fail records a failed check classified by what the provider answered; the SDK's error is
// kept as the cause, its text bounded for the log.
func (r *report) fail(name string, a answer, message string) {
	r.Fail(name, a.code, domain.Wrap(a.kind, providercheck.Bounded(a.err), message))
}
