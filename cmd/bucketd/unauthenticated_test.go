package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// The defaults of --auth-failure-rate and --auth-failure-burst.
const (
	defaultAuthFailureRate  = 1
	defaultAuthFailureBurst = 20
)

// TestRefusedTokenFlood sends 10,000 requests with distinct bogus tokens from one address, each
// also claiming another address in X-Forwarded-For, over keep-alive connections, to a server
// with the default limits and no trusted proxy. Past the address's budget the requests are
// refused 429 before any token lookup; the audit trail gets one row per minute with the count
// of the refusals that were looked up; and the forwarded address is believed nowhere.
//
// Reproduce the figures: go test -race -count=1 -run TestRefusedTokenFlood -v ./cmd/bucketd/
func TestRefusedTokenFlood(t *testing.T) {
	const (
		requests = 10000
		workers  = 32
		spoofed  = "198.51.100.77"
	)
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		checker := contracttest.New(t)
		s := startServer(t, checker, "", "--addr", "127.0.0.1:0", "--database-url", dbURL,
			"--master-keys", masterKeyID+":"+randomBase64(32), "--fingerprint-key", randomBase64(32))

		transport := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: workers}
		defer transport.CloseIdleConnections()
		httpClient := &http.Client{Transport: transport, Timeout: requestTimeout}
		var (
			next            atomic.Int64
			refused, waited atomic.Int64
			failures        = make(chan error, workers)
			wg              sync.WaitGroup
		)
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for i := next.Add(1); i <= requests; i = next.Add(1) {
					status, err := floodRequest(t.Context(), httpClient, s.URL, fmt.Sprintf("bkd_flood_%d_%s", i, randomHex(8)), spoofed)
					switch {
					case err != nil:
						failures <- err
						return
					case status == http.StatusUnauthorized:
						refused.Add(1)
					case status == http.StatusTooManyRequests:
						waited.Add(1)
					default:
						failures <- fmt.Errorf("request %d answered %d, want 401 or 429", i, status)
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		close(failures)
		for err := range failures {
			t.Fatal(err)
		}

		// The budget admits the burst, then one refusal a second; the concurrent requests already
		// past the check when the budget ran out are looked up too.
		lookups := refused.Load()
		most := int64(defaultAuthFailureBurst + math.Ceil(elapsed.Seconds())*defaultAuthFailureRate + workers)
		if lookups > most || lookups+waited.Load() != requests {
			t.Errorf("%d refused after a lookup (401), %d refused before one (429); want at most %d lookups in %s",
				lookups, waited.Load(), most, elapsed.Round(time.Millisecond))
		}
		if got := scrapeMetrics(t, s.Client(t, checker, "")).Value(t, "bucketd_auth_failures_total"); got != float64(lookups) {
			t.Errorf("bucketd_auth_failures_total = %g, want %d: one per token looked up", got, lookups)
		}
		if err := s.Stop(); err != nil { // the last tally is recorded at shutdown
			t.Fatalf("%v\nstderr:\n%s", err, s.Stderr.String())
		}

		rows, counted := auditTally(t, dbURL)
		if most := int(elapsed/time.Minute) + 2; rows < 1 || rows > most {
			t.Errorf("%d audit rows for the flood, want 1 to %d: one per minute begun", rows, most)
		}
		if counted != lookups {
			t.Errorf("the audit rows count %d refusals, want the %d that were looked up", counted, lookups)
		}
		listed := 0
		for line := range strings.Lines(mustAuditURL(t, dbURL, "--system")) {
			var l auditLine
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("audit line %q is not JSON: %v", line, err)
			}
			if l.Action != "token_rejected" || l.ClientAddr != "127.0.0.1" || l.Outcome != "unauthenticated" || l.Count < 1 {
				t.Errorf("audit line %s, want a token_rejected tally from 127.0.0.1", line)
			}
			listed += l.Count
		}
		if int64(listed) != lookups {
			t.Errorf("bucketd admin audit --system lists %d refusals, want %d", listed, lookups)
		}
		wantRemotes(t, s.Stderr.String(), "127.0.0.1")
		if strings.Contains(s.Stderr.String(), spoofed) {
			t.Errorf("the address the client claimed in X-Forwarded-For, %s, reached the log", spoofed)
		}
		t.Logf("%d bogus tokens in %s over %d connections: %d looked up and refused 401, %d refused 429 before a lookup; "+
			"%d audit rows counting %d refusals", requests, elapsed.Round(time.Millisecond), workers, lookups, waited.Load(), rows, counted)
	})
}

// floodRequest sends GET /bucket with token, claiming to come from forwardedFor, and returns the
// status, having read the body so the connection is reused.
func floodRequest(ctx context.Context, c *http.Client, baseURL, token, forwardedFor string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/bucket", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Forwarded-For", forwardedFor)
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return res.StatusCode, err
}

// auditTally counts the token_rejected rows of the database and the refusals they count.
func auditTally(t *testing.T, dbURL string) (rows int, refusals int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
	defer cancel()
	err := openDB(t, dbURL).QueryRowContext(ctx,
		"SELECT count(*), coalesce(sum(count), 0) FROM audit_events WHERE action = 'token_rejected'").Scan(&rows, &refusals)
	if err != nil {
		t.Fatalf("count the audit rows of refused tokens: %v", err)
	}
	return rows, refusals
}

// mustAuditURL runs `bucketd admin audit args...` on the database at dbURL.
func mustAuditURL(t *testing.T, dbURL string, args ...string) string {
	t.Helper()
	return mustRunBucketd(t, "", append([]string{"admin", "audit", "--database-url", dbURL}, args...)...).stdout
}

// wantRemotes fails unless every access log line of log names one of the remotes, and each of
// them at least once.
func wantRemotes(t *testing.T, log string, remotes ...string) {
	t.Helper()
	seen := map[string]bool{}
	for line := range strings.Lines(log) {
		var rec struct{ Msg, Remote string }
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "http request" {
			continue
		}
		if !strings.Contains(" "+strings.Join(remotes, " ")+" ", " "+rec.Remote+" ") {
			t.Errorf("access log line names remote %q, want one of %v", rec.Remote, remotes)
			return
		}
		seen[rec.Remote] = true
	}
	for _, r := range remotes {
		if !seen[r] {
			t.Errorf("no access log line names remote %s", r)
		}
	}
}

// TestTrustedProxyNamesTheClient runs the binary behind a trusted proxy on loopback: the client
// X-Forwarded-For names is what the log, the budget of refused tokens and the audit trail see,
// and garbage in the header falls back to the proxy's own address.
func TestTrustedProxyNamesTheClient(t *testing.T) {
	dbURL := storetest.SQLiteURL(t)
	checker := contracttest.New(t)
	s := startServer(t, checker, "", "--addr", "127.0.0.1:0", "--database-url", dbURL,
		"--master-keys", masterKeyID+":"+randomBase64(32), "--fingerprint-key", randomBase64(32),
		"--trusted-proxies", "127.0.0.1", "--auth-failure-rate", "0.01", "--auth-failure-burst", "1")
	httpClient := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: requestTimeout}
	for _, step := range []struct {
		forwardedFor string
		want         int
	}{
		{"192.0.2.66, 198.51.100.1", http.StatusUnauthorized},
		{"198.51.100.1", http.StatusTooManyRequests}, // the same client: its budget is spent
		{"198.51.100.2", http.StatusUnauthorized},    // another client behind the proxy
		{"not-an-address", http.StatusUnauthorized},  // the proxy itself
		{"198.51.100.2", http.StatusTooManyRequests},
	} {
		status, err := floodRequest(t.Context(), httpClient, s.URL, "bkd_proxied_"+randomHex(8), step.forwardedFor)
		if err != nil || status != step.want {
			t.Fatalf("X-Forwarded-For %q answered %d, %v; want %d", step.forwardedFor, status, err, step.want)
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, s.Stderr.String())
	}
	counts := map[string]int{}
	for line := range strings.Lines(mustAuditURL(t, dbURL, "--system")) {
		var l auditLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("audit line %q is not JSON: %v", line, err)
		}
		counts[l.ClientAddr] += l.Count
	}
	if want := map[string]int{"198.51.100.1": 1, "198.51.100.2": 1, "127.0.0.1": 1}; !maps.Equal(counts, want) {
		t.Errorf("refusals audited per client = %v, want %v", counts, want)
	}
	wantRemotes(t, s.Stderr.String(), "198.51.100.1", "198.51.100.2", "127.0.0.1")
}

// TestAuditRetentionPurgesOldEvents starts the binary on a trail with events older and younger
// than --audit-retention: the purge at start-up deletes exactly the older ones.
func TestAuditRetentionPurgesOldEvents(t *testing.T) {
	dbURL := storetest.SQLiteURL(t)
	mustRunBucketd(t, "", "migrate", "--database-url", dbURL)
	now := time.Now().UTC().Truncate(time.Microsecond)
	db := openDB(t, dbURL)
	for id, age := range map[string]time.Duration{"old-1": 49 * time.Hour, "old-2": 25 * time.Hour, "young": 23 * time.Hour} {
		_, err := db.ExecContext(t.Context(), "INSERT INTO audit_events (id, at, org_id, user_id, action, bucket_id, outcome, request_id) "+
			"VALUES ($1, $2, '', '', 'key_rotation', '', 'ok', '')", id, now.Add(-age))
		if err != nil {
			t.Fatalf("insert audit event %s: %v", id, err)
		}
	}
	s := startServer(t, contracttest.New(t), "", "--addr", "127.0.0.1:0", "--database-url", dbURL,
		"--master-keys", masterKeyID+":"+randomBase64(32), "--fingerprint-key", randomBase64(32), "--audit-retention", "24h")
	for deadline := time.Now().Add(startTimeout); !strings.Contains(s.Stderr.String(), `"msg":"purged audit events past their retention","count":2`); {
		if time.Now().After(deadline) {
			t.Fatalf("no log line saying 2 audit events were purged within %s; stderr:\n%s", startTimeout, s.Stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	ids, err := queryStrings(t.Context(), db, "SELECT id FROM audit_events ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "young" {
		t.Errorf("audit events after the purge: %v, want only the one younger than the retention", ids)
	}
}

// TestBrowsersOfConfiguredOriginsMayCall runs the binary with --cors-origins: a page of a
// configured origin gets its preflight answered and may read answers, errors included; a page of
// any other origin gets no Access-Control-* header, so its browser keeps the answer from it.
func TestBrowsersOfConfiguredOriginsMayCall(t *testing.T) {
	const app, other = "http://localhost:5173", "https://elsewhere.example"
	s := startServer(t, contracttest.New(t), "", "--addr", "127.0.0.1:0", "--database-url", storetest.SQLiteURL(t),
		"--master-keys", masterKeyID+":"+randomBase64(32), "--fingerprint-key", randomBase64(32),
		"--cors-origins", "https://app.example.com,"+app)
	httpClient := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: requestTimeout}
	send := func(method, origin string, header ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, s.URL+"/bucket", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		return res
	}
	pre := send(http.MethodOptions, app, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
	if pre.StatusCode != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != app ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight from %s: %d %v, want 204 allowing it", app, pre.StatusCode, pre.Header)
	}
	refused := send(http.MethodGet, app, "Authorization", "Bearer bkd_not_a_token")
	if refused.StatusCode != http.StatusUnauthorized || refused.Header.Get("Access-Control-Allow-Origin") != app {
		t.Errorf("GET from %s with a wrong token: %d %v, want 401 the page can read", app, refused.StatusCode, refused.Header)
	}
	for _, res := range []*http.Response{
		send(http.MethodOptions, other, "Access-Control-Request-Method", "POST"),
		send(http.MethodGet, other, "Authorization", "Bearer bkd_not_a_token"),
	} {
		for k := range res.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s from %s answered %d with %s", res.Request.Method, other, res.StatusCode, k)
			}
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, s.Stderr.String())
	}
}
