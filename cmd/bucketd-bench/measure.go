package main

import (
	"context"
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
	Rows            []row   `json:"rows"`
	// PeakRSS is bucketd's VmHWM at the end of each connection level; when PeakRSSPerLevel is
	// false the kernel refused to reset the peak and each figure is the peak since start.
	PeakRSS         []levelRSS `json:"peakRss"`
	PeakRSSPerLevel bool       `json:"peakRssPerLevel"`
	// Validation is the S3 stub's requests per create, by operation.
	Validation map[string]float64 `json:"validationRequestsPerCreate"`
	// ListPageSize is how many buckets GET /bucket's default page held.
	ListPageSize int      `json:"listPageSize"`
	RowBytes     rowBytes `json:"rowBytes"`
	Profiles     []string `json:"profiles,omitempty"`
	// LogProblems counts bucketd's WARN and ERROR log lines by level and message.
	LogProblems map[string]int `json:"logProblems"`
}

// row is one line of the table: a bucketd cell and its baseline at the same connection count.
type row struct {
	Endpoint      string `json:"endpoint"`
	Conns         int    `json:"conns"`
	Bucketd       stats  `json:"bucketd"`
	Baseline      string `json:"baseline"`
	BaselineStats stats  `json:"baselineStats"`
	// Ceiling, where measured, is a bare Echo handler answering the endpoint's own body: as
	// fast as any Echo server could answer the endpoint on this machine.
	Ceiling *stats `json:"ceiling,omitempty"`
}

// ratio is bucketd's throughput as a fraction of the baseline's.
func (r row) ratio() float64 { return ratio(r.Bucketd, r.BaselineStats) }

// ceilingRatio is the ceiling's throughput as a fraction of the baseline's; 0 when unmeasured.
func (r row) ceilingRatio() float64 { return ratio(r.ceiling(), r.BaselineStats) }

// ceiling is the ceiling's figures, zero when unmeasured.
func (r row) ceiling() stats {
	if r.Ceiling == nil {
		return stats{}
	}
	return *r.Ceiling
}

// ratio is a's throughput as a fraction of b's, 0 when b has none.
func ratio(a, b stats) float64 {
	if b.PerSecond == 0 {
		return 0
	}
	return a.PerSecond / b.PerSecond
}

type levelRSS struct {
	Conns int   `json:"conns"`
	Bytes int64 `json:"bytes"`
}

// endpoint is one bucketd endpoint under load, the baseline it is compared with and, when the
// baseline is not an HTTP server, the ceiling an HTTP server reaches on it.
type endpoint struct {
	label, slug string
	next        requestFunc
	baseline    string
	runBaseline func(ctx context.Context, conns int) (stats, error)
	runCeiling  func(ctx context.Context, conns int) (stats, error)
}

// measure runs every cell, connection level by connection level: each endpoint of bucketd, then
// its baseline, so that both see the database at the same size.
func measure(ctx context.Context, cfg config, bd *bucketd, fx *fixture, echo *echoServer, work string,
	progress func(string, ...any)) (results, error) {
	res := results{DurationSeconds: cfg.duration.Seconds(), WarmupSeconds: cfg.warmup.Seconds(),
		Validation: fx.validation, ListPageSize: fx.pageSize, PeakRSSPerLevel: true}
	if cfg.pprofDir != "" {
		if err := os.MkdirAll(cfg.pprofDir, 0o755); err != nil {
			return results{}, err
		}
	}
	eps := endpoints(cfg, bd, fx, echo, work)
	for _, conns := range cfg.conns {
		res.PeakRSSPerLevel = resetPeakRSS(bd.pid()) && res.PeakRSSPerLevel
		for _, e := range eps {
			var profile func() (wait func() error)
			if cfg.pprofDir != "" && conns == goalConns {
				profile = func() func() error {
					return bd.startProfile(ctx, cfg, fmt.Sprintf("%s-%d", e.slug, conns), &res.Profiles)
				}
			}
			s, err := loadCell(ctx, cfg, conns, e.next, profile, bd.pid())
			if err != nil {
				return results{}, fmt.Errorf("%s at %d connections: %w", e.label, conns, err)
			}
			if err := bd.running(); err != nil {
				return results{}, fmt.Errorf("%w\n%s", err, bd.logTail())
			}
			b, err := e.runBaseline(ctx, conns)
			if err != nil {
				return results{}, fmt.Errorf("%s at %d connections: %w", e.baseline, conns, err)
			}
			r := row{Endpoint: e.label, Conns: conns, Bucketd: s, Baseline: e.baseline, BaselineStats: b}
			if e.runCeiling != nil {
				c, err := e.runCeiling(ctx, conns)
				if err != nil {
					return results{}, fmt.Errorf("%s's ceiling at %d connections: %w", e.label, conns, err)
				}
				r.Ceiling = &c
			}
			progress("%-18s %3d conns: %8.1f req/s, p99 %7.2f ms, %d errors | %-14s %8.1f/s | ratio %.2f",
				r.Endpoint, conns, s.PerSecond, s.P99Ms, s.Errors, r.Baseline, b.PerSecond, r.ratio())
			res.Rows = append(res.Rows, r)
		}
		rss, err := peakRSS(bd.pid())
		if err != nil {
			return results{}, err
		}
		res.PeakRSS = append(res.PeakRSS, levelRSS{Conns: conns, Bytes: rss})
	}
	return res, nil
}

// endpoints are the measured endpoints: a create with a name unique in the whole run, in the
// worker's own organization; a read of a random one of the listed buckets; the list of them.
func endpoints(cfg config, bd *bucketd, fx *fixture, echo *echoServer, work string) []endpoint {
	pg := pgbench{bin: cfg.pgbench, dbURL: bd.dbURL, dir: work}
	var seq atomic.Int64
	baseline := func(name, script string, vars map[string]string) func(context.Context, int) (stats, error) {
		return func(ctx context.Context, conns int) (stats, error) {
			return pg.run(ctx, name, script, vars, conns, cfg.warmup, cfg.duration)
		}
	}
	get := func(url, token string) requestFunc {
		return func(ctx context.Context, _ int, _ *rand.Rand) (*http.Request, error) {
			return authorized(ctx, http.MethodGet, url, token, nil)
		}
	}
	bareEcho := func(next requestFunc) func(context.Context, int) (stats, error) {
		return func(ctx context.Context, conns int) (stats, error) {
			return loadCell(ctx, cfg, conns, next, nil, 0)
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
		baseline: createBaseline, runBaseline: baseline("create", createScript(fx.orgs), createVars(fx.template)),
	}, {
		label: readEndpoint, slug: "get",
		next:     getOne(bd.url),
		baseline: readBaseline, runBaseline: baseline("select", selectScript(fx.list, fx.ids), nil),
		runCeiling: bareEcho(getOne(echo.url)),
	}, {
		label: fmt.Sprintf("GET /bucket (%d)", fx.pageSize), slug: "list",
		next:     get(bd.url+"/bucket", fx.list.Token),
		baseline: bareEchoBaseline, runBaseline: bareEcho(get(echo.url+"/bucket", fx.list.Token)),
	}}
}

// loadCell warms up, then measures next with conns connections for the configured duration.
// profile, if set, starts a profile when the measurement starts and returns the wait for it.
// serverPID, if not 0, is the process whose CPU time per request the cell reports.
func loadCell(ctx context.Context, cfg config, conns int, next requestFunc, profile func() (wait func() error), serverPID int) (stats, error) {
	g := newLoadGen(conns, next)
	defer g.close()
	if cfg.warmup > 0 {
		g.run(ctx, cfg.warmup)
	}
	wait := func() error { return nil }
	if profile != nil {
		wait = profile()
	}
	cpu := func() (time.Duration, error) { return 0, nil }
	if serverPID != 0 {
		cpu = func() (time.Duration, error) { return cpuTime(serverPID) }
	}
	before, err := cpu()
	if err != nil {
		return stats{}, err
	}
	o := g.run(ctx, cfg.duration)
	after, err := cpu()
	if err != nil {
		return stats{}, err
	}
	if err := ctx.Err(); err != nil {
		return stats{}, err
	}
	s := o.stats()
	if s.Requests > 0 {
		s.CPUPerRequestUs = float64((after - before).Microseconds()) / float64(s.Requests)
	}
	return s, wait()
}

// startProfile starts a CPU profile of bucketd as long as a cell; the returned wait saves it as
// DIR/NAME-cpu.pprof, then saves a heap profile as DIR/NAME-heap.pprof, and lists both in saved.
func (b *bucketd) startProfile(ctx context.Context, cfg config, name string, saved *[]string) (wait func() error) {
	cpu := filepath.Join(cfg.pprofDir, name+"-cpu.pprof")
	done := make(chan error, 1)
	go func() {
		done <- download(ctx, b.pprofURL+"/debug/pprof/profile?seconds="+wholeSeconds(cfg.duration), cpu)
	}()
	return func() error {
		if err := <-done; err != nil {
			return err
		}
		heap := filepath.Join(cfg.pprofDir, name+"-heap.pprof")
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
