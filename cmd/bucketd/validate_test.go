package main_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// testValidate runs POST /bucket/validate for a passing and a failing dry run: both answer 200
// with the whole report (the contract checker validates it against the spec), and neither
// stores a bucket.
func testValidate(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	endpoint := b.gw.Endpoint
	dryRun := func(key, secret string) api.ValidateBucketRequest {
		return api.ValidateBucketRequest{Bucket: providerBucket, StorageType: api.StorageTypeS3, Key: key, Secret: secret,
			Region: ptr[api.Region](versitygw.Region), Endpoint: &endpoint}
	}
	pass := validate(t, c, dryRun(b.gw.RootKey, b.gw.RootSecret))
	if !pass.Success || pass.Code != nil || pass.Message != "all checks passed" || len(pass.Checks) < 4 {
		t.Errorf("passing dry run = %+v", pass)
	}
	for _, check := range pass.Checks {
		if check.Status == api.Fail {
			t.Errorf("check %s failed in a passing dry run: %s", check.Name, check.Message)
		}
	}
	if pass.AddressingStyle == nil || *pass.AddressingStyle != "path" {
		t.Errorf("addressingStyle = %v, want path for a custom endpoint", pass.AddressingStyle)
	}

	fail := validate(t, c, dryRun(nonOwnerKey, nonOwnerSecret))
	if fail.Success || fail.Code == nil || *fail.Code != "ACCESS_DENIED" || !strings.Contains(fail.Message, "access denied") {
		t.Errorf("failing dry run = %+v", fail)
	}
	var failed []string
	for _, check := range fail.Checks {
		if check.Status == api.Fail {
			failed = append(failed, check.Name)
		}
	}
	if len(failed) == 0 {
		t.Errorf("no check failed in the report: %+v", fail.Checks)
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != 0 {
		t.Errorf("dry runs stored %d buckets, want 0", n)
	}
}

// validate sends POST /bucket/validate and wants a 200 report.
func validate(t *testing.T, c *client.ClientWithResponses, req api.ValidateBucketRequest) api.ValidationResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	res, err := c.ValidateBucketWithResponse(ctx, req)
	if err != nil {
		t.Fatalf("POST /bucket/validate: %v", err)
	}
	if res.StatusCode() != http.StatusOK || res.JSON200 == nil {
		t.Fatalf("POST /bucket/validate = %d %s, want 200 with a report", res.StatusCode(), res.Body)
	}
	return *res.JSON200
}
