package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// results is everything one run measured.
type results struct {
	Machine         machine `json:"machine"`
	Database        string  `json:"database"`
	DurationSeconds float64 `json:"durationSeconds"`
	WarmupSeconds   float64 `json:"warmupSeconds"`
	// Rounds is how many slices of DurationSeconds/Rounds each side of a row had, in turns.
	Rounds int   `json:"rounds"`
	Rows   []row `json:"rows"`
	// PeakRSS is bucketd's VmHWM at the end of each connection level; when PeakRSSPerLevel is
	// false the kernel refused to reset the peak and each figure is the peak since start.
	PeakRSS         []levelRSS `json:"peakRss"`
	PeakRSSPerLevel bool       `json:"peakRssPerLevel"`
	// PostgresMeasured says the PostgreSQL server runs on this machine, so the CPU time of its
	// processes is split out of the machine's.
	PostgresMeasured bool `json:"postgresMeasured"`
	// Validation is the S3 stub's requests per create, by operation.
	Validation map[string]float64 `json:"validationRequestsPerCreate"`
	// ListPageSize is how many buckets GET /bucket's default page held.
	ListPageSize int      `json:"listPageSize"`
	RowBytes     rowBytes `json:"rowBytes"`
	Profiles     []string `json:"profiles,omitempty"`
	// LogProblems counts bucketd's WARN and ERROR log lines by level and message.
	LogProblems map[string]int `json:"logProblems"`
}

// row is one group of lines of the table: bucketd's cell of an endpoint at a connection count,
// and the baselines measured in turns with it.
type row struct {
	Endpoint  string     `json:"endpoint"`
	Conns     int        `json:"conns"`
	Bucketd   stats      `json:"bucketd"`
	Baselines []baseline `json:"baselines"`
}

// baseline is a baseline's cell in a row.
type baseline struct {
	Name  string `json:"name"`
	Stats stats  `json:"stats"`
}

// ratio is bucketd's throughput as a fraction of the named baseline's; found is false when the
// row has no such baseline.
func (r row) ratio(name string) (ratio float64, found bool) {
	for _, b := range r.Baselines {
		if b.Name == name {
			return throughputRatio(r.Bucketd, b.Stats), true
		}
	}
	return 0, false
}

// throughputRatio is a's throughput as a fraction of b's, 0 when b has none.
func throughputRatio(a, b stats) float64 {
	if b.PerSecond == 0 {
		return 0
	}
	return a.PerSecond / b.PerSecond
}

// levelRSS is bucketd's peak resident set at a connection level and, at the level's end, how
// much of its resident set was backed by files (the binary) and how much was anonymous.
type levelRSS struct {
	Conns     int   `json:"conns"`
	Bytes     int64 `json:"bytes"`
	FileBytes int64 `json:"fileBytes"`
	AnonBytes int64 `json:"anonBytes"`
}

// endpoint is one bucketd endpoint under load and the baselines it is compared with.
type endpoint struct {
	label, slug string
	next        requestFunc
	baselines   []baselineSide
}

// baselineSide names a baseline and starts its side; each start function warms its side up and
// returns it.
type baselineSide struct {
	name  string
	start startFunc
}

type startFunc func(ctx context.Context, conns int) (side, error)

// measure measures every row, connection level by connection level; within a row the sides
// take turns (see side), so that they see the machine, and the database at its size, alike.
// Each row starts on a vacuumed and analyzed database: PostgreSQL's autovacuum may be off (it
// is a server-wide setting, which neither a database nor a table can turn on), and then the
// bench's tables are never analyzed, and the planner plans pgbench's create without statistics
// of tables that grow by thousands of rows a second; on this machine that halved its rate over
// a few rows (see docs/performance.md). The vacuum keeps the dead row versions of the earlier
// rows out of the later ones.
func measure(ctx context.Context, cfg config, bd *bucketd, fx *fixture, echo *echoServer, work string,
	progress func(string, ...any)) (results, error) {
	res := results{DurationSeconds: cfg.duration.Seconds(), WarmupSeconds: cfg.warmup.Seconds(), Rounds: cfg.rounds,
		Validation: fx.validation, ListPageSize: fx.pageSize, PeakRSSPerLevel: true}
	if cfg.pprofDir != "" {
		if err := os.MkdirAll(cfg.pprofDir, 0o755); err != nil {
			return results{}, err
		}
	}
	postmaster, err := localPostmaster(ctx, bd.dbURL)
	if err != nil {
		return results{}, err
	}
	res.PostgresMeasured = postmaster != 0
	pids := cpuPIDs{bench: os.Getpid(), bucketd: bd.pid(), postmaster: postmaster}
	eps := endpoints(cfg, bd, fx, echo, work)
	for _, conns := range cfg.conns {
		res.PeakRSSPerLevel = resetPeakRSS(bd.pid()) && res.PeakRSSPerLevel
		for _, e := range eps {
			var profile func(d time.Duration) (wait func() error)
			if cfg.pprofDir != "" && conns == goalConns {
				profile = func(d time.Duration) func() error {
					return bd.startProfile(ctx, cfg.pprofDir, fmt.Sprintf("%s-%d", e.slug, conns), d, &res.Profiles)
				}
			}
			began := time.Now()
			if err := execSQL(ctx, bd.dbURL, "VACUUM (ANALYZE)"); err != nil {
				return results{}, err
			}
			progress("vacuumed and analyzed the database in %.1fs", time.Since(began).Seconds())
			r, err := measureRow(ctx, cfg, bd, pids, e, conns, profile)
			if err != nil {
				return results{}, fmt.Errorf("%s at %d connections: %w", e.label, conns, err)
			}
			progress("%s", progressLine(r))
			res.Rows = append(res.Rows, r)
		}
		m, err := readMemory(bd.pid())
		if err != nil {
			return results{}, err
		}
		res.PeakRSS = append(res.PeakRSS, levelRSS{Conns: conns, Bytes: m.peak, FileBytes: m.file, AnonBytes: m.anon})
	}
	return res, nil
}

// measureRow warms every side of e's row up, then runs cfg.rounds rounds in which each side in
// turn is measured for a slice of cfg.duration. profile, if set, profiles bucketd during its
// first slice. pids are the processes whose CPU time it accounts.
func measureRow(ctx context.Context, cfg config, bd *bucketd, pids cpuPIDs, e endpoint, conns int,
	profile func(time.Duration) (wait func() error)) (row, error) {
	starts := []startFunc{func(ctx context.Context, conns int) (side, error) {
		return startHTTP(ctx, conns, e.next, cfg.warmup), nil
	}}
	for _, b := range e.baselines {
		starts = append(starts, b.start)
	}
	var sides []side
	defer func() {
		for _, s := range sides {
			s.close()
		}
	}()
	for _, start := range starts {
		s, err := start(ctx, conns)
		if err != nil {
			return row{}, err
		}
		sides = append(sides, s)
	}
	slice := cfg.duration / time.Duration(cfg.rounds)
	spent := make([]cpuSplit, len(sides))
	for round := range cfg.rounds {
		for i, s := range sides {
			wait := func() error { return nil }
			if profile != nil && round == 0 && i == 0 {
				wait = profile(slice)
			}
			sampler, err := startCPUSampler(pids)
			if err != nil {
				return row{}, err
			}
			measured, err := s.slice(ctx, slice)
			if err := errors.Join(err, wait(), sampler.finish()); err != nil {
				return row{}, err
			}
			spent[i].add(sampler.between(measured))
		}
		if err := bd.running(); err != nil {
			return row{}, fmt.Errorf("%w\n%s", err, bd.logTail())
		}
	}
	result := func(i int) stats {
		s := sides[i].result()
		if s.Requests > 0 {
			perRequest := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(s.Requests) }
			s.MachineCPUPerRequestUs, s.BenchCPUPerRequestUs = perRequest(spent[i].machine), perRequest(spent[i].bench)
			s.PostgresCPUPerRequestUs = perRequest(spent[i].postgres)
			if i == 0 {
				s.CPUPerRequestUs = perRequest(spent[i].bucketd)
			}
		}
		return s
	}
	r := row{Endpoint: e.label, Conns: conns, Bucketd: result(0)}
	for i, b := range e.baselines {
		r.Baselines = append(r.Baselines, baseline{Name: b.name, Stats: result(i + 1)})
	}
	return r, nil
}

// endpoints are the measured endpoints: a create with a name unique in the whole run, in the
// worker's own organization; a read of a random one of the listed buckets; the list of them.
func endpoints(cfg config, bd *bucketd, fx *fixture, echo *echoServer, work string) []endpoint {
	pg := pgbench{bin: cfg.pgbench, dbURL: bd.dbURL, dir: work}
	var seq atomic.Int64
	script := func(name, script string, vars map[string]string) startFunc {
		return func(ctx context.Context, conns int) (side, error) {
			return pg.start(ctx, name, script, vars, conns, cfg.warmup)
		}
	}
	overHTTP := func(next requestFunc) startFunc {
		return func(ctx context.Context, conns int) (side, error) {
			return startHTTP(ctx, conns, next, cfg.warmup), nil
		}
	}
	list := func(baseURL string) requestFunc {
		return func(ctx context.Context, _ int, _ *rand.Rand) (*http.Request, error) {
			return authorized(ctx, http.MethodGet, baseURL+"/bucket", fx.list.Token, nil)
		}
	}
	getOne := func(baseURL string) requestFunc {
		return func(ctx context.Context, _ int, rng *rand.Rand) (*http.Request, error) {
			return authorized(ctx, http.MethodGet, baseURL+"/bucket/"+fx.ids[rng.IntN(len(fx.ids))], fx.list.Token, nil)
		}
	}
	return []endpoint{{
		label: createEndpoint, slug: "post",
		next: func(ctx context.Context, w int, _ *rand.Rand) (*http.Request, error) {
			return fx.createRequest(ctx, bd.url, fx.orgs[w], fmt.Sprintf("bench-%d", seq.Add(1)))
		},
		baselines: []baselineSide{{createBaseline, script("create", createScript(fx.orgs), createVars(fx.template))}},
	}, {
		label: readEndpoint, slug: "get", next: getOne(bd.url),
		baselines: []baselineSide{
			{pgxEchoBaseline, overHTTP(getOne(echo.pgxURL))},
			{readBaseline, script("select", selectScript(fx.list, fx.ids), nil)},
			{fixedEchoBaseline, overHTTP(getOne(echo.url))},
		},
	}, {
		label: listEndpoint(fx.pageSize), slug: "list", next: list(bd.url),
		baselines: []baselineSide{
			{pgxEchoBaseline, overHTTP(list(echo.pgxURL))},
			{fixedEchoBaseline, overHTTP(list(echo.url))},
		},
	}}
}

// startProfile starts a CPU profile of bucketd lasting d (rounded up to whole seconds); the
// returned wait saves it as DIR/NAME-cpu.pprof, then saves a heap profile as
// DIR/NAME-heap.pprof, and lists both in saved.
func (b *bucketd) startProfile(ctx context.Context, dir, name string, d time.Duration, saved *[]string) (wait func() error) {
	cpu := filepath.Join(dir, name+"-cpu.pprof")
	done := make(chan error, 1)
	go func() {
		done <- download(ctx, b.pprofURL+"/debug/pprof/profile?seconds="+wholeSeconds(d), cpu)
	}()
	return func() error {
		if err := <-done; err != nil {
			return err
		}
		heap := filepath.Join(dir, name+"-heap.pprof")
		if err := download(ctx, b.pprofURL+"/debug/pprof/heap", heap); err != nil {
			return err
		}
		*saved = append(*saved, cpu, heap)
		return nil
	}
}

// download saves the body of a 200 answer to url in path.
func download(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	body, err := doRawWith(&http.Client{Timeout: 10 * time.Minute}, req)
	if err != nil {
		return err
	}
	return os.WriteFile(path, body, 0o644)
}
