package s3validator

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// awsKey and awsSecret are AWS's documentation example credentials.
const (
	awsKey    = "AKIAIOSFODNN7EXAMPLE"
	awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// On AWS (no custom endpoint) the region comes from x-amz-bucket-region, a 301, an
// AuthorizationHeaderMalformed answer or GetBucketLocation, and a difference fails the check.
func TestValidateAWSRegion(t *testing.T) {
	cases := []struct {
		name       string
		stub       *s3Stub
		kind       domain.Kind // KindInternal means "no error"
		says       string
		region     domain.CheckStatus
		wantRegion string
	}{
		{
			name: "301 names the real region",
			stub: &s3Stub{
				head: stubAnswer{status: http.StatusMovedPermanently, region: "eu-west-1"},
				list: stubAnswer{status: http.StatusMovedPermanently, region: "eu-west-1", body: xmlPermanentRedirect},
			},
			kind: domain.KindRegionMismatch,
			says: "region: bucket aws-bucket is in eu-west-1, not us-east-1; set region to eu-west-1",
		},
		{
			name: "AuthorizationHeaderMalformed names the expected region",
			stub: &s3Stub{
				head: stubAnswer{status: http.StatusBadRequest},
				list: stubAnswer{status: http.StatusBadRequest, body: xmlHeaderMalformed},
			},
			kind: domain.KindRegionMismatch,
			says: "region: bucket aws-bucket is in eu-central-1, not us-east-1; set region to eu-central-1",
		},
		{
			name: "HeadBucket region differs",
			stub: &s3Stub{head: stubAnswer{region: "ap-south-1"}},
			kind: domain.KindRegionMismatch,
			says: "region: bucket aws-bucket is in ap-south-1, not us-east-1; set region to ap-south-1",
		},
		{
			name: "legacy EU location constraint",
			stub: &s3Stub{location: stubAnswer{status: http.StatusOK, body: xmlLocation("EU")}},
			kind: domain.KindRegionMismatch,
			says: "region: bucket aws-bucket is in eu-west-1, not us-east-1; set region to eu-west-1",
		},
		{
			name:       "empty location constraint means us-east-1",
			stub:       &s3Stub{location: stubAnswer{status: http.StatusOK, body: xmlLocation("")}},
			region:     domain.CheckPass,
			wantRegion: "us-east-1",
		},
		{
			name:       "HeadBucket region matches",
			stub:       &s3Stub{head: stubAnswer{region: "us-east-1"}},
			region:     domain.CheckPass,
			wantRegion: "us-east-1",
		},
		{
			name: "GetBucketLocation not implemented",
			stub: &s3Stub{location: stubAnswer{status: http.StatusNotImplemented,
				body: xmlError("NotImplemented", "A header you provided implies functionality that is not implemented.")}},
			region: domain.CheckSkip,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.stub.bucket = "aws-bucket"
			transport, approved := fakeAWS(t, c.stub, awsDNS)
			h := newHarness(t, 0, transport)
			report, err := h.validate(t, s3Target("", "aws-bucket", awsKey, awsSecret))
			if c.kind == domain.KindInternal {
				if err != nil {
					t.Fatalf("Validate error = %v, want success; checks %+v", err, report.Checks)
				}
				if got := providerchecktest.Check(t, report, checkRegion); got.Status != c.region || got.Message == "" {
					t.Errorf("region check = %+v, want %s with a message", got, c.region)
				}
				if report.Region != c.wantRegion {
					t.Errorf("report region = %q, want %q", report.Region, c.wantRegion)
				}
			} else {
				providerchecktest.WantKind(t, err, c.kind, c.says)
				if got := providerchecktest.Check(t, report, checkRegion); got.Status != domain.CheckFail {
					t.Errorf("region check = %+v, want fail", got)
				}
			}
			if report.AddressingStyle != domain.AddressingVirtual {
				t.Errorf("addressing style = %q, want virtual, AWS's default", report.AddressingStyle)
			}
			for _, addr := range approved() {
				if addr != "203.0.113.10:443" {
					t.Errorf("guard approved %s, want only the resolved public address 203.0.113.10:443", addr)
				}
			}
			if len(approved()) == 0 {
				t.Error("no request went through the guard")
			}
		})
	}
}

// On a custom endpoint the requests were signed for the stated region and accepted, so the
// region check only fails on AWS; elsewhere a silent or different provider is noted.
func TestValidateCustomEndpointRegion(t *testing.T) {
	cases := []struct {
		name       string
		stub       *s3Stub
		status     domain.CheckStatus
		wantRegion string
	}{
		{"empty location", &s3Stub{}, domain.CheckSkip, ""},
		{"different region reported", &s3Stub{head: stubAnswer{region: "garage"}}, domain.CheckPass, "garage"},
		{"EU is not special", &s3Stub{location: stubAnswer{status: http.StatusOK, body: xmlLocation("EU")}},
			domain.CheckPass, "EU"},
		// What cannot be a region name is never reported, nor shown in a message.
		{"a region header that is no region name", &s3Stub{head: stubAnswer{region: "eu west 1"}}, domain.CheckSkip, ""},
		{"a location that is no region name", &s3Stub{location: stubAnswer{status: http.StatusOK, body: xmlLocation("eu\u202ewest-1")}},
			domain.CheckSkip, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.stub.bucket = "aws-bucket"
			srv := httptest.NewServer(c.stub)
			defer srv.Close()
			h := newHarness(t, 0, nil)
			report, err := h.validate(t, s3Target(srv.URL, "aws-bucket", awsKey, awsSecret))
			if err != nil {
				t.Fatalf("Validate error = %v, want success; checks %+v", err, report.Checks)
			}
			if got := providerchecktest.Check(t, report, checkRegion); got.Status != c.status || got.Message == "" {
				t.Errorf("region check = %+v, want %s with a message", got, c.status)
			}
			if report.Region != c.wantRegion {
				t.Errorf("report region = %q, want %q", report.Region, c.wantRegion)
			}
		})
	}
}

// Without a given region the validator signs for us-east-1, learns the bucket's region from
// the provider's answer and reports it: from HeadBucket's header in one round of requests, or,
// when the provider refused those requests naming the bucket's region, from a second round
// signed for that region. The region check says the region was detected.
func TestValidateDetectsAWSRegion(t *testing.T) {
	cases := []struct {
		name         string
		bucketRegion string
		// rounds are the regions the HeadBucket requests were signed for, in order.
		rounds []string
	}{
		{"bucket in us-east-1", "us-east-1", []string{"us-east-1"}},
		{"bucket elsewhere", "eu-west-1", []string{"us-east-1", "eu-west-1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stub := &s3Stub{bucket: "aws-bucket", region: c.bucketRegion}
			h := awsHarness(t, stub, awsDNS)
			target := s3Target("", "aws-bucket", awsKey, awsSecret)
			target.Region = ""
			report, err := h.validate(t, target)
			if err != nil {
				t.Fatalf("Validate error = %v, want success; checks %+v", err, report.Checks)
			}
			if report.Region != c.bucketRegion {
				t.Errorf("report region = %q, want %q", report.Region, c.bucketRegion)
			}
			want := providercheck.RegionDetected("aws-bucket", c.bucketRegion)
			if got := providerchecktest.Check(t, report, checkRegion); got.Status != domain.CheckPass || got.Message != want {
				t.Errorf("region check = %+v, want pass saying %q", got, want)
			}
			var heads []string
			for _, r := range stub.requests() {
				if r.op == opHead {
					heads = append(heads, r.region)
				}
			}
			if !slices.Equal(heads, c.rounds) {
				t.Errorf("HeadBucket requests signed for %q, want %q", heads, c.rounds)
			}
		})
	}
}

// A given region that differs from the bucket's stays a mismatch: the validator never signs
// for another region than the one given.
func TestValidateGivenRegionIsNotReplaced(t *testing.T) {
	stub := &s3Stub{bucket: "aws-bucket", region: "eu-west-1"}
	h := awsHarness(t, stub, awsDNS)
	report, err := h.validate(t, s3Target("", "aws-bucket", awsKey, awsSecret))
	providerchecktest.WantKind(t, err, domain.KindRegionMismatch, "is in eu-west-1, not us-east-1")
	if got := providerchecktest.Check(t, report, checkRegion); got.Status != domain.CheckFail {
		t.Errorf("region check = %+v, want fail", got)
	}
	for _, r := range stub.requests() {
		if r.region != versitygw.Region {
			t.Errorf("%s signed for %s; want every request signed for the given %s", r.op, r.region, versitygw.Region)
		}
	}
}

// A custom endpoint that reports no region leaves it undetected, and the check says so.
func TestValidateCustomEndpointWithoutRegion(t *testing.T) {
	h, endpoint := stubHarness(t, &s3Stub{bucket: "stub-bucket",
		location: stubAnswer{status: http.StatusNotImplemented, body: xmlError("NotImplemented", "not implemented")}})
	target := s3Target(endpoint, "stub-bucket", awsKey, awsSecret)
	target.Region = ""
	report, err := h.validate(t, target)
	if err != nil {
		t.Fatalf("Validate error = %v, want success; checks %+v", err, report.Checks)
	}
	if report.Region != "" {
		t.Errorf("report region = %q, want none", report.Region)
	}
	if got := providerchecktest.Check(t, report, checkRegion); got.Status != domain.CheckSkip ||
		!strings.Contains(got.Message, "could not be detected") || !strings.Contains(got.Message, "NotImplemented") {
		t.Errorf("region check = %+v, want skip saying it could not be detected and why", got)
	}
}

// versitygw reports its region in HeadBucket's x-amz-bucket-region; without a given region,
// that is the region detected. A gateway in eu-central-1 refuses requests signed for
// us-east-1 and names its region, so the second round is signed for it.
func TestValidateDetectsGatewayRegion(t *testing.T) {
	for _, region := range []string{versitygw.Region, "eu-central-1"} {
		t.Run(region, func(t *testing.T) {
			gw := versitygw.StartInRegion(t, region)
			gw.CreateBucket(t, "regional-bucket")
			h := newHarness(t, 0, nil)
			target := s3Target(gw.Endpoint, "regional-bucket", gw.RootKey, gw.RootSecret)
			target.Region = ""
			report, err := h.validate(t, target)
			if err != nil {
				t.Fatalf("Validate error = %v, want success; checks %+v", err, report.Checks)
			}
			if report.Region != region {
				t.Errorf("report region = %q, want the gateway's %q", report.Region, region)
			}
			if got := providerchecktest.Check(t, report, checkRegion); got.Status != domain.CheckPass ||
				got.Message != providercheck.RegionDetected("regional-bucket", region) {
				t.Errorf("region check = %+v, want pass saying it detected %s", got, region)
			}
		})
	}
}
