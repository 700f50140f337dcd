package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/storetest"
)

// TestMain lets the test binary play the Echo baseline's child process, as the bench binary does.
func TestMain(m *testing.M) {
	if ran, err := runChild(); ran {
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBenchMeasuresEveryCell runs the whole program with very short cells against PostgreSQL:
// every endpoint and baseline at each connection count has throughput and no errors, the table
// shows every row, the stub saw the read-only validation's two requests per create, profiles
// were saved, and the bench's database is gone afterwards.
func TestBenchMeasuresEveryCell(t *testing.T) {
	dsn := postgresDSN(t)
	jsonPath, pprofDir := filepath.Join(t.TempDir(), "results.json"), t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"--database-url", dsn, "--duration", "300ms", "--warmup", "100ms",
		"--conns", fmt.Sprintf("1,%d", goalConns), "--rounds", "2", "--pprof-dir", pprofDir, "--json", jsonPath}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	res := readResults(t, jsonPath)
	table := stdout.String()

	var want []string
	for _, conns := range []int{1, goalConns} {
		for _, endpoint := range []string{createEndpoint, readEndpoint, fmt.Sprintf("GET /bucket (%d)", listSize)} {
			want = append(want, fmt.Sprintf("%s@%d", endpoint, conns))
		}
	}
	var got []string
	postgresCPU := 0.0
	for _, r := range res.Rows {
		got = append(got, fmt.Sprintf("%s@%d", r.Endpoint, r.Conns))
		checkCell(t, r.Endpoint, r.Conns, r.Bucketd)
		if r.Bucketd.CPUPerRequestUs <= 0 {
			t.Errorf("%s at %d conns: bucketd CPU per request %.1f µs, want a positive figure", r.Endpoint, r.Conns, r.Bucketd.CPUPerRequestUs)
		}
		checkCell(t, r.Baseline, r.Conns, r.BaselineStats)
		for name, s := range map[string]stats{r.Endpoint: r.Bucketd, r.Baseline: r.BaselineStats} {
			if s.MachineCPUPerRequestUs <= 0 {
				t.Errorf("%s at %d conns: machine CPU per request %.1f µs, want a positive figure", name, r.Conns, s.MachineCPUPerRequestUs)
			}
			// Every request of bucketd and pgbench queries the database, here on this machine.
			// The kernel counts CPU in 10 ms ticks, which a short cell on a loaded machine may
			// not fill: one cell may read zero, the run as a whole may not.
			if name != bareEchoBaseline {
				if s.PostgresCPUPerRequestUs < 0 {
					t.Errorf("%s at %d conns: PostgreSQL CPU per request %.1f µs, want no negative figure", name, r.Conns, s.PostgresCPUPerRequestUs)
				}
				postgresCPU += s.PostgresCPUPerRequestUs
			}
		}
		// Every side of a row is measured in each round. (Not read from the seconds measured:
		// pgbench leaves out the time it takes to open its connections, which a machine busy
		// with other tests stretches without limit.)
		for name, s := range map[string]stats{r.Endpoint: r.Bucketd, r.Baseline: r.BaselineStats} {
			if s.Slices != res.Rounds || s.Seconds <= 0 {
				t.Errorf("%s at %d conns: %d slices measuring %.2f s, want %d slices and some time", name, r.Conns, s.Slices, s.Seconds, res.Rounds)
			}
		}
		switch {
		case r.Endpoint == readEndpoint && r.Ceiling == nil:
			t.Errorf("%s at %d conns: no ceiling measured", r.Endpoint, r.Conns)
		case r.Endpoint == readEndpoint:
			checkCell(t, r.Endpoint+"'s ceiling", r.Conns, *r.Ceiling)
		case r.Ceiling != nil:
			t.Errorf("%s at %d conns: a ceiling %+v, want none (its baseline is an HTTP server or has no body)", r.Endpoint, r.Conns, *r.Ceiling)
		}
		if line := fmt.Sprintf(namesFormat+" | ", r.Endpoint, fmt.Sprint(r.Conns)); !strings.Contains(table, line) {
			t.Errorf("the table has no row starting %q:\n%s", line, table)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if postgresCPU <= 0 {
		t.Error("PostgreSQL's CPU per request is zero in every cell: its counter reads nothing")
	}
	for _, text := range []string{"ceiling of " + readEndpoint + ", a bare Echo handler answering its body: 1 conns ",
		"(a bare Echo handler answering the same body reaches "} {
		if !strings.Contains(table, text) {
			t.Errorf("the table does not say %q:\n%s", text, table)
		}
	}
	if want := map[string]float64{opHead: 1, opList: 1}; !maps.Equal(res.Validation, want) {
		t.Errorf("S3 validation requests per create = %v, want %v", res.Validation, want)
	}
	if !res.PostgresMeasured || !strings.Contains(table, "+ PostgreSQL + the rest") {
		t.Errorf("PostgreSQL's CPU is not split out of the machine's (measured %v):\n%s", res.PostgresMeasured, table)
	}
	if res.Rounds != 2 {
		t.Errorf("rounds = %d, want 2", res.Rounds)
	}
	if res.ListPageSize != listSize {
		t.Errorf("GET /bucket answered %d buckets, want %d", res.ListPageSize, listSize)
	}
	if len(res.PeakRSS) != 2 {
		t.Errorf("peak RSS = %+v, want one per connection level", res.PeakRSS)
	}
	for _, l := range res.PeakRSS {
		// /proc computes VmHWM as at least the resident set it reports beside it.
		if l.FileBytes <= 0 || l.AnonBytes <= 0 || l.Bytes < l.FileBytes+l.AnonBytes {
			t.Errorf("RSS at %d conns: peak %d, file %d, anonymous %d bytes; want positive parts, together not above the peak",
				l.Conns, l.Bytes, l.FileBytes, l.AnonBytes)
		}
	}
	if res.RowBytes.Bucketd <= 0 || res.RowBytes.Pgbench <= 0 {
		t.Errorf("row sizes = %+v, want rows of bucketd and of pgbench", res.RowBytes)
	}
	checkProfiles(t, pprofDir, res.Profiles)
	if exists := databaseExists(t, dsn, res.Database); !strings.HasPrefix(res.Database, databasePrefix) || exists {
		t.Errorf("bench database %q exists after the run: %t; want a %s* database, dropped", res.Database, exists, databasePrefix)
	}
}

// checkCell wants throughput, no errors and ordered percentiles.
func checkCell(t *testing.T, name string, conns int, s stats) {
	t.Helper()
	if s.Requests == 0 || s.PerSecond <= 0 || s.Errors != 0 {
		t.Errorf("%s at %d conns: %d requests, %.1f/s, %d errors (%s); want throughput and no errors",
			name, conns, s.Requests, s.PerSecond, s.Errors, s.ErrorExample)
	}
	if !(0 < s.P50Ms && s.P50Ms <= s.P99Ms && s.P99Ms <= s.MaxMs) {
		t.Errorf("%s at %d conns: p50 %.3f, p99 %.3f, max %.3f ms; want 0 < p50 <= p99 <= max", name, conns, s.P50Ms, s.P99Ms, s.MaxMs)
	}
}

// checkProfiles wants a CPU and a heap profile of each endpoint at goalConns, each a gzipped
// pprof file.
func checkProfiles(t *testing.T, dir string, saved []string) {
	t.Helper()
	var want []string
	for _, slug := range []string{"post", "get", "list"} {
		for _, kind := range []string{"cpu", "heap"} {
			want = append(want, filepath.Join(dir, fmt.Sprintf("%s-%d-%s.pprof", slug, goalConns, kind)))
		}
	}
	if !slices.Equal(saved, want) {
		t.Errorf("profiles %v, want %v", saved, want)
	}
	for _, path := range want {
		b, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			t.Errorf("%s: %v; want a gzipped profile", path, err)
		}
	}
}

func readResults(t *testing.T, path string) results {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read --json output: %v", err)
	}
	var res results
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("decode --json output: %v", err)
	}
	return res
}

// postgresDSN is the server the PostgreSQL tests of the repository use. Without it the test is
// skipped, except on CI, where it fails, as storetest's tests do.
func postgresDSN(t *testing.T) string {
	dsn := os.Getenv(storetest.PostgresDSNEnv)
	if dsn == "" {
		msg := "PostgreSQL tests NOT run: set " + storetest.PostgresDSNEnv + "=postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI must provide PostgreSQL)")
		}
		t.Skip(msg)
	}
	return dsn
}

func databaseExists(t *testing.T, dsn, name string) bool {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", storetest.PostgresDSNEnv, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
	defer cancel()
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatalf("look for database %s: %v", name, err)
	}
	return exists
}

func TestPercentileIsNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, c := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one value", []time.Duration{7}, 99, 7},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"max of 1..100", hundred, 100, 100 * time.Millisecond},
		{"p99 of 10 values is the largest", hundred[:10], 99, 10 * time.Millisecond},
		{"p50 of 3 values is the middle one", []time.Duration{1, 2, 3}, 50, 2},
		{"p0 is the smallest", hundred, 0, time.Millisecond},
	} {
		if got := percentile(c.sorted, c.p); got != c.want {
			t.Errorf("%s: percentile(%v) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
}

func TestSummarizeSortsAndCountsFailures(t *testing.T) {
	latencies := []time.Duration{4 * time.Millisecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond}
	s := summarize(latencies, 2*time.Second, map[string]int{"HTTP 500": 2, "transport error": 1, "failed transactions": 0}, "HTTP 500: boom")
	want := stats{Requests: 4, Seconds: 2, PerSecond: 2, P50Ms: 2, P99Ms: 4, MaxMs: 4, Errors: 3,
		Failures: map[string]int{"HTTP 500": 2, "transport error": 1}, ErrorExample: "HTTP 500: boom"}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("summarize = %+v, want %+v", s, want)
	}
}

func TestParsePgbenchLog(t *testing.T) {
	log := "0 1 10357 0 1795741514 525259\n" +
		"1 1 465 0 1795741514 515423\n" +
		"1 2 failed 0 1795741514 515469\n" +
		"0 2 27 0 1795741514 527658 12 0\n"
	latencies, failed, err := parsePgbenchLog(strings.NewReader(log))
	if err != nil {
		t.Fatalf("parsePgbenchLog: %v", err)
	}
	want := []time.Duration{10357 * time.Microsecond, 465 * time.Microsecond, 27 * time.Microsecond}
	if !slices.Equal(latencies, want) || failed != 1 {
		t.Errorf("parsePgbenchLog = %v, %d failed; want %v, 1 failed", latencies, failed, want)
	}
	for _, bad := range []string{"0 1 ten 0 1795741514 525259\n", "0 1 -5 0 1795741514 525259\n", "0 1 10357\n"} {
		if _, _, err := parsePgbenchLog(strings.NewReader(bad)); err == nil {
			t.Errorf("parsePgbenchLog(%q) succeeded, want an error", bad)
		}
	}
}

func TestParsePgbenchSummary(t *testing.T) {
	summary := `pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: create.sql
number of transactions actually processed: 19224
number of failed transactions: 3 (0.016%)
latency average = 0.102 ms
initial connection time = 20.060 ms
tps = 19538.590851 (without initial connection time)
`
	tps, failed, err := parsePgbenchSummary([]byte(summary))
	if err != nil || tps != 19538.590851 || failed != 3 {
		t.Errorf("parsePgbenchSummary = %v, %d, %v; want 19538.590851, 3, nil", tps, failed, err)
	}
	if _, _, err := parsePgbenchSummary([]byte("pgbench: error: connection failed\n")); err == nil {
		t.Error("parsePgbenchSummary without a tps line succeeded, want an error")
	}
}

func TestOutcomeAddKeepsEverySlice(t *testing.T) {
	o := outcome{failures: map[string]int{"HTTP 500": 1}}
	o.add(outcome{latencies: []time.Duration{3, 1}, elapsed: time.Second, failures: map[string]int{"HTTP 500": 2}, example: "first"})
	o.add(outcome{latencies: []time.Duration{2}, elapsed: 2 * time.Second, failures: map[string]int{"transport error": 1}, example: "second"})
	want := outcome{latencies: []time.Duration{3, 1, 2}, elapsed: 3 * time.Second,
		failures: map[string]int{"HTTP 500": 3, "transport error": 1}, example: "first", slices: 2}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("added outcome = %+v, want %+v", o, want)
	}
	if got := o.stats().Slices; got != 2 {
		t.Errorf("stats of two slices say %d slices", got)
	}
}

func TestRoundsMustBePositive(t *testing.T) {
	if _, err := parseConfig([]string{"--rounds", "0"}, io.Discard); err == nil {
		t.Error("parseConfig accepted --rounds 0")
	}
	cfg, err := parseConfig(nil, io.Discard)
	if err != nil || cfg.rounds != 3 {
		t.Errorf("default rounds = %d, %v; want 3", cfg.rounds, err)
	}
}

func TestParseConns(t *testing.T) {
	if got, err := parseConns("1, 16,64"); err != nil || !slices.Equal(got, []int{1, 16, 64}) {
		t.Errorf("parseConns(1, 16,64) = %v, %v; want [1 16 64]", got, err)
	}
	for _, bad := range []string{"", "0", "16,1", "4,4", "one"} {
		if _, err := parseConns(bad); err == nil {
			t.Errorf("parseConns(%q) succeeded, want an error", bad)
		}
	}
}

// cpuTime of this process grows by about the CPU time a busy loop burns. The loop runs until
// the kernel's own account of this process (getrusage) has grown by 300 ms, not for 300 ms of
// wall time, so a machine busy with other work slows the test down without failing it.
func TestCPUTimeCountsThisProcess(t *testing.T) {
	const burn = 300 * time.Millisecond
	for name, read := range map[string]func() (time.Duration, error){
		"cpuTime of this process": func() (time.Duration, error) { return cpuTime(os.Getpid()) },
		"machineBusy":             machineBusy,
	} {
		t.Run(name, func(t *testing.T) {
			before, err := read()
			if err != nil {
				t.Fatal(err)
			}
			start, startCPU := time.Now(), rusageCPU(t)
			for rusageCPU(t)-startCPU < burn {
			}
			wall := time.Since(start)
			after, err := read()
			if err != nil {
				t.Fatal(err)
			}
			// The machine's other work only adds to machineBusy, but no core can be busy for
			// longer than the wall time: the upper bound catches a wrong unit.
			ceiling := time.Duration(runtime.NumCPU())*wall + time.Second
			if used := after - before; used < burn*9/10 || used > ceiling {
				t.Errorf("a loop that burned %v of CPU (by getrusage, in %v) counted %v; want %v to %v", burn, wall, used, burn*9/10, ceiling)
			}
		})
	}
	if _, err := cpuTime(-1); err == nil {
		t.Error("cpuTime of no process succeeded; want an error")
	}
}

// rusageCPU is the user and system CPU time this process has used, by getrusage.
func rusageCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
