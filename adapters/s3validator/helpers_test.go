package s3validator

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/logcapture"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// Credentials of the gateway's non-owner user: valid, but granted nothing on the root's buckets.
const (
	userKey    = "USERKEYFORBUCKETD001"
	userSecret = "bucketd-user-secret-access-key-for-tests"
)

// harness is a validator wired as production wires it, with its log captured.
type harness struct {
	v   *Validator
	log *logcapture.Buffer
}

// guardedTransport is the production transport over a dialer with the loopback allow list.
func guardedTransport(t testing.TB, opts ...netguard.Option) *http.Transport {
	t.Helper()
	transport := netguard.NewTransport(netguard.NewDialer(providerchecktest.LoopbackAllowList(t), opts...))
	t.Cleanup(transport.CloseIdleConnections)
	return transport
}

// newHarness wires a validator as production does, over transport (guardedTransport when nil),
// with the loopback allow list.
func newHarness(t testing.TB, timeout time.Duration, transport *http.Transport) harness {
	t.Helper()
	if transport == nil {
		transport = guardedTransport(t)
	}
	return newHarnessAllowing(t, timeout, transport, providerchecktest.LoopbackAllowList(t))
}

// newHarnessAllowing wires a validator over transport whose custom endpoints are checked
// against allow; give the transport's dialer the same list.
func newHarnessAllowing(t testing.TB, timeout time.Duration, transport http.RoundTripper, allow netguard.AllowList) harness {
	t.Helper()
	log := &logcapture.Buffer{}
	v, err := New(Config{HTTPClient: netguard.NewClient(transport), AllowList: allow, Timeout: timeout, Logger: log.Logger()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return harness{v: v, log: log}
}

// gateway is a versitygw with the buckets and user the tests expect.
func gateway(t testing.TB) *versitygw.Server {
	t.Helper()
	gw := versitygw.Start(t)
	gw.CreateBucket(t, "empty-bucket")
	gw.CreateBucket(t, "full-bucket")
	gw.PutObject(t, "full-bucket", "reports/2025/q1.csv", []byte("a,b\n1,2\n"))
	gw.CreateUser(t, userKey, userSecret)
	return gw
}

func s3Target(endpoint, bucket, key, secret string) domain.ValidationTarget {
	return domain.ValidationTarget{
		StorageType: domain.StorageS3,
		Bucket:      bucket,
		Region:      versitygw.Region,
		Endpoint:    endpoint,
		Credentials: domain.Credentials{Key: domain.NewSecret(key), Secret: domain.NewSecret(secret)},
		Mode:        domain.ValidateReadOnly,
	}
}

// validate runs the validator and proves that neither the secret nor the full key shows up in
// the report, the error or the log.
func (h harness) validate(t *testing.T, target domain.ValidationTarget) (domain.ValidationReport, error) {
	t.Helper()
	report, err := h.v.Validate(context.Background(), target)
	providerchecktest.WantNoLeak(t, report, err, h.log.String(), target.Credentials.Secret.Reveal(), target.Credentials.Key.Reveal())
	return report, err
}
