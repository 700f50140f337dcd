package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
// every endpoint and each of its baselines at each connection count has throughput in every
// round and no errors, the table shows every line, the stub saw the read-only validation's two
// requests per create, profiles were saved, and the bench's database is gone afterwards. (The
// run itself fails unless the Echo+pgx ceiling answers what bucketd answers.)
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

	baselines := map[string][]string{
		createEndpoint:         {createBaseline},
		readEndpoint:           {pgxEchoBaseline, readBaseline, fixedEchoBaseline},
		listEndpoint(listSize): {pgxEchoBaseline, fixedEchoBaseline},
	}
	var want []string
	for _, conns := range []int{1, goalConns} {
		for _, endpoint := range []string{createEndpoint, readEndpoint, listEndpoint(listSize)} {
			want = append(want, fmt.Sprintf("%s@%d", endpoint, conns))
		}
	}
	var got []string
	postgresCPU := 0.0
	for _, r := range res.Rows {
		got = append(got, fmt.Sprintf("%s@%d", r.Endpoint, r.Conns))
		if r.Bucketd.CPUPerRequestUs <= 0 {
			t.Errorf("%s at %d conns: bucketd CPU per request %.1f µs, want a positive figure", r.Endpoint, r.Conns, r.Bucketd.CPUPerRequestUs)
		}
		var names []string
		for _, c := range append([]baseline{{Name: "bucketd", Stats: r.Bucketd}}, r.Baselines...) {
			if c.Name != "bucketd" {
				names = append(names, c.Name)
			}
			name := r.Endpoint + ": " + c.Name
			checkCell(t, name, r.Conns, c.Stats, res.Rounds)
			if c.Stats.MachineCPUPerRequestUs <= 0 {
				t.Errorf("%s at %d conns: machine CPU per request %.1f µs, want a positive figure", name, r.Conns, c.Stats.MachineCPUPerRequestUs)
			}
			// Every request but the fixed-body handler's queries the database, here on this
			// machine. The kernel counts CPU in 10 ms ticks, which a short cell on a loaded
			// machine may not fill: one cell may read zero, the run as a whole may not.
			if c.Name != fixedEchoBaseline {
				if c.Stats.PostgresCPUPerRequestUs < 0 {
					t.Errorf("%s at %d conns: PostgreSQL CPU per request %.1f µs, want no negative figure", name, r.Conns, c.Stats.PostgresCPUPerRequestUs)
				}
				postgresCPU += c.Stats.PostgresCPUPerRequestUs
			}
			if ratio, found := r.ratio(c.Name); c.Name != "bucketd" && (!found || ratio <= 0) {
				t.Errorf("%s at %d conns: bucketd's ratio to it is %.2f (found %t), want a positive figure", name, r.Conns, ratio, found)
			}
		}
		if !slices.Equal(names, baselines[r.Endpoint]) {
			t.Errorf("%s at %d conns: baselines %v, want %v", r.Endpoint, r.Conns, names, baselines[r.Endpoint])
		}
		if line := fmt.Sprintf(namesFormat+" ", r.Endpoint, fmt.Sprint(r.Conns), "bucketd"); !strings.Contains(table, line) {
			t.Errorf("the table has no line starting %q:\n%s", line, table)
		}
		for _, b := range r.Baselines {
			line := fmt.Sprintf(namesFormat+" ", "", "", b.Name)
			ratio := fmt.Sprintf(" %6.2f\n", throughputRatio(r.Bucketd, b.Stats))
			if !containsLine(table, line, ratio) {
				t.Errorf("the table has no line starting %q and ending %q:\n%s", line, ratio, table)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if postgresCPU <= 0 {
		t.Error("PostgreSQL's CPU per request is zero in every cell: its counter reads nothing")
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

// containsLine reports whether text has a line that starts with prefix and ends with suffix,
// which ends with the line's newline.
func containsLine(text, prefix, suffix string) bool {
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix) && strings.HasSuffix(line, suffix) {
			return true
		}
	}
	return false
}

// checkCell wants throughput in each of the rounds, no errors and ordered percentiles. (Not
// read from the seconds measured: pgbench's count only its warm window, which a machine busy
// with other tests shortens without limit.)
func checkCell(t *testing.T, name string, conns int, s stats, rounds int) {
	t.Helper()
	low, median, high := s.spread()
	if s.Slices != rounds || len(s.SlicePerSecond) != rounds || !(0 < low && low <= median && median <= high) {
		t.Errorf("%s at %d conns: %d slices, per slice %v req/s (min %.1f, median %.1f, max %.1f); want %d slices, each with throughput",
			name, conns, s.Slices, s.SlicePerSecond, low, median, high, rounds)
	}
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
	done, failed, err := parsePgbenchLog(strings.NewReader(log))
	if err != nil {
		t.Fatalf("parsePgbenchLog: %v", err)
	}
	want := []transaction{
		{client: 0, latency: 10357 * time.Microsecond, done: time.Unix(1795741514, 525259000)},
		{client: 1, latency: 465 * time.Microsecond, done: time.Unix(1795741514, 515423000)},
		{client: 0, latency: 27 * time.Microsecond, done: time.Unix(1795741514, 527658000)},
	}
	if !slices.Equal(done, want) || failed != 1 {
		t.Errorf("parsePgbenchLog = %v, %d failed; want %v, 1 failed", done, failed, want)
	}
	for _, bad := range []string{"0 1 ten 0 1795741514 525259\n", "0 1 -5 0 1795741514 525259\n", "0 1 10357\n",
		"x 1 10357 0 1795741514 525259\n", "0 1 10357 0 1795741514 soon\n"} {
		if _, _, err := parsePgbenchLog(strings.NewReader(bad)); err == nil {
			t.Errorf("parsePgbenchLog(%q) succeeded, want an error", bad)
		}
	}
}

// The warm window opens when the last client finishes its warmTransactions-th transaction and
// holds only what finished after that.
func TestWarmWindowStartsWhenEveryClientIsWarm(t *testing.T) {
	start := time.Unix(1795741514, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	var all []transaction
	// Client 0 is warm at 50 ms, client 1 (slow to connect) at 500 ms; both go on until 1500 ms.
	for i := range warmTransactions {
		all = append(all, transaction{client: 0, latency: time.Millisecond, done: at(10 * (i + 1))},
			transaction{client: 1, latency: 100 * time.Millisecond, done: at(100 * (i + 1))})
	}
	for ms := 600; ms <= 1500; ms += 100 {
		all = append(all, transaction{client: 0, latency: 2 * time.Millisecond, done: at(ms)},
			transaction{client: 1, latency: 3 * time.Millisecond, done: at(ms + 50)})
	}
	// Client 0's transactions of 60 to 500 ms finish before the window too.
	all = append(all, transaction{client: 0, latency: time.Second, done: at(300)})
	o, warmAt, err := warmWindow(all)
	if err != nil {
		t.Fatal(err)
	}
	if !warmAt.Equal(at(500)) || o.elapsed != time.Second+50*time.Millisecond || len(o.latencies) != 20 {
		t.Errorf("window from %v for %v with %d transactions; want from %v for 1.05s with 20", warmAt.Sub(start), o.elapsed, len(o.latencies), 500*time.Millisecond)
	}
	if slices.Contains(o.latencies, time.Second) || slices.Contains(o.latencies, 100*time.Millisecond) {
		t.Errorf("the window holds a transaction that finished before it: %v", o.latencies)
	}
	// A client that never finished warmTransactions leaves no warm window.
	if _, _, err := warmWindow(append(all, transaction{client: 2, done: at(1600)})); !errors.Is(err, errNotWarm) {
		t.Errorf("warmWindow with a cold client: %v, want errNotWarm", err)
	}
	if _, _, err := warmWindow(nil); !errors.Is(err, errNotWarm) {
		t.Errorf("warmWindow of no transactions: %v, want errNotWarm", err)
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
	if failed, err := parsePgbenchSummary([]byte(summary)); err != nil || failed != 3 {
		t.Errorf("parsePgbenchSummary = %d, %v; want 3, nil", failed, err)
	}
	if _, err := parsePgbenchSummary([]byte("pgbench: error: connection failed\n")); err == nil {
		t.Error("parsePgbenchSummary without a tps line succeeded, want an error")
	}
}

func TestOutcomeAddKeepsEverySlice(t *testing.T) {
	o := outcome{failures: map[string]int{"HTTP 500": 1}}
	o.add(outcome{latencies: []time.Duration{3, 1}, elapsed: time.Second, failures: map[string]int{"HTTP 500": 2}, example: "first"})
	o.add(outcome{latencies: []time.Duration{2}, elapsed: 2 * time.Second, failures: map[string]int{"transport error": 1}, example: "second"})
	want := outcome{latencies: []time.Duration{3, 1, 2}, elapsed: 3 * time.Second,
		failures: map[string]int{"HTTP 500": 3, "transport error": 1}, example: "first", slices: 2, perSecond: []float64{2, 0.5}}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("added outcome = %+v, want %+v", o, want)
	}
	if s := o.stats(); s.Slices != 2 || !slices.Equal(s.SlicePerSecond, want.perSecond) || s.PerSecond != 1 {
		t.Errorf("stats of two slices say %d slices of %v req/s, %v req/s in all; want 2 of %v, 1 in all", s.Slices, s.SlicePerSecond, s.PerSecond, want.perSecond)
	}
}

func TestSpreadIsMinMedianMax(t *testing.T) {
	for _, c := range []struct {
		perSlice          []float64
		low, median, high float64
	}{
		{nil, 0, 0, 0},
		{[]float64{5}, 5, 5, 5},
		{[]float64{30, 10, 20}, 10, 20, 30},
		{[]float64{40, 10, 30, 20}, 10, 25, 40},
	} {
		low, median, high := stats{SlicePerSecond: c.perSlice}.spread()
		if low != c.low || median != c.median || high != c.high {
			t.Errorf("spread of %v = %v, %v, %v; want %v, %v, %v", c.perSlice, low, median, high, c.low, c.median, c.high)
		}
	}
}

// The table has a line per side, bucketd's first, with its spread across slices, and bucketd's
// ratio to each baseline on the baseline's line; the goals read the ratios to the baselines
// they name.
func TestTableShowsEverySideWithSpreadAndRatio(t *testing.T) {
	cellOf := func(perSlice ...float64) stats {
		s := stats{Slices: len(perSlice), SlicePerSecond: perSlice, P50Ms: 1, P99Ms: 2, MaxMs: 3}
		for _, v := range perSlice {
			s.PerSecond += v / float64(len(perSlice))
		}
		return s
	}
	res := results{ListPageSize: listSize, Rows: []row{
		{Endpoint: createEndpoint, Conns: goalConns, Bucketd: cellOf(600, 700, 800),
			Baselines: []baseline{{createBaseline, cellOf(1000, 1000, 1000)}}},
		{Endpoint: readEndpoint, Conns: goalConns, Bucketd: cellOf(4000, 4000, 4000), Baselines: []baseline{
			{pgxEchoBaseline, cellOf(4000, 5000, 6000)}, {readBaseline, cellOf(40000, 40000, 40000)},
			{fixedEchoBaseline, cellOf(20000, 20000, 20000)}}},
		{Endpoint: listEndpoint(listSize), Conns: goalConns, Bucketd: cellOf(900, 1000, 1100), Baselines: []baseline{
			{pgxEchoBaseline, cellOf(2500, 2500, 2500)}, {fixedEchoBaseline, cellOf(10000, 10000, 10000)}}},
	}}
	var out bytes.Buffer
	printTable(&out, config{duration: 6 * time.Second, rounds: 3}, res)
	table := out.String()
	for _, line := range []string{
		"POST /bucket          16  bucketd              700.0     600.0     700.0     800.0     1.00     2.00     3.00      0       \n",
		"                          pgbench create      1000.0    1000.0    1000.0    1000.0     1.00     2.00     3.00      0   0.70\n",
		"GET /bucket/{id}      16  bucketd             4000.0    4000.0    4000.0    4000.0     1.00     2.00     3.00      0       \n",
		"                          Echo+pgx            5000.0    4000.0    5000.0    6000.0     1.00     2.00     3.00      0   0.80\n",
		"                          pgbench select     40000.0   40000.0   40000.0   40000.0     1.00     2.00     3.00      0   0.10\n",
		"                          Echo, fixed body   20000.0   20000.0   20000.0   20000.0     1.00     2.00     3.00      0   0.20\n",
		"                          Echo+pgx            2500.0    2500.0    2500.0    2500.0     1.00     2.00     3.00      0   0.40\n",
		"  POST /bucket req/s at 16 conns >= 60% of pgbench create      0.70  met\n",
		"  GET /bucket/{id} req/s at 16 conns >= 80% of Echo+pgx        0.80  met\n",
		"  GET /bucket (100) req/s at 16 conns >= 50% of Echo+pgx       0.40  MISSED\n",
	} {
		if !strings.Contains(table, line) {
			t.Errorf("the table has no line %q:\n%s", line, table)
		}
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

// A window's CPU time is read from the samples around each of its ends, as if spent evenly
// between them; ends outside the samples count as the first or the last.
func TestCPUSamplerReadsAWindowBetweenSamples(t *testing.T) {
	start := time.Unix(1795741514, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	split := func(ms int) cpuSplit {
		d := time.Duration(ms) * time.Millisecond
		return cpuSplit{machine: 2 * d, bench: d / 10, bucketd: d / 2, postgres: d}
	}
	s := &cpuSampler{samples: []cpuSample{{at(0), split(0)}, {at(100), split(100)}, {at(200), split(300)}}}
	for _, c := range []struct {
		name string
		w    window
		want cpuSplit
	}{
		{"the whole sampled time", window{at(0), at(200)}, split(300)},
		{"from a quarter of the first interval to half the second", window{at(25), at(150)}, split(200 - 25)},
		{"beyond both ends", window{at(-50), at(400)}, split(300)},
		{"an empty window", window{at(150), at(150)}, split(0)},
	} {
		if got := s.between(c.w); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
