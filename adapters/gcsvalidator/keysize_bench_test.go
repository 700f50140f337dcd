//go:build unix

package gcsvalidator

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// BenchmarkValidateCPU measures the CPU one validation costs with a 2048-bit key, as Google
// issues them, and with a 4096-bit one, the largest accepted, in both forms: a key file (one
// self-signed JWT to the API) and a bare PEM key whose id is not looked up (an assertion
// traded for a token first). Each signs once per validation. cpu-ns/op is the process's user
// and system time per validation, so it includes the in-process fake GCS (its HTTP server and
// its checks of the JWT's signature); the difference between the key sizes is what the
// larger key costs.
func BenchmarkValidateCPU(b *testing.B) {
	p := startPeer(b)
	const largeEmail = "large-key@bucketd-test.iam.gserviceaccount.com"
	block, _ := pem.Decode([]byte(testKey(b, 4096)))
	large, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	largePEM, largeFile := p.NewServiceAccountWithKey(b, largeEmail, large.(*rsa.PrivateKey), readerPermissions...)
	// Key lists at a closed port: every bare PEM key takes the token exchange.
	h := newHarness(b, p.TokenURL, nil)
	for _, k := range []struct {
		bits             int
		email, key, file string
	}{
		{2048, readerEmail, p.keys[readerEmail], p.keyFiles[readerEmail]},
		{4096, largeEmail, largePEM, largeFile},
	} {
		for _, form := range []struct {
			name   string
			target domain.ValidationTarget
		}{
			{"key-file", p.target("full-bucket", "", k.file)},
			{"PEM-key", p.target("full-bucket", k.email, k.key)},
		} {
			b.Run(fmt.Sprintf("%d-bit/%s", k.bits, form.name), func(b *testing.B) {
				ctx := context.Background()
				start := providerchecktest.CPUTime(b)
				for b.Loop() {
					if _, err := h.v.Validate(ctx, form.target); err != nil {
						b.Fatalf("Validate: %v", err)
					}
				}
				b.ReportMetric(float64(providerchecktest.CPUTime(b)-start)/float64(b.N), "cpu-ns/op")
				h.v.lookups.Wait()
			})
		}
	}
}
