package main

import (
	"bufio"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// machine says where the figures come from.
type machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	PostgreSQL string `json:"postgresql"`
	Pgbench    string `json:"pgbench"`
	// LoadAverage is /proc/loadavg when the run started: other work on the machine skews
	// every figure.
	LoadAverage string `json:"loadAverage"`
}

// loadAverage is the first three fields of /proc/loadavg, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(b)); err == nil && len(fields) >= 3 {
		return strings.Join(fields[:3], " ")
	}
	return "unknown"
}

// describeMachine collects the machine's description; what cannot be read is "unknown".
func describeMachine(ctx context.Context, db *benchDB, bucketdBin, pgbenchBin, load string) machine {
	m := machine{CPU: "unknown", Cores: runtime.NumCPU(), Kernel: "unknown", Go: "unknown", PostgreSQL: "unknown",
		Pgbench: "unknown", LoadAverage: load}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if name, value, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
				m.CPU = strings.TrimSpace(value)
				break
			}
		}
		_ = f.Close() // read only
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if info, err := buildinfo.ReadFile(bucketdBin); err == nil {
		m.Go = info.GoVersion
	}
	var version string
	if queryRow(ctx, db.url, "SHOW server_version", nil, &version) == nil {
		m.PostgreSQL = version
	}
	if out, err := exec.CommandContext(ctx, pgbenchBin, "--version").Output(); err == nil {
		m.Pgbench = strings.TrimSpace(string(out))
	}
	return m
}

const mib = 1 << 20

// The endpoints and their baselines, as the table names them.
const (
	createEndpoint = "POST /bucket"
	createBaseline = "pgbench create"
	readEndpoint   = "GET /bucket/{id}"
	readBaseline   = "pgbench select"
	// pgxEchoBaseline is the ceiling of a read: an Echo handler that selects what the endpoint
	// answers through a pgx pool and writes it as JSON, with nothing else (see routePgx).
	pgxEchoBaseline = "Echo+pgx"
	// fixedEchoBaseline answers an endpoint's constant body from a bare Echo handler: what
	// HTTP and Echo alone cost on this machine.
	fixedEchoBaseline = "Echo, fixed body"
)

// listEndpoint is GET /bucket's label, with the number of buckets its page holds.
func listEndpoint(pageSize int) string { return fmt.Sprintf("GET /bucket (%d)", pageSize) }

// The goals of issue 18 at goalConns connections, RSS at rssGoalConns: bucketd's throughput as a
// fraction of a baseline's, p99 latencies, peak RSS.
const (
	goalConns    = 16
	rssGoalConns = 64
	goalP99Ms    = 50.0
	goalRSSMiB   = 80.0
)

// ratioGoal is a goal on bucketd's throughput as a fraction of one of the row's baselines.
type ratioGoal struct {
	endpoint func(res results) string
	baseline string
	ratio    float64
}

var ratioGoals = []ratioGoal{
	{func(results) string { return createEndpoint }, createBaseline, 0.6},
	{func(results) string { return readEndpoint }, pgxEchoBaseline, 0.8},
	{func(res results) string { return listEndpoint(res.ListPageSize) }, pgxEchoBaseline, 0.5},
}

// The table's columns: a line's names, its cell's figures, bucketd's ratio to it.
const (
	namesFormat = "%-18s %5s  %-16s"
	cellFormat  = "%9s %9s %9s %9s %8s %8s %8s %6s"
	lineFormat  = namesFormat + " " + cellFormat + " %6s\n"
)

// printTable writes the run's table, then the figures that are not per cell, then the goals.
func printTable(w io.Writer, cfg config, res results) {
	m := res.Machine
	fmt.Fprintf(w, "bucketd-bench: %s per cell after a %s warm-up, in %d slices of %s taking turns with the row's other cells; all on this machine\n",
		cfg.duration, cfg.warmup, cfg.rounds, cfg.duration/time.Duration(cfg.rounds))
	fmt.Fprintf(w, "machine: %s, %d cores, %s, load average %s at the start; bucketd built with %s; PostgreSQL %s; %s\n",
		m.CPU, m.Cores, m.Kernel, m.LoadAverage, m.Go, m.PostgreSQL, m.Pgbench)
	fmt.Fprintln(w, "req/s: over all slices; min, median, max: of each slice's req/s; ratio: bucketd's req/s over the line's")
	fmt.Fprintln(w)
	fmt.Fprintf(w, lineFormat, "endpoint", "conns", "side", "req/s", "min", "median", "max", "p50 ms", "p99 ms", "max ms", "errors", "ratio")
	for _, r := range res.Rows {
		fmt.Fprintf(w, lineFormat, append(append([]any{r.Endpoint, strconv.Itoa(r.Conns), "bucketd"}, cell(r.Bucketd)...), "")...)
		for _, b := range r.Baselines {
			fmt.Fprintf(w, lineFormat, append(append([]any{"", "", b.Name}, cell(b.Stats)...),
				fmt.Sprintf("%.2f", throughputRatio(r.Bucketd, b.Stats)))...)
		}
	}
	fmt.Fprintln(w)
	printFacts(w, res)
	printErrors(w, res)
	fmt.Fprintln(w)
	printGoals(w, res)
	if len(res.Profiles) > 0 {
		fmt.Fprintf(w, "\nprofiles (go tool pprof -top FILE):\n  %s\n", strings.Join(res.Profiles, "\n  "))
	}
}

// cell is a cell's figures as the table's columns show them.
func cell(s stats) []any {
	low, median, high := s.spread()
	return []any{fmt.Sprintf("%.1f", s.PerSecond), fmt.Sprintf("%.1f", low), fmt.Sprintf("%.1f", median), fmt.Sprintf("%.1f", high),
		fmt.Sprintf("%.2f", s.P50Ms), fmt.Sprintf("%.2f", s.P99Ms), fmt.Sprintf("%.2f", s.MaxMs), strconv.Itoa(s.Errors)}
}

// printFacts writes what is measured once per run rather than per cell.
func printFacts(w io.Writer, res results) {
	var rss, split []string
	for _, l := range res.PeakRSS {
		rss = append(rss, fmt.Sprintf("%d conns %.1f MiB", l.Conns, float64(l.Bytes)/mib))
		split = append(split, fmt.Sprintf("%d conns %.1f + %.1f MiB", l.Conns, float64(l.FileBytes)/mib, float64(l.AnonBytes)/mib))
	}
	note := "peak of each connection level"
	if !res.PeakRSSPerLevel {
		note = "peak since start: the kernel refused to reset it between levels"
	}
	fmt.Fprintf(w, "bucketd peak RSS (VmHWM, %s): %s; overall %.1f MiB\n", note, strings.Join(rss, ", "), float64(overallRSS(res))/mib)
	fmt.Fprintf(w, "bucketd RSS at the end of each level, file-backed (the binary's pages) + anonymous (heap, stacks, runtime): %s\n",
		strings.Join(split, ", "))

	var cpu []string
	for _, r := range res.Rows {
		if r.Bucketd.CPUPerRequestUs > 0 {
			cpu = append(cpu, fmt.Sprintf("%s at %d %.0f", r.Endpoint, r.Conns, r.Bucketd.CPUPerRequestUs))
		}
	}
	fmt.Fprintf(w, "bucketd CPU per request (µs, user + system, every thread): %s\n", strings.Join(cpu, ", "))
	printMachineCPU(w, res)

	var perOp []string
	total := 0.0
	for _, op := range slices.Sorted(maps.Keys(res.Validation)) {
		perOp = append(perOp, fmt.Sprintf("%s %.2f", op, res.Validation[op]))
		total += res.Validation[op]
	}
	fmt.Fprintf(w, "S3 validation requests per create (stub, %d seeding creates): %s; %.2f in all\n",
		listSize, strings.Join(perOp, ", "), total)
	fmt.Fprintf(w, "GET /bucket answered %d of the organization's %d buckets in its default page\n", res.ListPageSize, listSize)
	fmt.Fprintf(w, "bucket row size (avg pg_column_size): bucketd %.0f B, pgbench create %.0f B\n",
		res.RowBytes.Bucketd, res.RowBytes.Pgbench)
	fmt.Fprintf(w, "pgbench: -M prepared, -j min(conns,2); a run per slice, counted from when each of its connections has finished %d transactions (its warm window)\n",
		warmTransactions)
	fmt.Fprintln(w, "Echo+pgx: pgxpool's default pool; bucketd's answer, checked equal before the run; no authentication, validation or logging")
	if len(res.LogProblems) == 0 {
		fmt.Fprintln(w, "bucketd log: no WARN or ERROR line")
	} else {
		var problems []string
		for _, p := range slices.Sorted(maps.Keys(res.LogProblems)) {
			problems = append(problems, fmt.Sprintf("%d× %s", res.LogProblems[p], p))
		}
		fmt.Fprintf(w, "bucketd log: %s\n", strings.Join(problems, "; "))
	}
}

// printMachineCPU writes what a request of each cell cost the whole machine (the busy time of
// every core, whoever for, per request) and how that splits between bucketd, the bench's own
// process (load generator and S3 stub), PostgreSQL when it runs on this machine, and the rest
// (pgbench or the Echo baselines, the kernel). A cell of bucketd can reach a ratio of its
// baseline only as large as the baseline's cost over its own.
func printMachineCPU(w io.Writer, res results) {
	parts, rest := "bucketd + bench process (load generator, S3 stub)", "the rest (PostgreSQL, pgbench or the Echo baselines, the kernel)"
	if res.PostgresMeasured {
		parts += " + PostgreSQL"
		rest = "the rest (pgbench or the Echo baselines, the kernel)"
	}
	fmt.Fprintf(w, "machine CPU per request (µs, every core's time not idle) = %s + %s:\n", parts, rest)
	split := func(s stats) string {
		out := fmt.Sprintf("%.0f = %.0f + %.0f", s.MachineCPUPerRequestUs, s.CPUPerRequestUs, s.BenchCPUPerRequestUs)
		if res.PostgresMeasured {
			out += fmt.Sprintf(" + %.0f", s.PostgresCPUPerRequestUs)
		}
		rest := s.MachineCPUPerRequestUs - s.CPUPerRequestUs - s.BenchCPUPerRequestUs - s.PostgresCPUPerRequestUs
		return out + fmt.Sprintf(" + %.0f", rest)
	}
	for _, r := range res.Rows {
		line := fmt.Sprintf("  %-18s %3d conns: bucketd %s", r.Endpoint, r.Conns, split(r.Bucketd))
		for _, b := range r.Baselines {
			line += fmt.Sprintf(" | %s %s", b.Name, split(b.Stats))
		}
		fmt.Fprintln(w, line)
	}
}

func overallRSS(res results) int64 {
	var peak int64
	for _, l := range res.PeakRSS {
		peak = max(peak, l.Bytes)
	}
	return peak
}

// printErrors lists every cell that had failures, with what they were.
func printErrors(w io.Writer, res results) {
	var lines []string
	for _, r := range res.Rows {
		for _, c := range append([]baseline{{Name: r.Endpoint, Stats: r.Bucketd}}, r.Baselines...) {
			if c.Stats.Errors == 0 {
				continue
			}
			line := fmt.Sprintf("  %s at %d conns: %d failed (%v)", c.Name, r.Conns, c.Stats.Errors, c.Stats.Failures)
			if c.Stats.ErrorExample != "" {
				line += "; first: " + truncate(c.Stats.ErrorExample, 300)
			}
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		fmt.Fprintln(w, "errors: none")
		return
	}
	fmt.Fprintf(w, "ERRORS:\n%s\n", strings.Join(lines, "\n"))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// printGoals marks each goal of issue 18 met or missed; they are figures, not assertions.
func printGoals(w io.Writer, res results) {
	fmt.Fprintln(w, "goals (figures, not assertions):")
	goal := func(text string, figure float64, unit string, ok, measured bool) {
		verdict := "n/a: not measured at this connection count"
		switch {
		case measured && ok:
			verdict = fmt.Sprintf("%.2f%s  met", figure, unit)
		case measured:
			verdict = fmt.Sprintf("%.2f%s  MISSED", figure, unit)
		}
		fmt.Fprintf(w, "  %-60s %s\n", text, verdict)
	}
	for _, g := range ratioGoals {
		endpoint := g.endpoint(res)
		r, _ := findRow(res, endpoint, goalConns)
		ratio, found := r.ratio(g.baseline)
		goal(fmt.Sprintf("%s req/s at %d conns >= %.0f%% of %s", endpoint, goalConns, g.ratio*100, g.baseline),
			ratio, "", ratio >= g.ratio, found)
	}
	for _, r := range res.Rows {
		if r.Conns == goalConns {
			goal(fmt.Sprintf("%s p99 at %d conns < %.0f ms", r.Endpoint, goalConns, goalP99Ms),
				r.Bucketd.P99Ms, " ms", r.Bucketd.P99Ms < goalP99Ms, true)
		}
	}
	var rss float64
	found := false
	for _, l := range res.PeakRSS {
		if l.Conns == rssGoalConns {
			rss, found = float64(l.Bytes)/mib, true
		}
	}
	goal(fmt.Sprintf("bucketd peak RSS at %d conns < %.0f MiB", rssGoalConns, goalRSSMiB), rss, " MiB", rss < goalRSSMiB, found)
}

func findRow(res results, endpoint string, conns int) (row, bool) {
	for _, r := range res.Rows {
		if r.Endpoint == endpoint && r.Conns == conns {
			return r, true
		}
	}
	return row{}, false
}

// writeJSON writes the results to path ("-" for w); an empty path writes nothing.
func writeJSON(path string, w io.Writer, res results) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = w.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// progressLine is a row's summary as the run goes: bucketd's throughput and p99, then its ratio
// to each baseline.
func progressLine(r row) string {
	line := fmt.Sprintf("%-18s %3d conns: %8.1f req/s, p99 %7.2f ms, %d errors", r.Endpoint, r.Conns,
		r.Bucketd.PerSecond, r.Bucketd.P99Ms, r.Bucketd.Errors)
	for _, b := range r.Baselines {
		line += fmt.Sprintf(" | %s %.1f/s, ratio %.2f", b.Name, b.Stats.PerSecond, throughputRatio(r.Bucketd, b.Stats))
	}
	return line
}
