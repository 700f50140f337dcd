package providerchecktest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

// PanicValue is what PanickingTransport panics with: text a request could carry, which must
// reach neither the validation's error nor the log.
const PanicValue = "panic value holding a secret-access-key"

// PanickingTransport stands in for an SDK that panics while a validator asks the provider: it
// panics with PanicValue on every request When matches, on the goroutine that sends it, and
// passes every other request to Base.
type PanickingTransport struct {
	Base http.RoundTripper
	When func(*http.Request) bool
}

// RoundTrip panics or forwards req.
func (p PanickingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if p.When(req) {
		panic(PanicValue)
	}
	return p.Base.RoundTrip(req)
}

// WantRecoveredPanic fails t unless a validation whose request panicked failed as
// KindInternal with a message containing every fragment, and log holds the panic exactly once,
// at error level, without PanicValue.
func WantRecoveredPanic(t testing.TB, err error, log string, fragments ...string) {
	t.Helper()
	WantKind(t, err, domain.KindInternal, fragments...)
	if strings.Contains(err.Error(), PanicValue) {
		t.Errorf("the panic's value reached the error: %v", err)
	}
	if n := strings.Count(log, `level=ERROR msg="panic in provider check"`); n != 1 {
		t.Errorf("the panic was logged %d times at error level, want once:\n%s", n, log)
	}
	if strings.Contains(log, PanicValue) {
		t.Errorf("the panic's value reached the log:\n%s", log)
	}
}
