package providerchecktest

import (
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

// WantKind fails t unless err is a *domain.Error of kind whose message contains every fragment.
func WantKind(t testing.TB, err error, kind domain.Kind, fragments ...string) {
	t.Helper()
	if !domain.IsKind(err, kind) {
		t.Fatalf("error = %v (kind %v), want kind %v", err, domain.KindOf(err), kind)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

// Check returns the named check of report, failing t when it is missing.
func Check(t testing.TB, report domain.ValidationReport, name string) domain.Check {
	t.Helper()
	for _, c := range report.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("report has no %q check: %+v", name, report.Checks)
	return domain.Check{}
}

// WantChecks fails t unless every named check has the status, and a message.
func WantChecks(t testing.TB, report domain.ValidationReport, want map[string]domain.CheckStatus) {
	t.Helper()
	for name, status := range want {
		if got := Check(t, report, name); got.Status != status || got.Message == "" {
			t.Errorf("check %s = %+v, want status %s with a message", name, got, status)
		}
	}
}

// Outcome is what a table case expects of one validation.
type Outcome struct {
	// Kind is the error's kind; domain.KindInternal, the zero value, means the validation
	// passes.
	Kind domain.Kind
	// Says are fragments the error's message must contain.
	Says []string
	// Checks are the statuses named checks must have, each with a message.
	Checks map[string]domain.CheckStatus
	// Codes are the provider codes named checks must carry.
	Codes map[string]string
}

// WantOutcome fails t unless the validation that returned report and err ended as want says:
// passed, or failed with want's kind and words in a report that does not pass; with want's
// checks and provider codes; and with its latency measured.
func WantOutcome(t testing.TB, report domain.ValidationReport, err error, want Outcome) {
	t.Helper()
	if want.Kind == domain.KindInternal {
		if err != nil || !report.Passed() {
			t.Fatalf("Validate error = %v, want success; report %+v", err, report.Checks)
		}
	} else {
		WantKind(t, err, want.Kind, want.Says...)
		if report.Passed() {
			t.Errorf("the report passes although validation failed: %+v", report.Checks)
		}
	}
	WantChecks(t, report, want.Checks)
	for name, code := range want.Codes {
		if got := Check(t, report, name).ProviderCode; got != code {
			t.Errorf("check %s provider code = %q, want %q", name, got, code)
		}
	}
	if report.Latency <= 0 {
		t.Errorf("latency = %v, want > 0", report.Latency)
	}
}

// WantNoLeak fails t when any of secrets (an empty one aside) shows up in what a validation
// let out: its report's messages and provider codes, its error, or log, what it logged.
func WantNoLeak(t testing.TB, report domain.ValidationReport, err error, log string, secrets ...string) {
	t.Helper()
	texts := []string{log}
	if err != nil {
		texts = append(texts, err.Error())
	}
	for _, c := range report.Checks {
		texts = append(texts, c.Message, c.ProviderCode)
	}
	for _, text := range texts {
		for _, secret := range secrets {
			if secret != "" && strings.Contains(text, secret) {
				t.Fatalf("a credential leaked into %q", text)
			}
		}
	}
}
