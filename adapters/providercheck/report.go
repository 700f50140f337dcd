package providercheck

import (
	"errors"
	"sync"

	"github.com/bucketd/bucketd/domain"
)

// SkippedAfterFailure is the message of a check left undecided because an earlier one failed.
const SkippedAfterFailure = "skipped: an earlier check failed"

// Report collects the outcome of a validation's checks, in a fixed order. Checks may be decided
// concurrently; a check nobody decides is reported as skipped.
type Report struct {
	mu     sync.Mutex
	checks []domain.Check
	errs   map[string]*domain.Error
}

// NewReport starts a report with the named checks, in the order they are reported.
func NewReport(names ...string) *Report {
	r := &Report{errs: make(map[string]*domain.Error, len(names))}
	for _, n := range names {
		r.checks = append(r.checks, domain.Check{Name: n})
	}
	return r
}

// Pass records that a check passed.
func (r *Report) Pass(name, message string) {
	r.set(domain.Check{Name: name, Status: domain.CheckPass, Message: message})
}

// Skip records that a check did not run, and why.
func (r *Report) Skip(name, message string) {
	r.set(domain.Check{Name: name, Status: domain.CheckSkip, Message: message})
}

// Fail records a failed check. err should be a *domain.Error whose message names the check and
// what to change; anything unclassified becomes an internal error whose details stay in the log.
func (r *Report) Fail(name, providerCode string, err error) {
	var de *domain.Error
	if !errors.As(err, &de) {
		de = domain.Wrap(domain.KindInternal, err, name+": the check could not run")
	}
	r.mu.Lock()
	r.errs[name] = de
	r.mu.Unlock()
	r.set(domain.Check{Name: name, Status: domain.CheckFail, Message: de.Message, ProviderCode: providerCode})
}

func (r *Report) set(c domain.Check) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.checks {
		if r.checks[i].Name == c.Name {
			r.checks[i] = c
			return
		}
	}
}

// Decided reports whether the named check has an outcome yet.
func (r *Report) Decided(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.checks {
		if c.Name == name {
			return c.Status != ""
		}
	}
	return false
}

// Finish marks every undecided check as skipped and returns the checks in report order.
func (r *Report) Finish() []domain.Check {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.checks {
		if r.checks[i].Status == "" {
			r.checks[i].Status = domain.CheckSkip
			r.checks[i].Message = SkippedAfterFailure
		}
	}
	return append([]domain.Check(nil), r.checks...)
}

// Failure returns the error of the first failed check in report order, or nil when none failed.
func (r *Report) Failure() *domain.Error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.checks {
		if c.Status == domain.CheckFail {
			return r.errs[c.Name]
		}
	}
	return nil
}
