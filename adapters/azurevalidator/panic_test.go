package azurevalidator

import (
	"net/http"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// A panic in the SDK, on whichever goroutine the request runs, becomes the validation's error
// and is logged once; the process, here the test binary, lives on. Without the recovers each
// case ends the test binary.
func TestPanicInTheSDKIsTheValidationsError(t *testing.T) {
	s := emulator(t)
	listing := func(r *http.Request) bool { return r.URL.Query().Get("comp") == "list" }
	for name, c := range map[string]struct {
		when func(*http.Request) bool
		mode domain.ValidationMode
		says string
	}{
		// The properties and the listing run on goroutines of their own, the write probe on
		// Validate's.
		"GetProperties": {func(r *http.Request) bool { return r.Method == http.MethodGet && !listing(r) }, domain.ValidateReadOnly,
			"container: GetProperties failed unexpectedly"},
		"ListBlobs": {listing, domain.ValidateReadOnly, "list: ListBlobs failed unexpectedly"},
		"Upload": {func(r *http.Request) bool { return r.Method == http.MethodPut }, domain.ValidateReadWrite,
			"the Azure validation failed unexpectedly"},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarnessVia(t, 0, providerchecktest.PanickingTransport{Base: guardedTransport(t), When: c.when})
			target := azureTarget(s.URL, fullContainer, azurite.Account, azurite.Key)
			target.Mode = c.mode
			_, err := h.validate(t, target)
			providerchecktest.WantRecoveredPanic(t, err, h.log.String(), c.says)
		})
	}
}
