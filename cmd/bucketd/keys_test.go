package main_test

import (
	"context"
	"database/sql"
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

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
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

// newKeysBackend is a backend with an S3 peer and no server: the key tests start their own, each
// with the master keys the scenario needs.
func newKeysBackend(t *testing.T, dbURL string) *backend {
	t.Helper()
	b := &backend{dbURL: dbURL, gw: versitygw.Start(t), checker: contracttest.New(t), secrets: &secretSet{}}
	b.gw.CreateBucket(t, providerBucket)
	b.secrets.Add("the gateway root's access key", b.gw.RootKey)
	b.secrets.Add("the gateway root's secret", b.gw.RootSecret)
	return b
}

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
		b := newKeysBackend(t, dbURL)
		k1, k2 := b.twoMasterKeys()
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
		// The servers have no fingerprint key, so no bucket has a fingerprint, and neither has the rotation.
		if !strings.Contains(rotation.stdout, "have no secret fingerprint and were not filled in, as no fingerprint key is configured") {
			t.Errorf("keys rotate without a fingerprint key printed %q; want it to say the fingerprints were not filled in", rotation.stdout)
		}

		rows := countRows(t, dbURL)
		if want := rotationSeedBuckets + len(created); rows != want {
			t.Fatalf("the database has %d buckets, want the %d seeded plus the %d the load created", rows, rotationSeedBuckets, len(created))
		}
		wantKeyValues(t, b.keyStatus(t, rotatingRing), "k2", rows, map[string]int{"k2": 2 * rows, "k1": 0})
		table := mustRunBucketd(t, "", "keys", "status", "--database-url", dbURL, "--master-keys", rotatingRing)
		_, _ = b.cliLogs.Write([]byte(table.stderr))
		if !strings.Contains(table.stdout, "no bucket and no API key has a value sealed under k1") {
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
		b.wantNoSecretInKeysOutput(t, rotation.stdout, again.stdout)
	})
}

// TestKeyRotationFillsMissingFingerprints is the fingerprint backfill, end to end on SQLite and
// PostgreSQL. Buckets are registered by a server with a fingerprint key, with two different
// secrets, one of them then deleted; their fingerprints and credentials times are set to NULL
// in the database, as migration 0005 left the buckets stored before it, while one bucket keeps
// its fingerprint. `keys status` counts the buckets without one and says to run `keys rotate`.
// Every value is under the active key already, so a rotation has nothing to re-seal; without a
// fingerprint key it says it filled nothing in, and with another key than the servers' it
// refuses, both changing nothing. With the servers' key it fills every missing fingerprint in:
// each bucket then shows the fingerprint a bucket registered afresh with the same secret shows,
// at the same secret version and credentials time as before, and a second run has nothing to do.
func TestKeyRotationFillsMissingFingerprints(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		b := newKeysBackend(t, dbURL)
		ring, fingerprintKey, otherKey := "k1:"+randomBase64(32), randomBase64(32), randomBase64(32)
		b.secrets.Add("master key k1", strings.TrimPrefix(ring, "k1:"))
		b.secrets.Add("the fingerprint key", fingerprintKey)
		b.secrets.Add("another fingerprint key", otherKey)
		b.servers = []*server{startServer(t, b.checker, "", "--addr", "127.0.0.1:0", "--database-url", dbURL, "--master-keys", ring,
			"--fingerprint-key", fingerprintKey, "--endpoint-allowlist", "127.0.0.0/8", "--rate-limit", "0")}
		o := b.bootstrap(t, 100)
		c := b.client(t, o)
		user := b.newGatewayUser(t, "the backfill user")
		withUserSecret := func(name string) api.CreateBucketRequest {
			req := b.request(o, name)
			req.Bucket, req.Key, req.Secret = user.bucket, user.key, user.secret
			return req
		}

		// secretOf maps each old bucket to the secret it was registered with.
		secretOf := map[string]string{}
		for i, req := range []api.CreateBucketRequest{b.request(o, "Old 1"), b.request(o, "Old 2"), withUserSecret("Old 3"), b.request(o, "Old, deleted")} {
			id := wantCreated(t, create(t, c, req))
			secretOf[id] = req.Secret
			if i == 3 {
				if res := deleteBucket(t, c, id); res.StatusCode() != http.StatusOK {
					t.Fatalf("DELETE /bucket/%s answered %d %s", id, res.StatusCode(), res.Body)
				}
			}
		}
		kept := mustGetBucket(t, c, wantCreated(t, create(t, c, b.request(o, "Keeps its fingerprint"))))
		for id := range secretOf {
			forgetFingerprint(t, dbURL, id)
		}
		before := map[string]api.Bucket{}
		for id := range secretOf {
			if got, ok := getIfLive(t, c, id); ok {
				if got.SecretFingerprint != nil || got.CredentialsUpdatedAt != nil || got.SecretVersion != 1 {
					t.Fatalf("bucket %s after the NULLs = %+v; want no fingerprint, no credentials time, secret version 1", id, got)
				}
				before[id] = got
			}
		}
		const old = 4
		wantWithoutFingerprint(t, b, ring, old)

		noKey := mustRunBucketd(t, "", "keys", "rotate", "--database-url", dbURL, "--master-keys", ring)
		_, _ = b.cliLogs.Write([]byte(noKey.stderr))
		if !strings.Contains(noKey.stdout, "nothing to do") ||
			!strings.Contains(noKey.stdout, fmt.Sprintf("%d buckets and API keys have no secret fingerprint and were not filled in, as no fingerprint key is configured", old)) {
			t.Errorf("keys rotate without a fingerprint key printed %q; want nothing to do and the %d fingerprints not filled in", noKey.stdout, old)
		}
		wrongKey := runBucketd(t, "", "keys", "rotate", "--database-url", dbURL, "--master-keys", ring, "--fingerprint-key", otherKey)
		_, _ = b.cliLogs.Write([]byte(wrongKey.stderr))
		if wrongKey.err == nil || !strings.Contains(wrongKey.stderr, "not the one the stored fingerprints were made with") ||
			!strings.Contains(wrongKey.stderr, kept.Id) {
			t.Errorf("keys rotate with another fingerprint key: %v, stderr %q; want a refusal naming bucket %s", wrongKey.err, wrongKey.stderr, kept.Id)
		}
		wantWithoutFingerprint(t, b, ring, old)

		fill := mustRunBucketd(t, "", "keys", "rotate", "--database-url", dbURL, "--master-keys", ring, "--fingerprint-key", fingerprintKey)
		_, _ = b.cliLogs.Write([]byte(fill.stderr))
		if !strings.Contains(fill.stdout, fmt.Sprintf("filling in the secret fingerprint of %d buckets", old)) ||
			!strings.Contains(fill.stdout, fmt.Sprintf("done: the missing secret fingerprint of %d buckets and API keys filled in", old)) ||
			strings.Contains(fill.stdout, "re-seal") {
			t.Errorf("keys rotate with the fingerprint key printed %q; want %d fingerprints filled in and nothing re-sealed", fill.stdout, old)
		}
		wantWithoutFingerprint(t, b, ring, 0)

		fresh := map[string]string{
			b.gw.RootSecret: wantFingerprint(t, "of a fresh bucket with the root's secret", mustGetBucket(t, c, wantCreated(t, create(t, c, b.request(o, "Fresh")))), 1, b.gw.RootSecret),
			user.secret:     wantFingerprint(t, "of a fresh bucket with the user's secret", mustGetBucket(t, c, wantCreated(t, create(t, c, withUserSecret("Fresh user")))), 1, user.secret),
		}
		if fresh[b.gw.RootSecret] != *kept.SecretFingerprint || fresh[b.gw.RootSecret] == fresh[user.secret] {
			t.Fatalf("fresh fingerprints %v, kept %s: want the root's equal to the kept one and the user's different", fresh, *kept.SecretFingerprint)
		}
		for id, secret := range secretOf {
			got, live := getIfLive(t, c, id)
			if !live {
				if stored := storedFingerprint(t, dbURL, id); stored != fresh[secret] {
					t.Errorf("deleted bucket %s has fingerprint %q in the database, want %s", id, stored, fresh[secret])
				}
				continue
			}
			if fp := wantFingerprint(t, "after the backfill of "+id, got, 1, secret); fp != fresh[secret] {
				t.Errorf("bucket %s shows fingerprint %s after the backfill; a fresh bucket with the same secret shows %s", id, fp, fresh[secret])
			}
			if got.CredentialsUpdatedAt != nil || !got.UpdatedAt.Equal(before[id].UpdatedAt) {
				t.Errorf("bucket %s after the backfill: credentialsUpdatedAt %v, updatedAt %v; want them unchanged (nil, %v)",
					id, got.CredentialsUpdatedAt, got.UpdatedAt, before[id].UpdatedAt)
			}
		}
		if got := mustGetBucket(t, c, kept.Id); got.SecretFingerprint == nil || *got.SecretFingerprint != *kept.SecretFingerprint {
			t.Errorf("the bucket that kept its fingerprint shows %v after the backfill, want %s", got.SecretFingerprint, *kept.SecretFingerprint)
		}

		again := mustRunBucketd(t, "", "keys", "rotate", "--database-url", dbURL, "--master-keys", ring, "--fingerprint-key", fingerprintKey)
		_, _ = b.cliLogs.Write([]byte(again.stderr))
		if !strings.Contains(again.stdout, "nothing to do") || strings.Contains(again.stdout, "fingerprint") {
			t.Errorf("a second keys rotate printed %q; want nothing to do", again.stdout)
		}
		b.wantNoSecretInKeysOutput(t, noKey.stdout, wrongKey.stdout, fill.stdout, again.stdout)
	})
}

// wantWithoutFingerprint checks that `keys status` counts n buckets without a secret
// fingerprint, in JSON and in its table, which then says to run `keys rotate` with the key.
func wantWithoutFingerprint(t *testing.T, b *backend, ring string, n int) {
	t.Helper()
	if got := b.keyStatus(t, ring); got.BucketsWithoutFingerprint != n {
		t.Errorf("keys status --json: bucketsWithoutFingerprint = %d, want %d", got.BucketsWithoutFingerprint, n)
	}
	table := mustRunBucketd(t, "", "keys", "status", "--database-url", b.dbURL, "--master-keys", ring)
	_, _ = b.cliLogs.Write([]byte(table.stderr))
	says := fmt.Sprintf("%d buckets have no secret fingerprint", n)
	if n > 0 && (!strings.Contains(table.stdout, says) || !strings.Contains(table.stdout, "keys rotate\" with the same key ring and the servers' fingerprint key")) {
		t.Errorf("keys status printed %q; want %q and to run keys rotate with the fingerprint key", table.stdout, says)
	}
	if n == 0 && strings.Contains(table.stdout, "fingerprint") {
		t.Errorf("keys status printed %q; want no word of fingerprints when none is missing", table.stdout)
	}
}

// forgetFingerprint makes a bucket look as migration 0005 left those stored before it: no
// secret fingerprint and no credentials time. The version stays: this is no write of bucketd.
func forgetFingerprint(t *testing.T, databaseURL, bucketID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
	defer cancel()
	res, err := openDB(t, databaseURL).ExecContext(ctx,
		"UPDATE buckets SET secret_fingerprint = NULL, credentials_updated_at = NULL WHERE id = $1", bucketID)
	if err != nil {
		t.Fatalf("clear the fingerprint of bucket %s: %v", bucketID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("clearing the fingerprint of bucket %s changed %d rows (%v), want 1", bucketID, n, err)
	}
}

// storedFingerprint reads a bucket's secret fingerprint from the database, "" for NULL: the only
// way to see a deleted bucket's.
func storedFingerprint(t *testing.T, databaseURL, bucketID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
	defer cancel()
	var fp sql.NullString
	if err := openDB(t, databaseURL).QueryRowContext(ctx, "SELECT secret_fingerprint FROM buckets WHERE id = $1", bucketID).Scan(&fp); err != nil {
		t.Fatalf("read the fingerprint of bucket %s: %v", bucketID, err)
	}
	return fp.String
}

// getIfLive reads a bucket through the API: a live one answers 200, a deleted one 404.
func getIfLive(t *testing.T, c *client.ClientWithResponses, id string) (api.Bucket, bool) {
	t.Helper()
	res := getBucket(t, c, id)
	switch {
	case res.StatusCode() == http.StatusNotFound:
		return api.Bucket{}, false
	case res.StatusCode() != http.StatusOK || res.JSON200 == nil:
		t.Fatalf("GET /bucket/%s answered %d %s, want 200 or 404", id, res.StatusCode(), res.Body)
	}
	return res.JSON200.Bucket, true
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

// twoMasterKeys returns two new master keys, k1 and k2, as entries of a ring, each recorded as
// a secret that no log and no output may show.
func (b *backend) twoMasterKeys() (k1, k2 string) {
	k1, k2 = "k1:"+randomBase64(32), "k2:"+randomBase64(32)
	b.secrets.Add("master key k1", strings.TrimPrefix(k1, "k1:"))
	b.secrets.Add("master key k2", strings.TrimPrefix(k2, "k2:"))
	return k1, k2
}

// wantNoSecretInKeysOutput checks that no secret of the test is in the keys commands' logs, the
// servers' logs, or outputs.
func (b *backend) wantNoSecretInKeysOutput(t *testing.T, outputs ...string) {
	t.Helper()
	logs := b.cliLogs.String() + strings.Join(outputs, "")
	for _, s := range b.servers {
		logs += s.Stderr.String()
	}
	for _, secret := range b.secrets.forms() {
		if strings.Contains(logs, secret.value) {
			t.Errorf("%s appears in a log or in the output of keys", secret.label)
		}
	}
}

// keyStatusOutput is what `bucketd keys status --json` prints.
type keyStatusOutput struct {
	ActiveKeyID                   string   `json:"activeKeyId"`
	Buckets                       int      `json:"buckets"`
	Credentials                   int      `json:"credentials"`
	ValuesToMove                  int      `json:"valuesToMove"`
	BucketsWithoutFingerprint     int      `json:"bucketsWithoutFingerprint"`
	CredentialsWithoutFingerprint int      `json:"credentialsWithoutFingerprint"`
	RemovableKeyIDs               []string `json:"removableKeyIds"`
	Keys                          []struct {
		KeyID       string `json:"keyId"`
		Active      bool   `json:"active"`
		InRing      bool   `json:"inRing"`
		Buckets     int    `json:"buckets"`
		Credentials int    `json:"credentials"`
		Values      int    `json:"values"`
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
