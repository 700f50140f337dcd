package gcsvalidator

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// A panic in the SDK, on whichever goroutine the request runs, becomes the validation's error
// and is logged once; the process, here the test binary, lives on. Without the recovers each
// case ends the test binary.
func TestPanicInTheSDKIsTheValidationsError(t *testing.T) {
	p := startPeer(t)
	isAPI := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/storage/v1/b/") }
	for name, c := range map[string]struct {
		form credentialForm
		when func(*http.Request) bool
		says string
	}{
		// The API requests run on goroutines of their own, the token exchange on Validate's.
		"buckets.get": {keyFileForm, func(r *http.Request) bool { return isAPI(r) && !strings.Contains(r.URL.Path, "/iam/") },
			"bucket: buckets.get failed unexpectedly"},
		"testIamPermissions": {keyFileForm, func(r *http.Request) bool { return isAPI(r) && strings.Contains(r.URL.Path, "/iam/") },
			"permissions: buckets.testIamPermissions failed unexpectedly"},
		"token exchange": {pemForm, func(r *http.Request) bool { return r.URL.Path == "/token" },
			"the GCS validation failed unexpectedly"},
	} {
		t.Run(name, func(t *testing.T) {
			h := p.harness(t, func(cfg *Config) {
				cfg.HTTPClient = netguard.NewClient(providerchecktest.PanickingTransport{Base: guardedClient(t).Transport, When: c.when})
				cfg.Timeout = time.Minute
			})
			start := time.Now()
			_, err := h.validate(t, p.targetAs(c.form, "full-bucket", readerEmail))
			providerchecktest.WantRecoveredPanic(t, err, h.log.String(), c.says)
			// validate waits for the key id lookup, which must not wait out the timeout for a
			// verdict the panic never gave.
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("the validation and its lookup took %v", took)
			}
		})
	}
}

// The key id lookup runs in the background and decides nothing: its panic is logged once and
// the validation passes all the same.
func TestPanicInTheKeyIDLookupIsLoggedOnly(t *testing.T) {
	p := startPeer(t)
	h := p.harness(t, func(cfg *Config) {
		cfg.HTTPClient = netguard.NewClient(providerchecktest.PanickingTransport{Base: guardedClient(t).Transport,
			When: func(r *http.Request) bool { return r.URL.Path == p.keyListPath(readerEmail) }})
	})
	target := p.targetAs(pemForm, "full-bucket", readerEmail)
	if _, err := h.validate(t, target); err != nil {
		t.Fatalf("Validate: %v, want success", err)
	}
	log := h.log.String()
	if n := strings.Count(log, `level=ERROR msg="panic in provider check" op="the key id lookup"`); n != 1 || strings.Contains(log, providerchecktest.PanicValue) {
		t.Errorf("the lookup's panic was logged %d times (want once, without its value):\n%s", n, log)
	}
	if _, ok := h.cachedKeyID(t, target); ok {
		t.Error("a lookup that panicked remembered a key id")
	}
}
