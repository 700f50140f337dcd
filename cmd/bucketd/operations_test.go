package main_test

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
)

// Wrappers of the generated client for the lifecycle scenarios. The client's HTTP client bounds
// every call by requestTimeout and checks every answer against openapi.yaml; these add the
// assertion every call site would otherwise repeat.

// answer is what every generated response has: a status and the raw body.
type answer interface {
	StatusCode() int
	GetBody() []byte
}

// wantAPIError checks that op was answered status with an Error body carrying code and a
// message, and returns the body.
func wantAPIError(t testing.TB, op string, res answer, status int, code string) api.Error {
	t.Helper()
	var e api.Error
	if err := json.Unmarshal(res.GetBody(), &e); err != nil || res.StatusCode() != status || e.Code != code || e.Success || e.Message == "" {
		t.Fatalf("%s answered %d %s, want %d with code %s and a message", op, res.StatusCode(), res.GetBody(), status, code)
	}
	return e
}

// wantOK fails t unless op was answered 200 with a body the client decoded, and returns it.
func wantOK[T any](t testing.TB, op string, res answer, body *T) T {
	t.Helper()
	if res.StatusCode() != http.StatusOK || body == nil {
		t.Fatalf("%s answered %d %s, want 200", op, res.StatusCode(), res.GetBody())
	}
	return *body
}

func getBucket(t testing.TB, c *client.ClientWithResponses, id string) *client.GetBucketClientResponse {
	t.Helper()
	res, err := c.GetBucketWithResponse(t.Context(), id)
	if err != nil {
		t.Fatalf("GET /bucket/%s: %v", id, err)
	}
	return res
}

// mustGetBucket wants GET /bucket/{id} to answer 200 {success: true, bucket} for that id.
func mustGetBucket(t testing.TB, c *client.ClientWithResponses, id string) api.Bucket {
	t.Helper()
	res := getBucket(t, c, id)
	got := wantOK(t, "GET /bucket/{id}", res, res.JSON200)
	if !got.Success || got.Bucket.Id != id {
		t.Fatalf("GET /bucket/%s answered %s, want success and that bucket", id, res.Body)
	}
	return got.Bucket
}

func listBuckets(t testing.TB, c *client.ClientWithResponses, params api.ListBucketsParams) *client.ListBucketsClientResponse {
	t.Helper()
	res, err := c.ListBucketsWithResponse(t.Context(), &params)
	if err != nil {
		t.Fatalf("GET /bucket: %v", err)
	}
	return res
}

// mustList wants GET /bucket to answer 200 {success: true, buckets} and returns the page.
func mustList(t testing.TB, c *client.ClientWithResponses, params api.ListBucketsParams) api.BucketList {
	t.Helper()
	res := listBuckets(t, c, params)
	page := wantOK(t, "GET /bucket", res, res.JSON200)
	if !page.Success {
		t.Fatalf("GET /bucket answered %s, want success", res.Body)
	}
	return page
}

// listedIDs wants one page of GET /bucket without a limit, hence without a next page, and
// returns its ids in order.
func listedIDs(t testing.TB, c *client.ClientWithResponses, workspaceID *string) []string {
	t.Helper()
	page := mustList(t, c, api.ListBucketsParams{WorkspaceId: workspaceID})
	if page.NextCursor != nil {
		t.Fatalf("GET /bucket without a limit set nextCursor %q for %d buckets", *page.NextCursor, len(page.Buckets))
	}
	ids := make([]string, len(page.Buckets))
	for i, bkt := range page.Buckets {
		ids[i] = bkt.Id
	}
	return ids
}

func listAvailable(t testing.TB, c *client.ClientWithResponses, workspaceID *string) *client.ListAvailableBucketsClientResponse {
	t.Helper()
	res, err := c.ListAvailableBucketsWithResponse(t.Context(), &api.ListAvailableBucketsParams{WorkspaceId: workspaceID})
	if err != nil {
		t.Fatalf("GET /bucket/available: %v", err)
	}
	return res
}

// availableIDs wants GET /bucket/available to answer 200 with a bare array and returns its ids
// in order.
func availableIDs(t testing.TB, c *client.ClientWithResponses, workspaceID *string) []string {
	t.Helper()
	res := listAvailable(t, c, workspaceID)
	entries := wantOK(t, "GET /bucket/available", res, res.JSON200)
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.Id
	}
	return ids
}

// updateBucket sends PUT /bucket/{id}, with an Idempotency-Key unless key is empty.
func updateBucket(t testing.TB, c *client.ClientWithResponses, id, key string, body api.UpdateBucketRequest) *client.UpdateBucketClientResponse {
	t.Helper()
	params := &api.UpdateBucketParams{}
	if key != "" {
		params.IdempotencyKey = &key
	}
	res, err := c.UpdateBucketWithResponse(t.Context(), id, params, body)
	if err != nil {
		t.Fatalf("PUT /bucket/%s: %v", id, err)
	}
	return res
}

// mustUpdate wants PUT /bucket/{id} to answer 200 {success: true, bucketId: id, status} and
// returns the answer.
func mustUpdate(t testing.TB, c *client.ClientWithResponses, id string, body api.UpdateBucketRequest) api.UpdateBucketResponse {
	t.Helper()
	res := updateBucket(t, c, id, "", body)
	got := wantOK(t, "PUT /bucket/{id}", res, res.JSON200)
	if !got.Success || got.BucketId != id {
		t.Fatalf("PUT /bucket/%s answered %s, want success for that bucket", id, res.Body)
	}
	return got
}

func deleteBucket(t testing.TB, c *client.ClientWithResponses, id string) *client.DeleteBucketClientResponse {
	t.Helper()
	res, err := c.DeleteBucketWithResponse(t.Context(), id)
	if err != nil {
		t.Fatalf("DELETE /bucket/%s: %v", id, err)
	}
	return res
}

func revalidateBucket(t testing.TB, c *client.ClientWithResponses, id string, body api.RevalidateBucketRequest) *client.RevalidateBucketClientResponse {
	t.Helper()
	res, err := c.RevalidateBucketWithResponse(t.Context(), id, body)
	if err != nil {
		t.Fatalf("POST /bucket/%s/validate: %v", id, err)
	}
	return res
}

// mustRevalidate wants POST /bucket/{id}/validate to answer 200 with a report.
func mustRevalidate(t testing.TB, c *client.ClientWithResponses, id string, body api.RevalidateBucketRequest) api.RevalidationResult {
	t.Helper()
	res := revalidateBucket(t, c, id, body)
	return wantOK(t, "POST /bucket/{id}/validate", res, res.JSON200)
}

// wantUsage wants GET /user/quota to report exactly one BUCKETS entry with current of max used.
func wantUsage(t testing.TB, c *client.ClientWithResponses, current, max int) {
	t.Helper()
	res, err := c.GetQuotaWithResponse(t.Context())
	if err != nil {
		t.Fatalf("GET /user/quota: %v", err)
	}
	q := wantOK(t, "GET /user/quota", res, res.JSON200)
	if !q.Success || len(q.QuotaUsage) != 1 || q.QuotaUsage[0].Capability.Code != "BUCKETS" ||
		q.QuotaUsage[0].Capability.PeriodType != api.ALLTIME {
		t.Fatalf("GET /user/quota answered %s, want success and one BUCKETS entry counted ALL_TIME", res.Body)
	}
	u := q.QuotaUsage[0].Usage
	if want := float32(math.Round(10000*float64(current)/float64(max)) / 100); u.Current != current || u.Max != max || u.Percentage != want {
		t.Fatalf("GET /user/quota usage = %+v, want current %d, max %d, percentage %v", u, current, max, want)
	}
}
