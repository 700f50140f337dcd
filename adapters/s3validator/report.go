package s3validator

import (
	"errors"

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

// report collects the outcome of every check. A check nobody decided is reported as skipped.
type report struct {
	checks []domain.Check
	errs   map[string]*domain.Error
	// region is the bucket's region as the provider reported it, when it did.
	region string
}

func newReport(mode domain.ValidationMode) *report {
	names := []string{checkConnect, checkAuth, checkBucket, checkList, checkRegion}
	if mode == domain.ValidateReadWrite {
		names = append(names, checkWrite)
	}
	r := &report{errs: map[string]*domain.Error{}}
	for _, n := range names {
		r.checks = append(r.checks, domain.Check{Name: n})
	}
	return r
}

func (r *report) set(c domain.Check) {
	for i := range r.checks {
		if r.checks[i].Name == c.Name {
			r.checks[i] = c
			return
		}
	}
}

func (r *report) pass(name, message string) {
	r.set(domain.Check{Name: name, Status: domain.CheckPass, Message: message})
}

func (r *report) skip(name, message string) {
	r.set(domain.Check{Name: name, Status: domain.CheckSkip, Message: message})
}

// fail records a failed check classified by what the provider answered.
func (r *report) fail(name string, a answer, message string) {
	r.failWith(name, a.code, domain.Wrap(a.kind, a.err, message))
}

// failWith records a failed check with an already classified error; anything unclassified is
// an internal error whose details stay in the log.
func (r *report) failWith(name, providerCode string, err error) {
	var de *domain.Error
	if !errors.As(err, &de) {
		de = domain.Wrap(domain.KindInternal, err, name+": the check could not run")
	}
	r.errs[name] = de
	r.set(domain.Check{Name: name, Status: domain.CheckFail, Message: de.Message, ProviderCode: providerCode})
}

// finish marks every undecided check as skipped and returns the checks in report order.
func (r *report) finish() []domain.Check {
	for i := range r.checks {
		if r.checks[i].Status == "" {
			r.checks[i].Status = domain.CheckSkip
			r.checks[i].Message = "skipped: an earlier check failed"
		}
	}
	return r.checks
}

// failure returns the error of the first failed check, or nil when none failed.
func (r *report) failure() *domain.Error {
	for _, c := range r.checks {
		if c.Status == domain.CheckFail {
			return r.errs[c.Name]
		}
	}
	return nil
}
