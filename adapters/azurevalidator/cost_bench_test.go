//go:build unix

package azurevalidator

import (
	"context"
	"net/http"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// BenchmarkValidateCostlyAnswers measures the CPU one validation costs when every answer is as
// large as the shared client reads by default (netguard.DefaultMaxBody) and shaped to cost the
// SDK's XML decoder the most per byte, next to a plain listing. No network: the answers come
// from a RoundTripper. cpu-ns/op is the process's user and system time per validation.
func BenchmarkValidateCostlyAnswers(b *testing.B) {
	bodies := providerchecktest.CostlyXML("EnumerationResults", netguard.DefaultMaxBody)
	bodies["plain listing"] = []byte(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://blob.provider.example/" ` +
		`ContainerName="bench-container"><Blobs /></EnumerationResults>`)
	for shape, body := range bodies {
		b.Run(shape, func(b *testing.B) {
			answer := providerchecktest.FixedAnswer{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/xml"}}, Body: body}
			v, err := New(Config{HTTPClient: netguard.NewClient(answer)})
			if err != nil {
				b.Fatal(err)
			}
			target := azureTarget("https://blob.provider.example", "bench-container", azurite.Account, azurite.Key)
			start := providerchecktest.CPUTime(b)
			for b.Loop() {
				_, _ = v.Validate(context.Background(), target)
			}
			b.ReportMetric(float64(providerchecktest.CPUTime(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
