package s3validator

import (
	"context"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

func TestValidateHonoursCancellation(t *testing.T) {
	h := newHarness(t, time.Minute, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := h.v.Validate(ctx, s3Target(providerchecktest.HangingURL(t), "empty-bucket", versitygw.RootKey, versitygw.RootSecret))
	providerchecktest.WantKind(t, err, domain.KindProviderTimeout, "canceled")
}

func TestValidateRefusesTarget(t *testing.T) {
	h := newHarness(t, 0, nil)
	endpoint := func(raw string) func(*domain.ValidationTarget) {
		return func(tg *domain.ValidationTarget) { tg.Endpoint = raw }
	}
	cases := []struct {
		name   string
		modify func(*domain.ValidationTarget)
		kind   domain.Kind
		check  string
		says   string
		// hidden must show up nowhere: not in the report, the error or the debug log.
		hidden string
	}{
		{"plain http to a public host", endpoint("http://s3.example.com"),
			domain.KindEndpointNotAllowed, checkConnect, "must use https", ""},
		{"user info in the endpoint", endpoint("https://me:hunter2-password@s3.example.com"),
			domain.KindEndpointNotAllowed, checkConnect, "user info", "hunter2"},
		{"a user name in the endpoint", endpoint("https://token-as-user-name@s3.example.com"),
			domain.KindEndpointNotAllowed, checkConnect, "user info", "token-as-user-name"},
		{"a query in the endpoint", endpoint("https://s3.example.com/?X-Amz-Credential=query-secret"),
			domain.KindEndpointNotAllowed, checkConnect, "query", "query-secret"},
		{"a fragment in the endpoint", endpoint("https://s3.example.com#fragment-secret"),
			domain.KindEndpointNotAllowed, checkConnect, "fragment", "fragment-secret"},
		{"region with a slash", func(tg *domain.ValidationTarget) { tg.Region = "us/east" },
			domain.KindInvalidInput, checkRegion, "not a region name", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := s3Target("https://s3.example.com", "bucket", versitygw.RootKey, versitygw.RootSecret)
			c.modify(&target)
			report, err := h.validate(t, target)
			providerchecktest.WantKind(t, err, c.kind, c.says)
			providerchecktest.WantNoLeak(t, report, err, h.log.String(), c.hidden)
			if got := providerchecktest.Check(t, report, c.check); got.Status != domain.CheckFail {
				t.Errorf("check %s = %+v, want fail", c.check, got)
			}
		})
	}
	t.Run("other storage type", func(t *testing.T) {
		target := s3Target("", "bucket", versitygw.RootKey, versitygw.RootSecret)
		target.StorageType = domain.StorageGCS
		_, err := h.v.Validate(context.Background(), target)
		providerchecktest.WantKind(t, err, domain.KindInternal)
	})
}

// contractHarness builds the validator for the shared contracts.
var contractHarness = providerchecktest.Harness{
	New: func(opts providercheck.Options) (ports.CredentialValidator, error) { return New(Config(opts)) },
	Target: func(endpoint string) domain.ValidationTarget {
		return domain.ValidationTarget{
			StorageType: domain.StorageS3, Bucket: "contract-bucket", Region: "us-east-1", Endpoint: endpoint,
			Credentials: domain.Credentials{Key: domain.NewSecret("AKIAIOSFODNN7EXAMPLE"), Secret: domain.NewSecret("contract-secret-value-0123456789")},
		}
	},
}

func TestTransportContract(t *testing.T) { providerchecktest.RunTransportContract(t, contractHarness) }

func TestHostileContract(t *testing.T) { providerchecktest.RunHostileContract(t, contractHarness) }
