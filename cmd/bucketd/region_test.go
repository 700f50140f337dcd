package main_test

import (
	"strings"
	"testing"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// regionalGatewayRegion is where testRegionDetection's own gateway keeps its buckets: not
// us-east-1, which requests without a region are first signed for.
const regionalGatewayRegion = "eu-central-1"

// testRegionDetection registers buckets without a region: on S3 the region is the one the
// gateway reports (after requests signed for us-east-1 were refused), on GCS the bucket's
// location, on Azure none, and the dry runs say which it was.
func testRegionDetection(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	p := b.cloud
	gw := versitygw.StartInRegion(t, regionalGatewayRegion)
	gw.CreateBucket(t, providerBucket)
	endpoint := gw.Endpoint
	s3 := api.CreateBucketRequest{Name: "Regional S3", Bucket: providerBucket, StorageType: api.StorageTypeS3,
		Key: gw.RootKey, Secret: gw.RootSecret, Endpoint: &endpoint, WorkspaceId: o.WorkspaceID}
	gcs := p.gcsRequest(o, "Located GCS")
	gcs.Region = nil
	azure := p.azureRequest(o, "Unplaced Azure")
	azure.Region = ptr[api.Region]("") // empty means absent

	for _, tc := range []struct {
		name      string
		req       api.CreateBucketRequest
		region    string
		detection api.ValidationResultRegionDetection
	}{
		{"S3", s3, regionalGatewayRegion, api.Detected},
		{"GCS", gcs, gcsLocation, api.Detected},
		{"Azure", azure, "", api.Undetected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validate(t, c, dryRun(tc.req))
			if !r.Success || r.RegionDetection == nil || *r.RegionDetection != tc.detection || deref(r.Region) != tc.region {
				t.Errorf("dry run = success %v, region %q, regionDetection %v; want success, region %q, %s",
					r.Success, deref(r.Region), r.RegionDetection, tc.region, tc.detection)
			}
			for _, check := range r.Checks {
				if check.Name == "region" && !strings.Contains(check.Message, "detected") {
					t.Errorf("region check says %q, want it to say the region was detected", check.Message)
				}
			}
			stored := mustGetBucket(t, c, wantCreated(t, create(t, c, tc.req)))
			if stored.Region != tc.region {
				t.Errorf("stored region = %q, want %q", stored.Region, tc.region)
			}
		})
	}
}

// testStorageTypeSpelling registers an Azure container as BLOB, as Flashback's client does: it
// answers BLOB everywhere, and AZURE once updated with that spelling.
func testStorageTypeSpelling(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	req := b.cloud.azureRequest(o, "Spelled BLOB")
	req.StorageType = api.StorageTypeBLOB
	id := wantCreated(t, create(t, c, req))
	wantSpelled(t, c, id, api.CanonicalStorageTypeBLOB)

	res := updateBucket(t, c, id, "", api.UpdateBucketRequest{StorageType: ptr(api.StorageTypeAZURE), Key: &req.Key, Secret: &req.Secret})
	wantOK(t, "PUT /bucket/{id}", res, res.JSON200)
	wantSpelled(t, c, id, api.CanonicalStorageTypeAZURE)
}

// wantSpelled wants the bucket to answer storage type want in GET /bucket/{id}, GET /bucket
// and GET /bucket/available.
func wantSpelled(t *testing.T, c *client.ClientWithResponses, id string, want api.CanonicalStorageType) {
	t.Helper()
	if got := mustGetBucket(t, c, id).StorageType; got != want {
		t.Errorf("GET /bucket/{id} storageType = %s, want %s", got, want)
	}
	for _, listed := range mustList(t, c, api.ListBucketsParams{}).Buckets {
		if listed.Id == id && listed.StorageType != want {
			t.Errorf("GET /bucket storageType = %s, want %s", listed.StorageType, want)
		}
	}
	res := listAvailable(t, c, nil)
	for _, e := range wantOK(t, "GET /bucket/available", res, res.JSON200) {
		if e.Id == id && e.StorageType != want {
			t.Errorf("GET /bucket/available storageType = %s, want %s", e.StorageType, want)
		}
	}
}
