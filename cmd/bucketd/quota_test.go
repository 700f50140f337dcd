package main_test

import (
	"fmt"
	"github.com/bucketd/bucketd/gen/api"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/gen/client"
)

// freeTrialLimit is the bucket limit of the FREE_TRIAL plan (docs/operations.md, administration).
const freeTrialLimit = 10

func testFreeTrialQuota(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	for i := range freeTrialLimit {
		wantCreated(t, create(t, c, b.request(o, fmt.Sprintf("Trial %02d", i))))
	}
	e := wantError(t, create(t, c, b.request(o, "Trial 11")), http.StatusTooManyRequests, "QUOTA_EXCEEDED")
	if !strings.Contains(e.Message, "10 of 10") {
		t.Errorf("message %q does not say \"10 of 10\"", e.Message)
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != freeTrialLimit {
		t.Errorf("the organization has %d buckets, want %d", n, freeTrialLimit)
	}
}

func testBucketLimitOverride(t *testing.T, b *backend) {
	o := b.bootstrap(t, 1)
	c := b.client(t, o)
	wantCreated(t, create(t, c, b.request(o, "Only one")))
	e := wantError(t, create(t, c, b.request(o, "One too many")), http.StatusTooManyRequests, "QUOTA_EXCEEDED")
	if !strings.Contains(e.Message, "1 of 1") {
		t.Errorf("message %q does not say \"1 of 1\"", e.Message)
	}
}

func testConcurrentCreates(t *testing.T, b *backend) {
	raceCreates(t, b, b.servers[:1], 50)
}

func testConcurrentCreatesTwoServers(t *testing.T, b *backend) {
	if len(b.servers) < 2 {
		t.Fatalf("the backend runs %d servers, want 2", len(b.servers))
	}
	raceCreates(t, b, b.servers[:2], 50)
}

// raceCreates sends the given number of creates at once for an organization limited to 10
// buckets, request i to servers[i % len(servers)], and checks that exactly 10 got in and every
// other one was refused with 429 QUOTA_EXCEEDED, both by the answers and by the rows in the
// database.
func raceCreates(t *testing.T, b *backend, servers []*server, requests int) {
	const limit = 10
	o := b.bootstrap(t, limit)
	clients := make([]*client.ClientWithResponses, len(servers))
	for i, s := range servers {
		clients[i] = s.Client(t, b.checker, o.Token)
	}
	type outcome struct {
		status int
		code   string
		err    error
	}
	outcomes := make([]outcome, requests)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			<-start
			res, err := clients[i%len(clients)].CreateBucketWithResponse(t.Context(), &api.CreateBucketParams{}, b.request(o, fmt.Sprintf("Race %02d", i)))
			if err != nil {
				outcomes[i] = outcome{err: err}
				return
			}
			outcomes[i] = outcome{status: res.StatusCode()}
			if e := errorBody(res); e != nil {
				outcomes[i].code = e.Code
			}
		})
	}
	close(start)
	wg.Wait()

	created, refused := 0, 0
	for i, out := range outcomes {
		switch {
		case out.err != nil:
			t.Errorf("request %d: %v", i, out.err)
		case out.status == http.StatusOK:
			created++
		case out.status == http.StatusTooManyRequests && out.code == "QUOTA_EXCEEDED":
			refused++
		default:
			t.Errorf("request %d answered %d %s, want 200 or 429 QUOTA_EXCEEDED", i, out.status, out.code)
		}
	}
	if created != limit || refused != requests-limit {
		t.Errorf("%d created and %d refused with QUOTA_EXCEEDED, want %d and %d", created, refused, limit, requests-limit)
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != limit {
		t.Errorf("the buckets table holds %d rows of the organization, want exactly %d", n, limit)
	}
}
