package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// collect reads a measured run's summary and every thread's log file, then removes the logs.
func (p pgbench) collect(stdout []byte, prefix string) (outcome, error) {
	tps, failed, err := parsePgbenchSummary(stdout)
	if err != nil {
		return outcome{}, err
	}
	files, err := filepath.Glob(prefix + ".*")
	if err != nil || len(files) == 0 {
		return outcome{}, fmt.Errorf("pgbench wrote no log %s.*", prefix)
	}
	var latencies []time.Duration
	logged := 0
	for _, f := range files {
		l, n, err := readPgbenchLog(f)
		if err != nil {
			return outcome{}, err
		}
		latencies, logged = append(latencies, l...), logged+n
		_ = os.Remove(f)
	}
	failed = max(failed, logged)
	// pgbench's own time excludes opening the connections, as the load generator's keep-alive
	// connections are open before it measures.
	elapsed := time.Duration(float64(len(latencies)) / tps * float64(time.Second))
	return outcome{latencies: latencies, elapsed: elapsed, failures: map[string]int{"failed transactions": failed}}, nil
}

var (
	tpsLine    = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
	failedLine = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
)

// parsePgbenchSummary reads the tps and the number of failed transactions from pgbench's
// summary; releases before 15 print no failures line, and count none.
func parsePgbenchSummary(stdout []byte) (tps float64, failed int, err error) {
	m := tpsLine.FindSubmatch(stdout)
	if m == nil {
		return 0, 0, fmt.Errorf("pgbench printed no tps line:\n%s", stdout)
	}
	if tps, err = strconv.ParseFloat(string(m[1]), 64); err != nil || tps <= 0 {
		return 0, 0, fmt.Errorf("pgbench printed tps %q, want a positive number", m[1])
	}
	if m := failedLine.FindSubmatch(stdout); m != nil {
		failed, _ = strconv.Atoi(string(m[1])) // the pattern admits digits only
	}
	return tps, failed, nil
}

func readPgbenchLog(path string) ([]time.Duration, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = f.Close() }() // read only
	l, failed, err := parsePgbenchLog(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return l, failed, nil
}

// parsePgbenchLog reads a per-transaction log (pgbench -l): one line per transaction,
// "client_id transaction_no time script_no time_epoch time_us [schedule_lag] [retries]", where
// time is the latency in microseconds, or "failed" or "skipped".
func parsePgbenchLog(r io.Reader) (latencies []time.Duration, failed int, err error) {
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
		us, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil || us < 0 {
			return nil, 0, fmt.Errorf("line %d: latency %q is not a number of microseconds", line, fields[2])
		}
		latencies = append(latencies, time.Duration(us)*time.Microsecond)
	}
	return latencies, failed, sc.Err()
}
