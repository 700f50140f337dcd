package main_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
)

// testCloudValidate runs POST /bucket/validate on the GCS and Azure peers, passing and failing
// dry runs alike: each answers 200 with the whole report (the contract checker validates it
// against the spec), the report names every check of the provider, and nothing is stored.
func testCloudValidate(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	p := b.cloud
	gcsChecks := []string{"connect", "authenticate", "bucket", "region", "permissions"}
	azureChecks := []string{"connect", "authenticate", "container", "list"}

	gcs := func(change func(*api.ValidateBucketRequest)) api.ValidateBucketRequest {
		r := dryRun(p.gcsRequest(o, ""))
		change(&r)
		return r
	}
	azure := func(change func(*api.ValidateBucketRequest)) api.ValidateBucketRequest {
		r := dryRun(p.azureRequest(o, ""))
		change(&r)
		return r
	}
	unchanged := func(*api.ValidateBucketRequest) {}

	tests := []struct {
		name    string
		req     api.ValidateBucketRequest
		checks  []string
		region  string // the reported region; "" when the provider reports none
		code    string // "" for a passing dry run
		failed  string // the check that must fail
		skipped []string
		// providerCode is the failed check's providerCode; "" when none is expected.
		providerCode string
	}{
		{name: "GCS passes", req: gcs(unchanged), checks: gcsChecks, region: gcsLocation},
		{name: "GCS account that may not list objects",
			req:    gcs(func(r *api.ValidateBucketRequest) { r.Key, r.Secret = p.noList.email, p.noList.privateKey }),
			checks: gcsChecks, region: gcsLocation, code: "ACCESS_DENIED", failed: "permissions"},
		{name: "GCS wrong private key", req: gcs(func(r *api.ValidateBucketRequest) { r.Secret = p.stranger.privateKey }),
			checks: gcsChecks, code: "INVALID_CREDENTIALS", failed: "authenticate",
			skipped: []string{"bucket", "region", "permissions"}, providerCode: "invalid_grant"},
		{name: "GCS key file passes", req: gcs(func(r *api.ValidateBucketRequest) { r.Secret = p.reader.keyFile }),
			checks: gcsChecks, region: gcsLocation},
		{name: "GCS key file whose key was deleted",
			req:    gcs(func(r *api.ValidateBucketRequest) { r.Key, r.Secret = p.revoked.email, p.revoked.keyFile }),
			checks: gcsChecks, code: "INVALID_CREDENTIALS", failed: "authenticate",
			skipped: []string{"bucket", "region", "permissions"}, providerCode: "authError"},
		{name: "Azure passes", req: azure(unchanged), checks: azureChecks},
		{name: "Azure readwrite passes",
			req:    azure(func(r *api.ValidateBucketRequest) { r.Bucket, r.Validation = azureProbeContainer, ptr(api.Readwrite) }),
			checks: append(slices.Clone(azureChecks), "write")},
		{name: "Azure wrong account key", req: azure(func(r *api.ValidateBucketRequest) { r.Secret = p.wrongAzureKey }),
			checks: azureChecks, code: "INVALID_CREDENTIALS", failed: "authenticate",
			skipped: []string{"container", "list"}, providerCode: "AuthorizationFailure"},
		{name: "Azure missing container", req: azure(func(r *api.ValidateBucketRequest) { r.Bucket = missingBucket }),
			checks: azureChecks, code: "BUCKET_NOT_FOUND", failed: "container", providerCode: "ContainerNotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := validate(t, c, tc.req)
			if names := checkNames(r); !slices.Equal(names, tc.checks) {
				t.Errorf("checks %v, want %v", names, tc.checks)
			}
			if got := deref(r.Region); got != tc.region {
				t.Errorf("region = %q, want %q", got, tc.region)
			}
			if r.AddressingStyle != nil {
				t.Errorf("addressingStyle = %q, want none outside S3", *r.AddressingStyle)
			}
			if tc.code == "" {
				wantPassed(t, r)
				return
			}
			wantFailed(t, r, tc.code, tc.failed, tc.providerCode, tc.skipped)
		})
	}
	if blobs := p.azure.Blobs(t, azureProbeContainer); len(blobs) != 0 {
		t.Errorf("container %s holds %v after the readwrite dry run, want it empty", azureProbeContainer, blobs)
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != 0 {
		t.Errorf("dry runs stored %d buckets, want 0", n)
	}
	wantKeyListLookup(t, p, p.reader.email)
}

// wantKeyListLookup waits until the server has read the key list of the account with email
// from the fake (--gcs-certs-url), which it does beside the token exchange of a bare PEM key's
// first validation, in the background.
func wantKeyListLookup(t *testing.T, p *cloudPeers, email string) {
	t.Helper()
	u, err := url.Parse(p.gcs.CertsURL)
	if err != nil {
		t.Fatalf("fake GCS key list URL: %v", err)
	}
	want := "GET " + u.Path + email
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(p.gcs.Requests(), want) {
		if time.Now().After(deadline) {
			t.Errorf("the fake GCS never served %q: the server does not look key ids up where --gcs-certs-url says", want)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantPassed checks a passing report: success, no code, and no check failed.
func wantPassed(t *testing.T, r api.ValidationResult) {
	t.Helper()
	if !r.Success || r.Code != nil || r.Message != "all checks passed" {
		t.Errorf("report success %v, code %v, message %q; want true, none, \"all checks passed\"", r.Success, deref(r.Code), r.Message)
	}
	for _, c := range r.Checks {
		if c.Status != api.Pass && c.Status != api.Skip || c.Message == "" {
			t.Errorf("check %s = %s %q in a passing dry run, want pass or skip with a message", c.Name, c.Status, c.Message)
		}
	}
}

// wantFailed checks a failing report: no success, the code a create would have answered, a
// message naming the failed check, that check failed with providerCode ("" expects none), and
// the checks depending on it skipped, not failed.
func wantFailed(t *testing.T, r api.ValidationResult, code, failed, providerCode string, skipped []string) {
	t.Helper()
	if r.Success || deref(r.Code) != code || !strings.HasPrefix(r.Message, failed+": ") {
		t.Errorf("report success %v, code %q, message %q; want false, %s, a message starting %q",
			r.Success, deref(r.Code), r.Message, code, failed+": ")
	}
	for _, c := range r.Checks {
		switch {
		case c.Name == failed && (c.Status != api.Fail || c.Message == "" || deref(c.ProviderCode) != providerCode):
			t.Errorf("check %s = %s %q (providerCode %q), want fail with a message and providerCode %q",
				c.Name, c.Status, c.Message, deref(c.ProviderCode), providerCode)
		case slices.Contains(skipped, c.Name) && c.Status != api.Skip:
			t.Errorf("check %s = %s %q, want skip: it depends on %s", c.Name, c.Status, c.Message, failed)
		}
	}
}

// checkNames lists the names of a report's checks in order.
func checkNames(r api.ValidationResult) []string {
	names := make([]string, 0, len(r.Checks))
	for _, c := range r.Checks {
		names = append(names, c.Name)
	}
	return names
}

// deref is the value p points to, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
