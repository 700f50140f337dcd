package main_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/storetest"
	"github.com/bucketd/bucketd/testsupport/tcpproxy"
)

// The fault run: faultCreates creates at once while the proxy between bucketd and PostgreSQL
// cuts every connection faultCuts times, every faultCutEvery, starting with the creates. After
// the last cut the database is reachable for good, as after a restart or failover.
const (
	faultCreates  = 500
	faultCuts     = 25
	faultCutEvery = 200 * time.Millisecond
	// faultMinCuts is how many cuts must end live connections while creates are running.
	faultMinCuts = 5
	// faultRequestTimeout is the client's deadline for one create: an answer later than this
	// counts as a hang.
	faultRequestTimeout = 45 * time.Second
)

// faultOutcome is what one create of the fault run got back.
type faultOutcome struct {
	status     int
	code       string
	retryAfter string
	bucketID   string
	err        error
}

// TestFaultDatabaseConnectionsCut runs bucketd on PostgreSQL through a TCP proxy that cuts every
// database connection, alternately with FIN and RST, 25 times while 500 creates run at once.
// bucketd must answer each one, in time, with 200 or with 503 UNAVAILABLE and Retry-After:
// never 500, and never a client error, because every request is valid. Afterwards the buckets
// stored (read straight from PostgreSQL, not through the proxy) must be exactly the ones
// answered 200: a create whose COMMIT reached the server but whose acknowledgement was lost
// must be answered 200, and one whose COMMIT did not must not be.
func TestFaultDatabaseConnectionsCut(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	proxy := tcpproxy.Start(t, hostPort(t, dbURL))
	b := newBackend(t, withHost(t, dbURL, proxy.Addr), 1)
	o := b.bootstrap(t, 2*faultCreates)
	c := b.client(t, o)

	start, loadDone := make(chan struct{}), make(chan struct{})
	var cuts []faultCut
	var cutter sync.WaitGroup
	cutter.Go(func() {
		<-start
		cuts = cutRepeatedly(proxy, loadDone)
	})
	outcomes := make([]faultOutcome, faultCreates)
	var load sync.WaitGroup
	for i := range faultCreates {
		load.Go(func() {
			<-start
			outcomes[i] = faultCreate(t, c, b.request(o, fmt.Sprintf("Fault %03d", i)))
		})
	}
	began := time.Now()
	close(start)
	load.Wait()
	close(loadDone)
	cutter.Wait()
	took := time.Since(began)

	created := checkFaultOutcomes(t, outcomes)
	hit := 0
	for _, c := range cuts {
		if c.duringLoad && c.ended > 0 {
			hit++
		}
	}
	t.Logf("%d creates in %s: %d answered 200, %d answered 503; %d of %d cuts ended live connections while the creates ran (%v); the proxy accepted %d connections",
		faultCreates, took.Round(time.Millisecond), len(created), faultCreates-len(created), hit, len(cuts), cuts, proxy.Accepted())
	if hit < faultMinCuts {
		t.Errorf("only %d cuts ended live connections while the creates ran, want at least %d: the run proved nothing", hit, faultMinCuts)
	}
	if len(created) == 0 {
		t.Error("no create succeeded: bucketd never recovered between the cuts")
	}
	checkStoredExactly(t, dbURL, o.OrgID, created)
	t.Logf("bucketd found %d buckets stored by an attempt whose COMMIT was not acknowledged, and answered 200 for them",
		strings.Count(b.servers[0].Stderr.String(), unacknowledgedCommitLog))

	// The database is reachable again: bucketd serves as before, at the latest once a client
	// has retried past the pooled connections the last cut broke.
	created = append(created, createAfterFaults(t, c, b.request(o, "After the faults")))
	checkStoredExactly(t, dbURL, o.OrgID, created)
}

// unacknowledgedCommitLog is the message gormstore logs when a retried insert finds that the
// attempt before it did commit.
const unacknowledgedCommitLog = "its COMMIT was not acknowledged"

// faultCut is one CutAll or ResetAll of the fault run.
type faultCut struct {
	// ended is the number of connections the cut ended.
	ended int
	// duringLoad says whether creates were still running.
	duringLoad bool
}

func (c faultCut) String() string {
	if c.duringLoad {
		return fmt.Sprint(c.ended)
	}
	return fmt.Sprintf("%d after the creates", c.ended)
}

// cutRepeatedly cuts every connection through proxy faultCuts times, every faultCutEvery,
// alternating FIN and RST, and notes for each cut whether loadDone was closed yet.
func cutRepeatedly(proxy *tcpproxy.Proxy, loadDone <-chan struct{}) []faultCut {
	tick := time.NewTicker(faultCutEvery)
	defer tick.Stop()
	cuts := make([]faultCut, 0, faultCuts)
	for i := range faultCuts {
		<-tick.C
		running := true
		select {
		case <-loadDone:
			running = false
		default:
		}
		ended := proxy.CutAll
		if i%2 == 1 {
			ended = proxy.ResetAll
		}
		cuts = append(cuts, faultCut{ended: ended(), duringLoad: running})
	}
	return cuts
}

// createAfterFaults sends req until it is answered 200, as a client that retries a 503 does, and
// returns the bucket id. Every answer before must be 503 UNAVAILABLE, and a few retries must do.
func createAfterFaults(t *testing.T, c *client.ClientWithResponses, req api.CreateBucketRequest) string {
	t.Helper()
	const attempts = 10
	for range attempts {
		out := faultCreate(t, c, req)
		checkFaultOutcomes(t, []faultOutcome{out})
		if out.status == http.StatusOK {
			return out.bucketID
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no create succeeded in %d attempts after the faults ended", attempts)
	return ""
}

// faultCreate sends one create with the client deadline of the fault run.
func faultCreate(t *testing.T, c *client.ClientWithResponses, req api.CreateBucketRequest) faultOutcome {
	ctx, cancel := context.WithTimeout(t.Context(), faultRequestTimeout)
	defer cancel()
	res, err := c.CreateBucketWithResponse(ctx, &api.CreateBucketParams{}, req)
	if err != nil {
		return faultOutcome{err: err}
	}
	out := faultOutcome{status: res.StatusCode(), retryAfter: res.HTTPResponse.Header.Get("Retry-After")}
	if res.JSON200 != nil {
		out.bucketID = res.JSON200.BucketId
	}
	if e := errorBody(res); e != nil {
		out.code = e.Code
	}
	return out
}

// checkFaultOutcomes fails t for every create that got no answer in time or an answer other
// than 200 with a bucket id or 503 UNAVAILABLE with Retry-After, and returns the ids of the
// buckets answered 200.
func checkFaultOutcomes(t *testing.T, outcomes []faultOutcome) []string {
	t.Helper()
	var created []string
	for i, out := range outcomes {
		switch {
		case out.err != nil:
			t.Errorf("create %d got no answer within %s: %v", i, faultRequestTimeout, out.err)
		case out.status == http.StatusOK && out.bucketID != "":
			created = append(created, out.bucketID)
		case out.status == http.StatusServiceUnavailable && out.code == "UNAVAILABLE" && out.retryAfter != "":
		default:
			t.Errorf("create %d answered %d %s (Retry-After %q), want 200 or 503 UNAVAILABLE with Retry-After",
				i, out.status, out.code, out.retryAfter)
		}
	}
	return created
}

// checkStoredExactly fails t unless the organization's rows in the buckets table, read
// straight from the database, are exactly the buckets in want.
func checkStoredExactly(t *testing.T, databaseURL, orgID string, want []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
	defer cancel()
	stored, err := queryStrings(ctx, openDB(t, databaseURL), "SELECT id::text FROM buckets WHERE org_id = $1", orgID)
	if err != nil {
		t.Fatalf("list the buckets of organization %s: %v", orgID, err)
	}
	for _, id := range stored {
		if !slices.Contains(want, id) {
			t.Errorf("bucket %s is stored, but its create was not answered 200", id)
		}
	}
	for _, id := range want {
		if !slices.Contains(stored, id) {
			t.Errorf("bucket %s was answered 200, but it is not stored", id)
		}
	}
	if len(stored) != len(want) {
		t.Errorf("the buckets table holds %d rows of the organization, want exactly the %d answered 200", len(stored), len(want))
	}
}

// hostPort is the host:port of a postgres:// URL.
func hostPort(t *testing.T, databaseURL string) string {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil || u.Port() == "" {
		t.Fatalf("the PostgreSQL URL from %s names no host:port", storetest.PostgresDSNEnv)
	}
	return u.Host
}

// withHost is databaseURL with its host:port replaced by addr.
func withHost(t *testing.T, databaseURL, addr string) string {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatalf("parse the PostgreSQL URL from %s: %v", storetest.PostgresDSNEnv, err)
	}
	u.Host = addr
	return u.String()
}
