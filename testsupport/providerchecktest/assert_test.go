package providerchecktest

import (
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/helpertest"
)

// The helpers must fail exactly when what they check is wrong: a helper that never fails would
// let every validator test pass.
func TestHelpersFailOnlyWhenTheyShould(t *testing.T) {
	refused := domain.Errorf(domain.KindInvalidCredentials, "authenticate: the key was refused")
	failed := domain.ValidationReport{Latency: time.Millisecond, Checks: []domain.Check{
		{Name: "connect", Status: domain.CheckPass, Message: "reached"},
		{Name: "authenticate", Status: domain.CheckFail, Message: refused.Message, ProviderCode: "InvalidAccessKeyId"},
	}}
	passed := domain.ValidationReport{Latency: time.Millisecond, Checks: []domain.Check{{Name: "connect", Status: domain.CheckPass, Message: "reached"}}}
	wantFailed := Outcome{Kind: domain.KindInvalidCredentials, Says: []string{"refused"},
		Checks: map[string]domain.CheckStatus{"authenticate": domain.CheckFail}, Codes: map[string]string{"authenticate": "InvalidAccessKeyId"}}
	for name, c := range map[string]struct {
		helper func(testing.TB)
		fails  bool
	}{
		"WantKind, right kind and words": {func(tb testing.TB) { WantKind(tb, refused, domain.KindInvalidCredentials, "refused") }, false},
		"WantKind, other kind":           {func(tb testing.TB) { WantKind(tb, refused, domain.KindAccessDenied) }, true},
		"WantKind, missing words":        {func(tb testing.TB) { WantKind(tb, refused, domain.KindInvalidCredentials, "region") }, true},
		"Check, missing check":           {func(tb testing.TB) { Check(tb, failed, "list") }, true},
		"WantChecks, other status": {func(tb testing.TB) {
			WantChecks(tb, failed, map[string]domain.CheckStatus{"connect": domain.CheckFail})
		}, true},
		"WantOutcome, as expected":          {func(tb testing.TB) { WantOutcome(tb, failed, refused, wantFailed) }, false},
		"WantOutcome, success as expected":  {func(tb testing.TB) { WantOutcome(tb, passed, nil, Outcome{}) }, false},
		"WantOutcome, success not expected": {func(tb testing.TB) { WantOutcome(tb, passed, nil, wantFailed) }, true},
		"WantOutcome, failure not expected": {func(tb testing.TB) { WantOutcome(tb, failed, refused, Outcome{}) }, true},
		"WantOutcome, other provider code": {func(tb testing.TB) {
			WantOutcome(tb, failed, refused, Outcome{Kind: wantFailed.Kind, Codes: map[string]string{"authenticate": "SignatureDoesNotMatch"}})
		}, true},
		"WantOutcome, latency not measured": {func(tb testing.TB) { WantOutcome(tb, domain.ValidationReport{Checks: passed.Checks}, nil, Outcome{}) }, true},
		"WantNoLeak, nothing shown": {func(tb testing.TB) {
			WantNoLeak(tb, failed, refused, "level=DEBUG key_hint=AKIA…", "s3cr3t-value", "")
		}, false},
		"WantNoLeak, secret in the log":      {func(tb testing.TB) { WantNoLeak(tb, failed, refused, "secret=s3cr3t-value", "s3cr3t-value") }, true},
		"WantNoLeak, secret in the error":    {func(tb testing.TB) { WantNoLeak(tb, failed, refused, "", "the key") }, true},
		"WantNoLeak, secret in a check code": {func(tb testing.TB) { WantNoLeak(tb, failed, nil, "", "InvalidAccessKeyId") }, true},
	} {
		if got := helpertest.Failures(t, c.helper); (len(got) > 0) != c.fails {
			t.Errorf("%s: failures %q, want failing: %v", name, got, c.fails)
		}
	}
}
