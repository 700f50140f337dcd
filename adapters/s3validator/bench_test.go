package s3validator

import (
	"context"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/delayproxy"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// BenchmarkValidate measures the validator's own cost against a local gateway.
func BenchmarkValidate(b *testing.B) {
	gw := versitygw.Start(b)
	gw.CreateBucket(b, "bench-bucket")
	h := newHarness(b, 0, nil)
	target := s3Target(gw.Endpoint, "bench-bucket", gw.RootKey, gw.RootSecret)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.v.Validate(ctx, target); err != nil {
			b.Fatalf("Validate: %v", err)
		}
	}
}

// providerRoundTrip is the delay the proxy adds to every provider request, standing for one
// round trip to a provider across a network.
const providerRoundTrip = 50 * time.Millisecond

// BenchmarkValidateWallTime measures what a validation costs in provider round trips:
// versitygw sits behind a proxy that holds every request back by providerRoundTrip. The goal
// for read mode is at most 1.5 round trips: HeadBucket and ListObjectsV2 run concurrently, the
// region comes from HeadBucket's x-amz-bucket-region (no GetBucketLocation), and connections
// are reused from one validation to the next. Readwrite mode adds the probe's PutObject and
// DeleteObject, one round trip each.
func BenchmarkValidateWallTime(b *testing.B) {
	gw := versitygw.Start(b)
	gw.CreateBucket(b, "bench-bucket")
	proxy := delayproxy.Start(b, gw.Endpoint, providerRoundTrip)
	for _, mode := range []domain.ValidationMode{domain.ValidateReadOnly, domain.ValidateReadWrite} {
		b.Run(string(mode), func(b *testing.B) {
			h := newHarness(b, 0, nil)
			target := s3Target(proxy.URL, "bench-bucket", gw.RootKey, gw.RootSecret)
			target.Mode = mode
			ctx := context.Background()
			reportMetrics := proxy.Measure(b, "validation")
			for b.Loop() {
				report, err := h.v.Validate(ctx, target)
				if err != nil {
					b.Fatalf("Validate: %v", err)
				}
				if report.Region != versitygw.Region || report.AddressingStyle != domain.AddressingPath {
					b.Fatalf("report region %q, style %q; want %s, path", report.Region, report.AddressingStyle, versitygw.Region)
				}
			}
			reportMetrics()
		})
	}
}
