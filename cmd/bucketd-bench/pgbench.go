package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"
)

// pgbenchNamePrefix starts the name of every bucket row pgbench inserts, which tells its rows
// from bucketd's.
const pgbenchNamePrefix = "pgbench-"

// pgbench runs custom scripts on the bench database: the SQL bucketd sends for a create and for
// a read, without bucketd.
type pgbench struct {
	bin, dbURL, dir string
}

// createScript is the create's SQL as gormstore's InsertWithinQuota sends it on its first
// attempt: one autocommit statement that locks the organization's row, reading its live bucket
// count (which the buckets table's triggers keep, so the quota needs no count), and inserts the
// row if the quota has room and no live bucket has the name, with the audit event of its
// creation. Each client uses the organization of the connection with its number, as the load
// generator does. The ids are inlined as arrays, so the statement is the store's with no extra
// lookup. The names are lowercase ASCII, whose name key (domain.NameKey) is the name itself.
func createScript(orgs []org) string {
	orgIDs, workspaceIDs := make([]string, len(orgs)), make([]string, len(orgs))
	for i, o := range orgs {
		orgIDs[i], workspaceIDs[i] = o.OrgID, o.WorkspaceID
	}
	orgID, workspaceID := uuidAt(orgIDs, ":n"), uuidAt(workspaceIDs, ":n")
	name := "'" + pgbenchNamePrefix + "' || :client_id::text || '-' || :r::text"
	nameTaken := fmt.Sprintf("SELECT 1 FROM buckets WHERE org_id = %s AND name_key = %s AND deleted_at IS NULL", orgID, name)
	return fmt.Sprintf(`\set n :client_id %% %d + 1
\set r random(1, 1000000000000000)
WITH org AS (SELECT plan, bucket_limit, live_buckets FROM organizations WHERE id = %[2]s FOR UPDATE),
inserted AS (INSERT INTO buckets (id, org_id, workspace_id, name, bucket, storage_type, region, endpoint, key_hint,
    sealed_key, sealed_secret, status, last_status_at, created_at, updated_at, deleted_at, version,
    secret_fingerprint, secret_version, credentials_updated_at, name_key)
  SELECT gen_random_uuid(), %[2]s, %[4]s, %[3]s, :bucket, 'S3', :region, :endpoint, :key_hint,
    :sealed_key, :sealed_secret, 'ONLINE', now(), now(), now(), NULL, 1, :fingerprint, 1, now(), %[3]s
  FROM org WHERE org.live_buckets < %[6]s AND NOT EXISTS (%[5]s) RETURNING id),
audited AS (INSERT INTO audit_events (id, at, org_id, user_id, action, bucket_id, outcome, request_id)
  SELECT gen_random_uuid()::text, now(), %[2]s::text, 'pgbench', 'create', id::text, 'ok', 'pgbench' FROM inserted)
SELECT plan, bucket_limit, live_buckets, EXISTS (SELECT 1 FROM inserted), EXISTS (%[5]s) FROM org;
`, len(orgs), orgID, name, workspaceID, nameTaken, gormstore.EffectiveLimitSQL("org."))
}

// createVars are the values of the template row the create script inserts.
func createVars(t bucketTemplate) map[string]string {
	return map[string]string{
		"bucket": t.bucket, "region": t.region, "endpoint": t.endpoint, "key_hint": t.keyHint,
		"fingerprint": t.fingerprint,
		"sealed_key":  `\x` + hex.EncodeToString(t.sealedKey), "sealed_secret": `\x` + hex.EncodeToString(t.sealedSecret),
	}
}

// selectScript is GET /bucket/{id}'s read of one live bucket of the organization, of a random
// one of ids.
func selectScript(list org, ids []string) string {
	return fmt.Sprintf(`\set n random(1, %d)
SELECT * FROM buckets WHERE id = %s AND org_id = %s AND deleted_at IS NULL LIMIT 1;
`, len(ids), uuidAt(ids, ":n"), sqlString(list.OrgID)+"::uuid")
}

// uuidAt is the SQL for the uuid at the 1-based index variable of an inlined array.
func uuidAt(ids []string, index string) string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = sqlString(id)
	}
	return "(ARRAY[" + strings.Join(quoted, ",") + "]::uuid[])[" + index + "]"
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// exec runs pgbench with args on the bench database and returns what it printed on stdout.
func (p pgbench) exec(ctx context.Context, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, p.bin, append(args, p.dbURL)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pgbench %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes(), nil
}

func wholeSeconds(d time.Duration) string { return strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))) }

// warmTransactions is how many transactions each connection of a pgbench run finishes before
// the run's warm window opens: PostgreSQL plans a prepared statement afresh for each of its first
// five executions before it settles on a plan.
const warmTransactions = 5

// errNotWarm says a pgbench run ended before every connection had finished warmTransactions.
var errNotWarm = errors.New("pgbench's connections were not all warm before the run ended")

// collect reads a run's summary and every thread's log file, then removes the logs. It returns
// the outcome of the run's warm window and when that opened. The window opens once every
// connection has finished warmTransactions transactions and closes at the run's last; the
// outcome holds the transactions finished within it, so its throughput is that of warm
// connections, as the load generator's keep-alive connections are warm before it measures.
func (p pgbench) collect(stdout []byte, prefix string) (outcome, time.Time, error) {
	files, err := filepath.Glob(prefix + ".*")
	if err != nil || len(files) == 0 {
		return outcome{}, time.Time{}, fmt.Errorf("pgbench wrote no log %s.*", prefix)
	}
	var all []transaction
	logged := 0
	for _, f := range files {
		t, n, err := readPgbenchLog(f)
		if err != nil {
			return outcome{}, time.Time{}, err
		}
		all, logged = append(all, t...), logged+n
		_ = os.Remove(f)
	}
	o, warmAt, err := warmWindow(all)
	if err != nil {
		return outcome{}, time.Time{}, err
	}
	failed, err := parsePgbenchSummary(stdout)
	o.failures = map[string]int{"failed transactions": max(failed, logged)}
	return o, warmAt, err
}

// transaction is a line of pgbench's per-transaction log.
type transaction struct {
	client  int
	latency time.Duration
	// done is when it finished.
	done time.Time
}

// warmWindow is the outcome of the transactions that finished after every client had finished
// warmTransactions, and when that was; errNotWarm when a client never got so far.
func warmWindow(all []transaction) (outcome, time.Time, error) {
	slices.SortFunc(all, func(a, b transaction) int { return a.done.Compare(b.done) })
	finished := map[int]int{}
	var warmAt time.Time
	for _, t := range all {
		finished[t.client]++
		if finished[t.client] == warmTransactions {
			warmAt = t.done
		}
	}
	if len(finished) == 0 {
		return outcome{}, time.Time{}, errNotWarm
	}
	for _, n := range finished {
		if n < warmTransactions {
			return outcome{}, time.Time{}, errNotWarm
		}
	}
	o := outcome{elapsed: all[len(all)-1].done.Sub(warmAt)}
	for _, t := range all {
		if t.done.After(warmAt) {
			o.latencies = append(o.latencies, t.latency)
		}
	}
	return o, warmAt, nil
}

var (
	tpsLine    = regexp.MustCompile(`(?m)^tps = [0-9.]+`)
	failedLine = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
)

// parsePgbenchSummary reads the number of failed transactions from pgbench's summary, which
// must be a finished run's (with its tps line); releases before 15 print no failures line, and
// count none.
func parsePgbenchSummary(stdout []byte) (failed int, err error) {
	if !tpsLine.Match(stdout) {
		return 0, fmt.Errorf("pgbench printed no tps line:\n%s", stdout)
	}
	if m := failedLine.FindSubmatch(stdout); m != nil {
		failed, _ = strconv.Atoi(string(m[1])) // the pattern admits digits only
	}
	return failed, nil
}

func readPgbenchLog(path string) ([]transaction, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = f.Close() }() // read only
	t, failed, err := parsePgbenchLog(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return t, failed, nil
}

// parsePgbenchLog reads a per-transaction log (pgbench -l): one line per transaction,
// "client_id transaction_no time script_no time_epoch time_us [schedule_lag] [retries]", where
// time is the latency in microseconds, or "failed" or "skipped", and time_epoch and time_us
// when it finished (Unix seconds and microseconds).
func parsePgbenchLog(r io.Reader) (done []transaction, failed int, err error) {
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			return nil, 0, fmt.Errorf("line %d: %d fields, want at least 6", line, len(fields))
		}
		switch fields[2] {
		case "failed", "skipped":
			failed++
			continue
		}
		var n [4]int64
		for i, field := range []string{fields[0], fields[2], fields[4], fields[5]} {
			if n[i], err = strconv.ParseInt(field, 10, 64); err != nil || n[i] < 0 {
				return nil, 0, fmt.Errorf("line %d: %q is not a count", line, field)
			}
		}
		done = append(done, transaction{client: int(n[0]), latency: time.Duration(n[1]) * time.Microsecond,
			done: time.Unix(n[2], n[3]*int64(time.Microsecond))})
	}
	return done, failed, sc.Err()
}
