// Package validationmetrics counts the credential validations bucketd runs at storage
// providers, by storage type and outcome, as bucketd_validations_total. It decorates each
// ports.CredentialValidator, so every validation is counted whichever use case asks (create,
// dry run, update, re-validation or the background health job): counting at the provider port,
// rather than from the HTTP answers, counts exactly the validations that reached a provider,
// and keeps the application core free of metrics.
//
// Its series go into the Prometheus registry cmd/bucketd gives it, the one GET /metrics
// serves. Labels come from closed sets (the storage types and the API's error codes), never
// from an organization, bucket or credential, so the series are safe to serve without a token.
package validationmetrics

import (
	"context"
	"errors"
	"fmt"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/prometheus/client_golang/prometheus"
)

// outcomeOK is the outcome of a validation whose every check passed.
const outcomeOK = "OK"

// Counter counts validations into one series family for every validator it wraps.
type Counter struct {
	outcomes  *prometheus.CounterVec
	errorCode func(domain.Kind) string
}

// New registers bucketd_validations_total on reg. errorCode names the outcome of a failed
// validation: the stable error code the API answers its kind with, so that a dashboard's
// outcomes are the codes callers saw. cmd/bucketd passes the HTTP adapter's table
// (httpapi.ErrorCode) rather than this package importing it, since adapters do not import
// each other, and a second copy of the table could drift from the answers.
func New(reg prometheus.Registerer, errorCode func(domain.Kind) string) (*Counter, error) {
	switch {
	case reg == nil:
		return nil, errors.New("validationmetrics.New: the registry is nil")
	case errorCode == nil:
		return nil, errors.New("validationmetrics.New: errorCode is nil")
	}
	outcomes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bucketd_validations_total",
		Help: "Credential validations at a storage provider, by storage type and outcome: OK, or the error code of the failed check.",
	}, []string{"provider", "outcome"})
	if err := reg.Register(outcomes); err != nil {
		return nil, fmt.Errorf("validationmetrics.New: register bucketd_validations_total: %w", err)
	}
	return &Counter{outcomes: outcomes, errorCode: errorCode}, nil
}

// Wrap returns a validator that runs next and counts each of its validations under provider,
// then returns next's report and error unchanged.
func (c *Counter) Wrap(provider domain.StorageType, next ports.CredentialValidator) ports.CredentialValidator {
	return countingValidator{next: next, provider: string(provider), counter: c}
}

type countingValidator struct {
	next     ports.CredentialValidator
	provider string
	counter  *Counter
}

func (v countingValidator) Validate(ctx context.Context, target domain.ValidationTarget) (domain.ValidationReport, error) {
	report, err := v.next.Validate(ctx, target)
	outcome := outcomeOK
	if err != nil {
		outcome = v.counter.errorCode(domain.KindOf(err))
	}
	v.counter.outcomes.WithLabelValues(v.provider, outcome).Inc()
	return report, err
}
