package validationmetrics_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/bucketd/bucketd/adapters/validationmetrics"
	"github.com/bucketd/bucketd/domain"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// stubValidator answers every validation with its report and err.
type stubValidator struct {
	report domain.ValidationReport
	err    error
}

func (v stubValidator) Validate(context.Context, domain.ValidationTarget) (domain.ValidationReport, error) {
	return v.report, v.err
}

// errorCodes stands for the API's table of error codes, which cmd/bucketd passes.
var errorCodes = map[domain.Kind]string{
	domain.KindInvalidCredentials: "INVALID_CREDENTIALS",
	domain.KindInternal:           "INTERNAL",
}

func errorCode(k domain.Kind) string { return errorCodes[k] }

var passingReport = domain.ValidationReport{Checks: []domain.Check{{Name: "connect", Status: domain.CheckPass, Message: "reached"}}}

func TestWrapCountsValidationsByProviderAndOutcome(t *testing.T) {
	reg := prometheus.NewRegistry()
	counter, err := validationmetrics.New(reg, errorCode)
	if err != nil {
		t.Fatal(err)
	}
	refused := domain.Errorf(domain.KindInvalidCredentials, "the provider rejected the key")
	refusedReport := domain.ValidationReport{Checks: []domain.Check{{Name: "auth", Status: domain.CheckFail, Message: "refused"}}}
	broken := errors.New("a validator bug")
	calls := []struct {
		provider   domain.StorageType
		times      int
		validator  stubValidator
		wantReport domain.ValidationReport
		wantErr    error
	}{
		{domain.StorageS3, 3, stubValidator{report: passingReport}, passingReport, nil},
		{domain.StorageGCS, 2, stubValidator{report: refusedReport, err: refused}, refusedReport, refused},
		{domain.StorageAzure, 1, stubValidator{err: broken}, domain.ValidationReport{}, broken},
	}
	for _, c := range calls {
		counted := counter.Wrap(c.provider, c.validator)
		for range c.times {
			report, err := counted.Validate(t.Context(), domain.ValidationTarget{StorageType: c.provider})
			if err != c.wantErr || !reflect.DeepEqual(report, c.wantReport) {
				t.Fatalf("the counted %s validator answered %+v, %v; want the wrapped validator's %+v, %v",
					c.provider, report, err, c.wantReport, c.wantErr)
			}
		}
	}
	got := gatherValidations(t, reg)
	want := map[[2]string]float64{
		{"S3", "OK"}:                   3,
		{"GCS", "INVALID_CREDENTIALS"}: 2,
		{"AZURE", "INTERNAL"}:          1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bucketd_validations_total by {provider, outcome} = %v, want %v", got, want)
	}
}

// gatherValidations reads bucketd_validations_total from reg, checking it is a counter with
// exactly the labels provider and outcome.
func gatherValidations(t *testing.T, reg prometheus.Gatherer) map[[2]string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "bucketd_validations_total" {
			continue
		}
		if f.GetType() != dto.MetricType_COUNTER {
			t.Fatalf("bucketd_validations_total is a %v, want a counter", f.GetType())
		}
		got := map[[2]string]float64{}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if len(labels) != 2 || labels["provider"] == "" || labels["outcome"] == "" {
				t.Fatalf("a series has labels %v, want provider and outcome only", labels)
			}
			got[[2]string{labels["provider"], labels["outcome"]}] = m.GetCounter().GetValue()
		}
		return got
	}
	t.Fatal("the registry has no bucketd_validations_total")
	return nil
}

func TestNewRefuses(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := validationmetrics.New(reg, errorCode); err != nil {
		t.Fatal(err)
	}
	for what, build := range map[string]func() (*validationmetrics.Counter, error){
		"a registry that has the series already": func() (*validationmetrics.Counter, error) { return validationmetrics.New(reg, errorCode) },
		"no registry":                            func() (*validationmetrics.Counter, error) { return validationmetrics.New(nil, errorCode) },
		"no error code": func() (*validationmetrics.Counter, error) {
			return validationmetrics.New(prometheus.NewRegistry(), nil)
		},
	} {
		if c, err := build(); err == nil || c != nil {
			t.Errorf("New with %s = %v, %v; want an error", what, c, err)
		}
	}
}
