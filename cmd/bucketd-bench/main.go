// Command bucketd-bench measures the real bucketd binary on PostgreSQL and, in the same run on
// the same machine, the baselines it is judged against: pgbench running the SQL of a create and
// of a read, Echo+pgx handlers that answer the reads from the database with nothing else, and
// bare Echo handlers answering fixed bodies. It prints one table with a line per side of each
// row (throughput, its spread across slices, latencies, bucketd's ratio to each baseline), plus
// bucketd's peak RSS and CPU time per request. The figures are for reading, not assertions: the
// program fails only when it cannot measure.
//
// S3 validation goes to an in-process stub that answers at once, so a create costs what bucketd
// itself costs, not an emulator's time. The program creates a database of its own on the server
// named by --database-url and drops it at the end, on error and on interrupt too.
//
//	go run ./cmd/bucketd-bench [--duration 6s] [--conns 1,16,64] [--pprof-dir DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if ran, err := runChild(); ran {
		if err != nil {
			fmt.Fprintln(os.Stderr, "bucketd-bench child:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "bucketd-bench:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	databaseURL string
	duration    time.Duration
	warmup      time.Duration
	rounds      int
	conns       []int
	bucketd     string
	pgbench     string
	pprofDir    string
	jsonPath    string
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	cfg := config{conns: []int{1, 16, 64}}
	fs := flag.NewFlagSet("bucketd-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.databaseURL, "database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL server to measure on; its database is only connected to, to create and drop the bench's own")
	// 27 cells (9 of bucketd, 18 baselines) of 7 s, pgbench's warm-ups, a vacuum per row and the
	// set-up keep make bench (build included) near 6 minutes.
	fs.DurationVar(&cfg.duration, "duration", 6*time.Second, "measured time of each cell")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured load before each cell")
	fs.IntVar(&cfg.rounds, "rounds", 3, "slices each cell's duration is split into, taking turns with the row's baseline")
	fs.Func("conns", "comma-separated connection counts (default 1,16,64)", func(v string) error {
		conns, err := parseConns(v)
		cfg.conns = conns
		return err
	})
	fs.StringVar(&cfg.bucketd, "bucketd", "", "bucketd binary to measure; built from this module when empty")
	fs.StringVar(&cfg.pgbench, "pgbench", "pgbench", "pgbench binary")
	fs.StringVar(&cfg.pprofDir, "pprof-dir", "",
		fmt.Sprintf("save CPU and heap profiles of bucketd taken during the %d-connection cells, where the goals are, here", goalConns))
	fs.StringVar(&cfg.jsonPath, "json", "", "also write the results as JSON to this file (- for stdout)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	case cfg.duration <= 0 || cfg.warmup < 0:
		return config{}, errors.New("--duration must be positive and --warmup not negative")
	case cfg.rounds < 1:
		return config{}, errors.New("--rounds must be at least 1")
	}
	return cfg, nil
}

// parseConns reads a list such as 1,16,64: positive, ascending, no repeats.
func parseConns(v string) ([]int, error) {
	var conns []int
	for field := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 || (len(conns) > 0 && n <= conns[len(conns)-1]) {
			return nil, fmt.Errorf("want ascending positive counts such as 1,16,64, got %q", v)
		}
		conns = append(conns, n)
	}
	return conns, nil
}

// run measures everything and prints the table; it is main without the process exits.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	began, load := time.Now(), loadAverage()
	progress := func(format string, a ...any) {
		fmt.Fprintf(stderr, "bench %5.1fs: "+format+"\n", append([]any{time.Since(began).Seconds()}, a...)...)
	}
	work, err := os.MkdirTemp("", "bucketd-bench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }() // a temporary directory
	if cfg.bucketd == "" {
		progress("building bucketd")
		if cfg.bucketd, err = buildBucketd(ctx, work, stderr); err != nil {
			return err
		}
	}
	db, err := createDatabase(ctx, cfg.databaseURL)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.drop()) }()
	progress("database %s created", db.name)

	stub, err := startS3Stub()
	if err != nil {
		return err
	}
	defer stub.close()
	bd, err := startBucketd(ctx, cfg.bucketd, db.url, work, cfg.pprofDir != "")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, bd.stop()) }()

	progress("bootstrapping %d organizations and seeding %d buckets", slices.Max(cfg.conns)+1, listSize)
	fx, err := prepare(ctx, bd, db, stub, slices.Max(cfg.conns))
	if err != nil {
		return err
	}
	echo, err := startEcho(work, db.url, fx.list.OrgID, fx.listBody, fx.oneBody)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, echo.stop()) }()
	if err := checkSameAnswers(ctx, fx, echo.pgxURL); err != nil {
		return err
	}

	res, err := measure(ctx, cfg, bd, fx, echo, work, progress)
	if err != nil {
		return err
	}
	if res.RowBytes, err = rowSizes(ctx, db); err != nil {
		return err
	}
	if res.LogProblems, err = bd.logProblems(); err != nil {
		return err
	}
	res.Machine = describeMachine(ctx, db, cfg.bucketd, cfg.pgbench, load)
	res.Database = db.name
	printTable(stdout, cfg, res)
	return writeJSON(cfg.jsonPath, stdout, res)
}
