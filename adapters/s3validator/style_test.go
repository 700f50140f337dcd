package s3validator

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

func TestStylesFor(t *testing.T) {
	path, virtual := domain.AddressingPath, domain.AddressingVirtual
	cases := []struct {
		name, bucket, endpoint string
		want                   []string
	}{
		{"AWS prefers virtual-hosted", "aws-bucket", "", []string{virtual, path}},
		{"custom host prefers path-style", "bucket", "https://s3.example.com", []string{path, virtual}},
		{"IP endpoint has only path-style", "bucket", "http://127.0.0.1:9000", []string{path}},
		{"dotted bucket on AWS has only path-style", "my.bucket", "", []string{path}},
		{"dotted bucket on a custom host has only path-style", "my.bucket", "https://s3.example.com", []string{path}},
		{"bucket name no host name can carry", "Bad_Name", "", []string{path}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := stylesFor(c.bucket, "us-east-1", c.endpoint); !slices.Equal(got, c.want) {
				t.Errorf("stylesFor(%q, %q) = %v, want %v", c.bucket, c.endpoint, got, c.want)
			}
		})
	}
}

// TestAddressingStyleFallback shows when the validator tries the other addressing style: only
// when the first style's answers blame the style, never after a clear verdict, and it reports
// the style whose answers it used.
func TestAddressingStyleFallback(t *testing.T) {
	path, virtual := domain.AddressingPath, domain.AddressingVirtual
	invalidRequest := stubAnswer{status: http.StatusBadRequest, body: xmlError("InvalidRequest", "Path-style requests are not supported")}
	signature := stubAnswer{status: http.StatusForbidden, body: xmlError("SignatureDoesNotMatch", "The signature does not match")}
	cases := []struct {
		name string
		stub *s3Stub
		aws  bool    // reach the stub as AWS (virtual-hosted first) instead of a custom endpoint
		dns  fakeDNS // AWS only: the resolver, awsDNS when zero
		// kind is the error's kind; KindInternal means the validation passes.
		kind  domain.Kind
		style string
		// tried are the styles of the requests the stub saw, in rounds of two.
		tried   []string
		connect string
	}{
		{
			name:  "custom endpoint serving path-style: one round",
			stub:  &s3Stub{style: path},
			style: path, tried: []string{path, path},
			connect: "with path-style addressing",
		},
		{
			name:  "custom endpoint serving only virtual-hosted: 400 InvalidRequest, then virtual-hosted",
			stub:  &s3Stub{style: virtual, wrongStyle: invalidRequest},
			style: virtual, tried: []string{path, path, virtual, virtual},
			connect: "with virtual-hosted addressing (path-style requests failed: 400 InvalidRequest)",
		},
		{
			name: "custom endpoint refusing path-style like Alibaba OSS",
			stub: &s3Stub{style: virtual, wrongStyle: stubAnswer{status: http.StatusForbidden,
				body: xmlError("SecondLevelDomainForbidden", "Please use virtual hosted style to access.")}},
			style: virtual, tried: []string{path, path, virtual, virtual},
			connect: "(path-style requests failed: 403 SecondLevelDomainForbidden)",
		},
		{
			name:  "bucket missing on a service serving only virtual-hosted: NoSuchBucket from the style that works",
			stub:  &s3Stub{absent: true, style: virtual, wrongStyle: invalidRequest},
			kind:  domain.KindBucketNotFound,
			style: virtual, tried: []string{path, path, virtual, virtual},
		},
		{
			name: "a listing of another bucket does not pass for the bucket's",
			stub: &s3Stub{style: path, head: invalidRequest, list: invalidRequest,
				wrongStyle: stubAnswer{status: http.StatusOK, body: xmlBucketList}},
			kind:  domain.KindProviderError,
			style: path, tried: []string{path, path, virtual, virtual},
			connect: "(virtual-hosted addressing was tried too and did not work: the listing was not of the bucket)",
		},
		{
			name:  "wrong secret is a verdict: no second round",
			stub:  &s3Stub{head: signature, list: signature},
			kind:  domain.KindInvalidCredentials,
			style: path, tried: []string{path, path},
		},
		{
			name:  "AWS: virtual-hosted first, one round",
			stub:  &s3Stub{},
			aws:   true,
			style: virtual, tried: []string{virtual, virtual},
		},
		{
			name:  "AWS: bucket host name does not resolve, then path-style",
			stub:  &s3Stub{},
			aws:   true,
			dns:   fakeDNS{zone: awsDNS.zone, addr: awsDNS.addr, missing: "stub-bucket."},
			style: path, tried: []string{path, path},
			connect: "(virtual-hosted requests failed: host stub-bucket.s3.us-east-1.amazonaws.com could not be resolved)",
		},
		{
			name:  "AWS: NoSuchBucket in virtual-hosted style, then path-style",
			stub:  &s3Stub{style: path},
			aws:   true,
			style: path, tried: []string{virtual, virtual, path, path},
			connect: "(virtual-hosted requests failed: 404 NoSuchBucket)",
		},
		{
			name:  "AWS: bucket missing in both styles: the virtual-hosted answer stands",
			stub:  &s3Stub{absent: true},
			aws:   true,
			kind:  domain.KindBucketNotFound,
			style: virtual, tried: []string{virtual, virtual, path, path},
			connect: "(path-style addressing was tried too and did not work: 404 NoSuchBucket)",
		},
		{
			name:  "AWS: access denied is a verdict: no second round",
			stub:  &s3Stub{head: stubAnswer{status: http.StatusForbidden}, list: stubAnswer{status: http.StatusForbidden, body: xmlError("AccessDenied", "Access Denied")}},
			aws:   true,
			kind:  domain.KindAccessDenied,
			style: virtual, tried: []string{virtual, virtual},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.stub.bucket = "stub-bucket"
			var h harness
			var endpoint string
			if c.aws {
				dns := c.dns
				if dns.zone == "" {
					dns = awsDNS
				}
				h = awsHarness(t, c.stub, dns)
			} else {
				h, endpoint = stubHarness(t, c.stub)
			}
			report, err := h.validate(t, s3Target(endpoint, c.stub.bucket, awsKey, awsSecret))
			if c.kind == domain.KindInternal {
				if err != nil {
					t.Fatalf("Validate error = %v, want success; checks %+v", err, report.Checks)
				}
			} else {
				providerchecktest.WantKind(t, err, c.kind)
			}
			if report.AddressingStyle != c.style {
				t.Errorf("addressing style = %q, want %q", report.AddressingStyle, c.style)
			}
			var tried []string
			for _, r := range c.stub.requests() {
				if r.op == opHead || r.op == opList {
					tried = append(tried, r.style)
				}
			}
			// Both requests of a round share its style, so their race does not change this list.
			if !slices.Equal(tried, c.tried) {
				t.Errorf("stub saw read requests in styles %v, want %v", tried, c.tried)
			}
			if got := providerchecktest.Check(t, report, checkConnect); !strings.Contains(got.Message, c.connect) {
				t.Errorf("connect check message %q does not say %q", got.Message, c.connect)
			}
		})
	}
}
