package main_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/delayproxy"
)

// providerDelay holds every provider request of the idempotency scenarios back, so the first
// request with a key is still validating while its concurrent retries arrive.
const providerDelay = 250 * time.Millisecond

// replayedHeader marks an answer replayed for an Idempotency-Key.
const replayedHeader = "Idempotent-Replayed"

// idempotentCreates is how many identical creates race with one Idempotency-Key.
const idempotentCreates = 20

// createOutcome is one answer to an idempotent create.
type createOutcome struct {
	status   int
	code     string
	replayed string
	body     []byte
}

// testIdempotentCreate races 20 identical creates with one Idempotency-Key against a provider
// reached through a counting proxy: one bucket is stored after one validation's worth of
// provider requests, and every answer is the one 200 (replays marked) or 409 while it runs. A
// retry afterwards replays it without the provider, another body with the key is refused, and
// the key means nothing to another organization.
func testIdempotentCreate(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	proxy := delayproxy.Start(t, b.gw.Endpoint, providerDelay)
	req := b.request(o, "Idempotent")
	req.Endpoint = &proxy.URL
	perValidation := providerRequests(proxy, func() {
		if res := validate(t, c, dryRunOf(req)); !res.Success {
			t.Fatalf("the dry run failed: %+v", res)
		}
	})
	if perValidation == 0 {
		t.Fatal("a validation through the proxy sent it no request; the proxy counts nothing")
	}

	key := domain.NewID()
	var outcomes []createOutcome
	sent := providerRequests(proxy, func() { outcomes = raceIdempotentCreates(t, c, key, req) })
	var first *createOutcome
	inProgress := 0
	for i, out := range outcomes {
		switch {
		case out.status == http.StatusOK && out.replayed == "":
			if first != nil {
				t.Errorf("request %d was a second original answer (not replayed): %s and %s", i, first.body, out.body)
			}
			first = &outcomes[i]
		case out.status == http.StatusOK && out.replayed == "true":
		case out.status == http.StatusConflict && out.code == "IDEMPOTENCY_IN_PROGRESS" && out.replayed == "":
			inProgress++
		default:
			t.Errorf("request %d answered %d %s (%s: %q), want 200 or 409 IDEMPOTENCY_IN_PROGRESS", i, out.status, out.body, replayedHeader, out.replayed)
		}
	}
	if first == nil {
		t.Fatalf("no request got the original answer: %+v", outcomes)
	}
	for i, out := range outcomes {
		if out.status == http.StatusOK && !bytes.Equal(out.body, first.body) {
			t.Errorf("request %d answered %s, the original %s", i, out.body, first.body)
		}
	}
	t.Logf("%d concurrent creates: %d answered 409 IDEMPOTENCY_IN_PROGRESS; %d provider requests, %d per validation",
		idempotentCreates, inProgress, sent, perValidation)
	// Every retry arrived while the first request waited for the delayed provider.
	if inProgress == 0 {
		t.Errorf("no request answered 409 IDEMPOTENCY_IN_PROGRESS although each provider request took %s", providerDelay)
	}
	if sent != perValidation {
		t.Errorf("the creates sent the provider %d requests, one validation sends %d", sent, perValidation)
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != 1 {
		t.Errorf("the organization has %d buckets, want 1", n)
	}

	if retry := providerRequests(proxy, func() {
		out := createWithKey(t, c, key, req)
		if out.status != http.StatusOK || out.replayed != "true" || !bytes.Equal(out.body, first.body) {
			t.Errorf("the retry answered %d %s (%s: %q), want the original %s replayed", out.status, out.body, replayedHeader, out.replayed, first.body)
		}
		other := req
		other.Name = "Idempotent too"
		out = createWithKey(t, c, key, other)
		if out.status != http.StatusUnprocessableEntity || out.code != "IDEMPOTENCY_KEY_REUSED" {
			t.Errorf("another body with the key answered %d %s, want 422 IDEMPOTENCY_KEY_REUSED", out.status, out.body)
		}
	}); retry != 0 {
		t.Errorf("the retry and the reused key sent the provider %d requests, want 0", retry)
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != 1 {
		t.Errorf("the organization has %d buckets after the retries, want 1", n)
	}

	stranger := b.bootstrap(t, -1)
	out := createWithKey(t, b.client(t, stranger), key, b.request(stranger, req.Name))
	if out.status != http.StatusOK || out.replayed != "" || bytes.Equal(out.body, first.body) {
		t.Errorf("another organization's create with the key answered %d %s (%s: %q), want its own new bucket",
			out.status, out.body, replayedHeader, out.replayed)
	}
}

// testIdempotentUpdate proves that PUT /bucket/{id} with an Idempotency-Key acts once: the
// retry of a credentials change replays the answer without the provider and without touching
// the bucket, and the retry of a rename does not undo a later rename.
func testIdempotentUpdate(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	proxy := delayproxy.Start(t, b.gw.Endpoint, 0)
	req := b.request(o, "Updated once")
	req.Endpoint = &proxy.URL
	id := wantCreated(t, create(t, c, req))

	rekey := api.UpdateBucketRequest{Key: &b.gw.RootKey, Secret: &b.gw.RootSecret}
	key := domain.NewID()
	var first *client.UpdateBucketClientResponse
	if n := providerRequests(proxy, func() { first = updateBucket(t, c, id, key, rekey) }); n == 0 {
		t.Errorf("the credentials change sent the provider no request; it must be validated")
	}
	wantOK(t, "PUT /bucket/{id}", first, first.JSON200)
	updated := mustGetBucket(t, c, id)
	var again *client.UpdateBucketClientResponse
	if n := providerRequests(proxy, func() { again = updateBucket(t, c, id, key, rekey) }); n != 0 {
		t.Errorf("the retry sent the provider %d requests, want 0", n)
	}
	wantReplay(t, again, first)
	if diff := bucketDiff(mustGetBucket(t, c, id), updated); diff != "" {
		t.Errorf("the retry changed the bucket: %s", diff)
	}

	renameKey := domain.NewID()
	first = updateBucket(t, c, id, renameKey, api.UpdateBucketRequest{Name: ptr("Renamed once")})
	wantOK(t, "PUT /bucket/{id}", first, first.JSON200)
	mustUpdate(t, c, id, api.UpdateBucketRequest{Name: ptr("Renamed twice")})
	wantReplay(t, updateBucket(t, c, id, renameKey, api.UpdateBucketRequest{Name: ptr("Renamed once")}), first)
	if got := mustGetBucket(t, c, id); got.Name != "Renamed twice" {
		t.Errorf("after replaying the first rename the bucket is named %q, want the later %q", got.Name, "Renamed twice")
	}
	wantAPIError(t, "PUT /bucket/{id} with a reused key", updateBucket(t, c, id, renameKey, api.UpdateBucketRequest{Name: ptr("Renamed thrice")}),
		http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")
}

// raceIdempotentCreates sends idempotentCreates identical creates with key at once.
func raceIdempotentCreates(t *testing.T, c *client.ClientWithResponses, key string, req api.CreateBucketRequest) []createOutcome {
	outcomes := make([]createOutcome, idempotentCreates)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range outcomes {
		wg.Go(func() {
			<-start
			outcomes[i] = createWithKey(t, c, key, req)
		})
	}
	close(start)
	wg.Wait()
	return outcomes
}

// createWithKey sends POST /bucket with an Idempotency-Key. It reports a transport failure with
// t.Errorf, so it may run on any goroutine.
func createWithKey(t *testing.T, c *client.ClientWithResponses, key string, req api.CreateBucketRequest) createOutcome {
	res, err := c.CreateBucketWithResponse(t.Context(), &api.CreateBucketParams{IdempotencyKey: &key}, req)
	if err != nil {
		t.Errorf("POST /bucket: %v", err)
		return createOutcome{}
	}
	out := createOutcome{status: res.StatusCode(), replayed: res.HTTPResponse.Header.Get(replayedHeader), body: res.Body}
	var e api.Error
	if out.status != http.StatusOK && json.Unmarshal(res.Body, &e) == nil {
		out.code = e.Code
	}
	return out
}

// wantReplay wants res to be the original answer again, marked as replayed.
func wantReplay(t testing.TB, res, original *client.UpdateBucketClientResponse) {
	t.Helper()
	if res.StatusCode() != original.StatusCode() || !bytes.Equal(res.Body, original.Body) || res.HTTPResponse.Header.Get(replayedHeader) != "true" {
		t.Errorf("the retry answered %d %s (%s: %q), want the original %d %s replayed", res.StatusCode(), res.Body,
			replayedHeader, res.HTTPResponse.Header.Get(replayedHeader), original.StatusCode(), original.Body)
	}
}

// providerRequests runs fn and returns how many requests the proxy forwarded meanwhile.
func providerRequests(proxy *delayproxy.Proxy, fn func()) int64 {
	before := proxy.Requests()
	fn()
	return proxy.Requests() - before
}

// dryRunOf is the dry run of a create request.
func dryRunOf(req api.CreateBucketRequest) api.ValidateBucketRequest {
	return api.ValidateBucketRequest{Bucket: req.Bucket, StorageType: req.StorageType, Key: req.Key, Secret: req.Secret,
		Region: req.Region, Endpoint: req.Endpoint, WorkspaceId: &req.WorkspaceId}
}
