//go:build unix

package gcsvalidator

import (
	"context"
	"net/http"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// BenchmarkValidateCostlyAnswers measures the CPU one validation with a key file costs when
// every answer is as large as the shared client reads by default (netguard.DefaultMaxBody) and
// shaped to cost the JSON decoder the most per byte, next to plain bucket attributes. No
// network: the answers come from a RoundTripper. cpu-ns/op is the process's user and system
// time per validation, the self-signed JWT's signature included.
func BenchmarkValidateCostlyAnswers(b *testing.B) {
	bodies := providerchecktest.CostlyJSON(netguard.DefaultMaxBody)
	bodies["plain attributes"] = []byte(`{"kind":"storage#bucket","name":"bench-bucket","location":"US-EAST1",` +
		`"permissions":["storage.objects.list","storage.objects.get"]}`)
	_, keyFileJSON := stubCredentials(b)
	for shape, body := range bodies {
		b.Run(shape, func(b *testing.B) {
			answer := providerchecktest.FixedAnswer{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
			v, err := New(Config{HTTPClient: netguard.NewClient(answer), APIEndpoint: "https://storage.provider.example"})
			if err != nil {
				b.Fatal(err)
			}
			target := gcsTarget("", "bench-bucket", "", keyFileJSON)
			start := providerchecktest.CPUTime(b)
			for b.Loop() {
				_, _ = v.Validate(context.Background(), target)
			}
			b.ReportMetric(float64(providerchecktest.CPUTime(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
