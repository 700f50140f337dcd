package s3validator

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/testpeers/versitygw"
	"github.com/bucketd/bucketd/domain"
)

// The validator must never connect to the metadata service, whatever form the endpoint takes:
// the endpoint rules or the dialer refuse it before a single connection attempt.
func TestValidateNeverDialsMetadata(t *testing.T) {
	var mu sync.Mutex
	var dialled []string
	record := func(_ context.Context, _, addr string) (net.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		dialled = append(dialled, addr)
		return nil, errors.New("dial recorded, not connected")
	}
	h := newHarness(t, 0, guardedTransport(t, netguard.WithDialFunc(record)))
	for _, endpoint := range []string{
		"http://169.254.169.254",
		"https://169.254.169.254",
		"https://169.254.169.254:443/",
		"https://[::ffff:169.254.169.254]",
		"https://[fd00:ec2::254]",
	} {
		t.Run(endpoint, func(t *testing.T) {
			report, err := h.validate(t, s3Target(endpoint, "latest", versitygw.RootKey, versitygw.RootSecret))
			wantKind(t, err, domain.KindEndpointNotAllowed, "BUCKETD_ENDPOINT_ALLOWLIST")
			if got := check(t, report, checkConnect); got.Status != domain.CheckFail {
				t.Errorf("connect check = %+v, want fail", got)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialled) != 0 {
		t.Errorf("dialled %v, want no connection attempt", dialled)
	}
}
