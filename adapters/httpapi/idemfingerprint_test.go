package httpapi_test

import (
	"testing"

	"github.com/bucketd/bucketd/adapters/aesgcm"
	"github.com/bucketd/bucketd/adapters/requestmac"
	"github.com/bucketd/bucketd/ports"
)

// testMasterKey is the master key the fixtures' request MAC derives from: 32 bytes in standard
// base64, as in a key ring spec.
const testMasterKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// newRequestMAC is the request MAC of the key ring spec, as cmd/bucketd builds it.
func newRequestMAC(t testing.TB, spec string) ports.RequestMAC {
	t.Helper()
	ring, err := aesgcm.ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	mac, err := requestmac.New(ring)
	if err != nil {
		t.Fatal(err)
	}
	return mac
}

