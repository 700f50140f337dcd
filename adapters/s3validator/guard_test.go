package s3validator

import (
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// The validator must never connect to the metadata service, whatever form the endpoint takes:
// the endpoint rules or the dialer refuse it before a single connection attempt.
func TestValidateNeverDialsMetadata(t *testing.T) {
	rec := &providerchecktest.DialRecorder{}
	h := newHarness(t, 0, guardedTransport(t, netguard.WithDialFunc(rec.Dial)))
	for _, endpoint := range []string{
		"http://169.254.169.254",
		"https://169.254.169.254",
		"https://169.254.169.254:443/",
		"https://[::ffff:169.254.169.254]",
		"https://[fd00:ec2::254]",
	} {
		t.Run(endpoint, func(t *testing.T) {
			report, err := h.validate(t, s3Target(endpoint, "latest", versitygw.RootKey, versitygw.RootSecret))
			providerchecktest.WantKind(t, err, domain.KindEndpointNotAllowed, "BUCKETD_ENDPOINT_ALLOWLIST")
			if got := providerchecktest.Check(t, report, checkConnect); got.Status != domain.CheckFail {
				t.Errorf("connect check = %+v, want fail", got)
			}
		})
	}
	if dialled := rec.Attempts(); len(dialled) != 0 {
		t.Errorf("dialled %v, want no connection attempt", dialled)
	}
}
