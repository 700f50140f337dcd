package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore/storetest"
	"github.com/bucketd/bucketd/adapters/httpapi/contracttest"
	"github.com/bucketd/bucketd/adapters/testpeers/versitygw"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
)

// Shape of the rotation test: buckets stored under the old key, how many load workers keep
// creating, reading and re-validating buckets during the rotation, and the rotation's batch
// size, small so that the rotation takes many batches while the load runs.
const (
	rotationSeedBuckets   = 18
	rotationSeedDeleted   = 2
	rotationWorkers       = 4
	rotationBatch         = 2
	rotationMaxLoadCreate = 150
)

// TestKeyRotation is the master key rotation, end to end on SQLite and PostgreSQL: buckets
// sealed under k1; a rotation with k2 alone is refused, since it could not open them, and
// changes nothing; a server restarted with the ring k2,k1 (k2 active) serves a continuous load
// of creates, reads and re-validations (which open both sealed values) while `bucketd keys
// rotate` re-seals everything under k2, and no request fails; `keys status` then shows every
// value, deleted buckets' too, under k2, and a rerun has nothing to do; finally a server with
// only k2 re-validates every bucket, which proves every secret opens without the old key.
func TestKeyRotation(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		b := &backend{dbURL: dbURL, gw: versitygw.Start(t), checker: contracttest.New(t), secrets: &secretSet{}}
		b.gw.CreateBucket(t, providerBucket)
		b.secrets.Add("the gateway root's access key", b.gw.RootKey)
		b.secrets.Add("the gateway root's secret", b.gw.RootSecret)
		k1, k2 := "k1:"+randomBase64(32), "k2:"+randomBase64(32)
		b.secrets.Add("master key k1", strings.TrimPrefix(k1, "k1:"))
		b.secrets.Add("master key k2", strings.TrimPrefix(k2, "k2:"))
		oldRing, rotatingRing, newRing := k1, k2+","+k1, k2

		b.servers = []*server{b.startWithRing(t, oldRing)}
		o := b.bootstrap(t, 1000)
		c := b.client(t, o)
		live := make([]string, 0, rotationSeedBuckets)
		for i := range rotationSeedBuckets {
			live = append(live, wantCreated(t, create(t, c, b.request(o, fmt.Sprintf("Sealed under k1 %d", i)))))
		}
		for _, id := range live[:rotationSeedDeleted] {
			if res := deleteBucket(t, c, id); res.StatusCode() != http.StatusOK {
				t.Fatalf("DELETE /bucket/%s answered %d %s", id, res.StatusCode(), res.Body)
			}
		}
		live = live[rotationSeedDeleted:]
		wantKeyValues(t, b.keyStatus(t, oldRing), "k1", rotationSeedBuckets, map[string]int{"k1": 2 * rotationSeedBuckets})
		if err := b.servers[0].Stop(); err != nil {
			t.Fatalf("stop the server with the old ring: %v", err)
		}
		b.wantRotateRefused(t, newRing, fmt.Sprintf("%d under k1", 2*rotationSeedBuckets))
		wantKeyValues(t, b.keyStatus(t, oldRing), "k1", rotationSeedBuckets, map[string]int{"k1": 2 * rotationSeedBuckets})

		b.servers = []*server{b.startWithRing(t, rotatingRing)}
		load := startLoad(t, b, o, live)
		load.waitRequests(t, 20)
		before := load.count()
		rotation := mustRunBucketd(t, "", "keys", "rotate", "--batch", fmt.Sprint(rotationBatch), "--database-url", dbURL, "--master-keys", rotatingRing)
		during := load.count() - before
		load.waitRequests(t, load.count()+20)
		created := load.stop(t)
		_, _ = b.cliLogs.Write([]byte(rotation.stderr))
		t.Logf("%d requests ran during the rotation; the load created %d buckets\n%s", during, len(created), rotation.stdout)
		if during == 0 {
			t.Error("no request ran while `keys rotate` did: the test did not rotate under load")
		}
		if !strings.Contains(rotation.stdout, "active key k2: re-sealing") || !strings.Contains(rotation.stdout, "done:") {
			t.Errorf("keys rotate printed %q; want the active key, the count to move and a done line", rotation.stdout)
		}

		rows := countRows(t, dbURL)
		if want := rotationSeedBuckets + len(created); rows != want {
			t.Fatalf("the database has %d buckets, want the %d seeded plus the %d the load created", rows, rotationSeedBuckets, len(created))
		}
		wantKeyValues(t, b.keyStatus(t, rotatingRing), "k2", rows, map[string]int{"k2": 2 * rows, "k1": 0})
		table := mustRunBucketd(t, "", "keys", "status", "--database-url", dbURL, "--master-keys", rotatingRing)
		_, _ = b.cliLogs.Write([]byte(table.stderr))
		if !strings.Contains(table.stdout, "no value is sealed under k1") {
			t.Errorf("keys status printed %q; want it to say that k1 seals nothing", table.stdout)
		}
		again := mustRunBucketd(t, "", "keys", "rotate", "--database-url", dbURL, "--master-keys", rotatingRing)
		_, _ = b.cliLogs.Write([]byte(again.stderr))
		if !strings.Contains(again.stdout, "nothing to do") {
			t.Errorf("a second keys rotate printed %q; want nothing to do", again.stdout)
		}
		if err := b.servers[0].Stop(); err != nil {
			t.Fatalf("stop the server with the rotating ring: %v", err)
		}

		b.servers = []*server{b.startWithRing(t, newRing)}
		wantKeyValues(t, b.keyStatus(t, newRing), "k2", rows, map[string]int{"k2": 2 * rows})
		c = b.client(t, o)
		for _, id := range append(live, created...) {
			res := mustRevalidate(t, c, id, api.RevalidateBucketRequest{})
			if !res.Success || res.Status != api.ONLINE {
				t.Errorf("re-validating bucket %s with only k2 = %+v, want success and ONLINE", id, res)
			}
		}
		if err := b.servers[0].Stop(); err != nil {
			t.Errorf("stop the server with the new ring: %v\nstderr:\n%s", err, b.servers[0].Stderr.String())
		}
		logs := b.cliLogs.String() + rotation.stdout + again.stdout
		for _, s := range b.servers {
			logs += s.Stderr.String()
		}
		for _, secret := range b.secrets.forms() {
			if strings.Contains(logs, secret.value) {
				t.Errorf("%s appears in a log or in the output of keys", secret.label)
			}
		}
	})
}

// wantRotateRefused runs `bucketd keys rotate` with a ring that lacks a key some values are
// sealed under: it must fail before changing anything, saying how many values which key holds
// and what to do, and `keys status` must point at the missing key.
func (b *backend) wantRotateRefused(t *testing.T, ring, says string) {
	t.Helper()
	res := runBucketd(t, "", "keys", "rotate", "--database-url", b.dbURL, "--master-keys", ring)
	_, _ = b.cliLogs.Write([]byte(res.stderr))
	if res.err == nil || !strings.Contains(res.stderr, says) || !strings.Contains(res.stderr, "add those keys to the ring after the active key") {
		t.Errorf("keys rotate without the old key: %v, stderr %q; want a failure saying %q and how to fix it", res.err, res.stderr, says)
	}
	table := mustRunBucketd(t, "", "keys", "status", "--database-url", b.dbURL, "--master-keys", ring)
	_, _ = b.cliLogs.Write([]byte(table.stderr))
	if !strings.Contains(table.stdout, "NOT IN RING") || !strings.Contains(table.stdout, "cannot be opened with this ring") {
		t.Errorf("keys status without the old key printed %q; want the old key marked NOT IN RING", table.stdout)
	}
}

// startWithRing starts a server on the backend's database with the given master key ring and
// no rate limit, since the load is meant to be heavy.
func (b *backend) startWithRing(t *testing.T, ring string) *server {
	t.Helper()
	return startServer(t, b.checker, "", "--addr", "127.0.0.1:0", "--database-url", b.dbURL,
		"--master-keys", ring, "--endpoint-allowlist", "127.0.0.0/8", "--rate-limit", "0")
}

// keyStatusOutput is what `bucketd keys status --json` prints.
type keyStatusOutput struct {
	ActiveKeyID  string `json:"activeKeyId"`
	Buckets      int    `json:"buckets"`
	ValuesToMove int    `json:"valuesToMove"`
	Keys         []struct {
		KeyID   string `json:"keyId"`
		Active  bool   `json:"active"`
		InRing  bool   `json:"inRing"`
		Buckets int    `json:"buckets"`
		Values  int    `json:"values"`
	} `json:"keys"`
}

// keyStatus runs `bucketd keys status --json` with ring and decodes its one line strictly.
func (b *backend) keyStatus(t *testing.T, ring string) keyStatusOutput {
	t.Helper()
	res := mustRunBucketd(t, "", "keys", "status", "--json", "--database-url", b.dbURL, "--master-keys", ring)
	_, _ = b.cliLogs.Write([]byte(res.stderr))
	dec := json.NewDecoder(strings.NewReader(res.stdout))
	dec.DisallowUnknownFields()
	var out keyStatusOutput
	if err := dec.Decode(&out); err != nil || strings.Count(res.stdout, "\n") != 1 {
		t.Fatalf("keys status --json printed %q, want one JSON object: %v", res.stdout, err)
	}
	return out
}

// wantKeyValues checks the active key, the number of buckets and the values under each key;
// every ring key is listed, and a key not in values holds none.
func wantKeyValues(t *testing.T, got keyStatusOutput, active string, buckets int, values map[string]int) {
	t.Helper()
	listed := map[string]int{}
	toMove := 0
	for _, k := range got.Keys {
		listed[k.KeyID] = k.Values
		if k.Active != (k.KeyID == active) || !k.InRing {
			t.Errorf("keys status lists %+v; want only %s active and every key in the ring", k, active)
		}
		if !k.Active {
			toMove += k.Values
		}
	}
	if got.ActiveKeyID != active || got.Buckets != buckets || got.ValuesToMove != toMove || len(listed) != len(values) {
		t.Errorf("keys status = %+v; want active key %s, %d buckets and exactly the keys %v", got, active, buckets, values)
	}
	for id, n := range values {
		if v, ok := listed[id]; !ok || v != n {
			t.Errorf("keys status has %d values under %s (listed: %t), want %d", v, id, ok, n)
		}
	}
}

// countRows counts every bucket row, deleted ones included.
func countRows(t *testing.T, databaseURL string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
	defer cancel()
	var n int
	if err := openDB(t, databaseURL).QueryRowContext(ctx, "SELECT count(*) FROM buckets").Scan(&n); err != nil {
		t.Fatalf("count buckets: %v", err)
	}
	return n
}

// load is a set of workers that keep creating buckets of one organization, reading them and
// re-validating them through the first server until stopped, and record every answer that is
// not a 200. Each worker reads and re-validates only buckets of its own, so that two
// re-validations of one bucket never overlap: the only writer they can meet is the rotation.
// Stopping lets the requests in flight finish, so every bucket created is known.
type load struct {
	stopping atomic.Bool
	wg       sync.WaitGroup
	requests atomic.Int64
	creates  atomic.Int64

	mu       sync.Mutex
	created  []string
	failures []string
}

// startLoad deals ids out to the workers and starts them.
func startLoad(t *testing.T, b *backend, o org, ids []string) *load {
	t.Helper()
	l := &load{}
	c := b.client(t, o)
	ctx := context.WithoutCancel(t.Context()) // the client bounds each request by requestTimeout
	for w := range rotationWorkers {
		var own []string
		for i := w; i < len(ids); i += rotationWorkers {
			own = append(own, ids[i])
		}
		l.wg.Go(func() {
			for i := 0; !l.stopping.Load(); i++ {
				if id := l.one(ctx, b, o, c, own[rand.IntN(len(own))], fmt.Sprintf("Load %d-%d", w, i)); id != "" {
					own = append(own, id)
				}
			}
		})
	}
	return l
}

// one sends one request about bucket id, or creates a bucket named name and returns its id:
// half of the requests re-validate, a quarter read, a quarter create while the load has created
// fewer than its maximum.
func (l *load) one(ctx context.Context, b *backend, o org, c *client.ClientWithResponses, id, name string) (created string) {
	var (
		op     string
		status int
		body   []byte
		err    error
	)
	switch n := rand.IntN(4); {
	case n == 0 && l.creates.Add(1) <= rotationMaxLoadCreate:
		op = "POST /bucket"
		res, e := c.CreateBucketWithResponse(ctx, &api.CreateBucketParams{}, b.request(o, name))
		if err = e; err == nil {
			status, body = res.StatusCode(), res.Body
			if res.JSON200 != nil {
				created = res.JSON200.BucketId
			}
		}
	case n == 1:
		op = "GET /bucket/" + id
		res, e := c.GetBucketWithResponse(ctx, id)
		if err = e; err == nil {
			status, body = res.StatusCode(), res.Body
		}
	default:
		op = "POST /bucket/" + id + "/validate"
		res, e := c.RevalidateBucketWithResponse(ctx, id, api.RevalidateBucketRequest{})
		if err = e; err == nil {
			status, body = res.StatusCode(), res.Body
			if res.JSON200 != nil && (!res.JSON200.Success || res.JSON200.Status != api.ONLINE) {
				err = errors.New("the validation failed") // the stored credentials must still work
			}
		}
	}
	l.requests.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if created != "" {
		l.created = append(l.created, created)
	}
	if err != nil || status != http.StatusOK {
		l.failures = append(l.failures, fmt.Sprintf("%s: %d %s %v", op, status, body, err))
	}
	return created
}

func (l *load) count() int64 { return l.requests.Load() }

// waitRequests waits until the load has sent n requests.
func (l *load) waitRequests(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(requestTimeout)
	for l.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the load sent %d requests in %s, want %d", l.count(), requestTimeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends the load, fails t for every request that did not answer 200, and returns the ids of
// the buckets the load created.
func (l *load) stop(t *testing.T) []string {
	t.Helper()
	l.stopping.Store(true)
	l.wg.Wait()
	for _, f := range l.failures {
		t.Errorf("request during the rotation failed: %s", f)
	}
	return l.created
}
