package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// requestTimeout bounds one request of the load; a request that takes longer counts as an error.
const requestTimeout = time.Minute

// requestFunc builds the next request of worker w, using rng for any random choice.
type requestFunc func(ctx context.Context, w int, rng *rand.Rand) (*http.Request, error)

// loadGen is a closed-loop load: conns workers, each on a keep-alive connection of its own,
// each sending its next request as soon as the previous one is answered.
type loadGen struct {
	conns     int
	next      requestFunc
	transport *http.Transport
	client    *http.Client
}

func newLoadGen(conns int, next requestFunc) *loadGen {
	t := &http.Transport{
		Proxy:               nil,
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	return &loadGen{conns: conns, next: next, transport: t, client: &http.Client{Transport: t, Timeout: requestTimeout}}
}

func (g *loadGen) close() { g.transport.CloseIdleConnections() }

// outcome is what a run of the load saw: the latency of every 2xx answer, how long the run
// took until its last request was answered, and every other answer or error by kind.
type outcome struct {
	latencies []time.Duration
	elapsed   time.Duration
	failures  map[string]int
	// example is the first failure in full, to show what went wrong.
	example string
	// slices counts the measured slices added together; perSecond is each one's throughput.
	slices    int
	perSecond []float64
}

// run sends requests for d; a request started before d ended is waited for and counted.
func (g *loadGen) run(ctx context.Context, d time.Duration) outcome {
	start := time.Now()
	deadline := start.Add(d)
	results := make([]outcome, g.conns)
	var wg sync.WaitGroup
	for w := range g.conns {
		wg.Go(func() { results[w] = g.worker(ctx, w, deadline) })
	}
	wg.Wait()
	all := outcome{elapsed: time.Since(start), failures: map[string]int{}}
	for _, r := range results {
		all.latencies = append(all.latencies, r.latencies...)
		for kind, n := range r.failures {
			all.failures[kind] += n
		}
		if all.example == "" {
			all.example = r.example
		}
	}
	return all
}

func (g *loadGen) worker(ctx context.Context, w int, deadline time.Time) outcome {
	out := outcome{failures: map[string]int{}}
	rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
	// One buffer per worker keeps the load generator's own garbage, which competes with bucketd
	// for the same cores, small.
	var body bytes.Buffer
	for ctx.Err() == nil && time.Now().Before(deadline) {
		req, err := g.next(ctx, w, rng)
		if err != nil {
			out.fail("build request", err.Error())
			continue
		}
		began := time.Now()
		res, err := g.client.Do(req)
		if err != nil {
			out.fail("transport error", err.Error())
			continue
		}
		body.Reset()
		_, err = body.ReadFrom(res.Body)
		res.Body.Close()
		took := time.Since(began)
		switch {
		case err != nil:
			out.fail("transport error", err.Error())
		case res.StatusCode/100 != 2:
			out.fail(fmt.Sprintf("HTTP %d", res.StatusCode), body.String())
		default:
			out.latencies = append(out.latencies, took)
		}
	}
	return out
}

// add merges the outcome of one more measured slice.
func (o *outcome) add(other outcome) {
	o.slices++
	o.perSecond = append(o.perSecond, perSecond(len(other.latencies), other.elapsed))
	o.latencies = append(o.latencies, other.latencies...)
	o.elapsed += other.elapsed
	for kind, n := range other.failures {
		o.failures[kind] += n
	}
	if o.example == "" {
		o.example = other.example
	}
}

func (o *outcome) fail(kind, detail string) {
	o.failures[kind]++
	if o.example == "" {
		o.example = kind + ": " + detail
	}
}

// stats summarizes one cell of the table.
type stats struct {
	// Requests is the number of successful requests (or pgbench transactions).
	Requests int     `json:"requests"`
	Seconds  float64 `json:"seconds"`
	// Slices is how many measured slices the figures add up; SlicePerSecond is each one's
	// throughput, in the order measured.
	Slices         int       `json:"slices"`
	SlicePerSecond []float64 `json:"slicePerSecond"`
	PerSecond      float64   `json:"perSecond"`
	P50Ms          float64   `json:"p50Ms"`
	P99Ms          float64   `json:"p99Ms"`
	MaxMs          float64   `json:"maxMs"`
	// CPUPerRequestUs is the CPU time the server process used per request, in µs, when the
	// cell measured it (bucketd's cells); a steadier figure than throughput on a shared machine.
	CPUPerRequestUs float64 `json:"cpuPerRequestUs,omitempty"`
	// MachineCPUPerRequestUs is the busy time of all the machine's cores per request, in µs:
	// what the request cost the load generator, the server and the database together.
	MachineCPUPerRequestUs float64 `json:"machineCpuPerRequestUs,omitempty"`
	// BenchCPUPerRequestUs is the part of it the bench's own process spent: the HTTP load
	// generator and, for creates, the S3 stub; pgbench is a process of its own.
	BenchCPUPerRequestUs float64 `json:"benchCpuPerRequestUs,omitempty"`
	// PostgresCPUPerRequestUs is the part the PostgreSQL server spent, when it runs on this
	// machine (results.PostgresMeasured).
	PostgresCPUPerRequestUs float64 `json:"postgresCpuPerRequestUs,omitempty"`
	// Errors counts failed requests of any kind; Failures breaks them down.
	Errors       int            `json:"errors"`
	Failures     map[string]int `json:"failures,omitempty"`
	ErrorExample string         `json:"errorExample,omitempty"`
}

// summarize computes throughput and exact percentiles (nearest rank) of the sorted latencies.
func summarize(latencies []time.Duration, elapsed time.Duration, failures map[string]int, example string) stats {
	slices.Sort(latencies)
	s := stats{Requests: len(latencies), Seconds: elapsed.Seconds(), PerSecond: perSecond(len(latencies), elapsed),
		ErrorExample: example}
	s.P50Ms = ms(percentile(latencies, 50))
	s.P99Ms = ms(percentile(latencies, 99))
	s.MaxMs = ms(percentile(latencies, 100))
	for kind, n := range failures {
		if n > 0 {
			if s.Failures == nil {
				s.Failures = map[string]int{}
			}
			s.Failures[kind] = n
			s.Errors += n
		}
	}
	return s
}

func (o outcome) stats() stats {
	s := summarize(o.latencies, o.elapsed, o.failures, o.example)
	s.Slices, s.SlicePerSecond = o.slices, o.perSecond
	return s
}

// perSecond is n requests' throughput over elapsed, 0 when no time elapsed.
func perSecond(n int, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(n) / elapsed.Seconds()
}

// spread is the lowest, the median and the highest of the slices' throughputs; how far apart
// they are tells how much the machine moved during the row. All are 0 without slices.
func (s stats) spread() (low, median, high float64) {
	if len(s.SlicePerSecond) == 0 {
		return 0, 0, 0
	}
	sorted := slices.Sorted(slices.Values(s.SlicePerSecond))
	n := len(sorted)
	median = sorted[n/2]
	if n%2 == 0 {
		median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return sorted[0], median, sorted[n-1]
}

// percentile is the nearest-rank p-th percentile of sorted: the smallest value that at least p
// percent of the values are less than or equal to. It is 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
