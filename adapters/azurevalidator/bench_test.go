package azurevalidator

import (
	"context"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/delayproxy"
)

// providerRoundTrip is the delay the proxy adds to every provider request, standing for one
// round trip to Azure across a network.
const providerRoundTrip = 50 * time.Millisecond

// BenchmarkValidateWallTime measures what a validation costs in provider round trips: Azurite
// sits behind a proxy that holds every request back by providerRoundTrip. Read mode asks for
// the container's properties and its first blob concurrently, one round trip in all; readwrite
// mode then writes the probe blob and deletes it, one round trip each. The container must be
// as empty afterwards as before: the probe is always removed.
func BenchmarkValidateWallTime(b *testing.B) {
	s := emulator(b)
	proxy := delayproxy.Start(b, s.URL, providerRoundTrip)
	for _, mode := range []domain.ValidationMode{domain.ValidateReadOnly, domain.ValidateReadWrite} {
		b.Run(string(mode), func(b *testing.B) {
			h := newHarness(b, 0)
			target := azureTarget(proxy.URL, emptyContainer, azurite.Account, azurite.Key)
			target.Mode = mode
			ctx := context.Background()
			reportMetrics := proxy.Measure(b, "validation")
			for b.Loop() {
				if _, err := h.v.Validate(ctx, target); err != nil {
					b.Fatalf("Validate: %v", err)
				}
			}
			reportMetrics()
			if blobs := s.Blobs(b, emptyContainer); len(blobs) != 0 {
				b.Fatalf("container %s holds %v after the validations, want it empty", emptyContainer, blobs)
			}
		})
	}
}
