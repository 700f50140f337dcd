package httpapi

import (
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/gen/api"
)

// allChecksPassed is the message of a validation in which no check failed.
const allChecksPassed = "all checks passed"

// validationResult renders a validation outcome. A failed check carries the code a create
// would have answered, from the same table as every error.
func validationResult(out app.ValidationOutcome) api.ValidationResult {
	r := api.ValidationResult{
		Success:   out.Failure == nil,
		Message:   allChecksPassed,
		Checks:    make([]api.ValidationCheck, len(out.Report.Checks)),
		LatencyMs: int(out.Report.Latency.Milliseconds()),
	}
	if out.Failure != nil {
		r.Message = out.Failure.Message
		r.Code = ptr(classOf(out.Failure.Kind).code)
	}
	for i, c := range out.Report.Checks {
		r.Checks[i] = api.ValidationCheck{
			Name:         c.Name,
			Status:       api.ValidationCheckStatus(c.Status),
			Message:      c.Message,
			ProviderCode: nonEmpty(c.ProviderCode),
		}
	}
	r.Region = nonEmpty(out.Report.Region)
	r.AddressingStyle = nonEmpty(out.Report.AddressingStyle)
	return r
}

// deref reads an optional request field; absent and empty mean the same to the use cases.
func deref[T ~string](p *T) T {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// nonEmpty leaves an empty value out of the response instead of sending "".
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
