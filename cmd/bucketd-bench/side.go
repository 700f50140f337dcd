package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// A row of the table compares sides: bucketd's endpoint, its baseline and, where measured, its
// ceiling. They are measured in slices that take turns (bucketd, baseline, ceiling, bucketd,
// ...) rather than one whole cell after another, so that the machine's drift, such as a noisy
// neighbour on a shared host, reaches every side alike and their ratio holds steadier than
// their throughputs.
type side interface {
	// slice measures d more of the side's load and adds it to what the side has measured; it
	// returns when the measured part was, which may be less than the whole slice.
	slice(ctx context.Context, d time.Duration) (window, error)
	// result summarizes every slice.
	result() stats
	close()
}

// httpSide is a closed-loop load on an HTTP server; its keep-alive connections stay open from
// slice to slice.
type httpSide struct {
	g    *loadGen
	seen outcome
}

// startHTTP warms the load up for warmup, unmeasured, and returns the side.
func startHTTP(ctx context.Context, conns int, next requestFunc, warmup time.Duration) *httpSide {
	s := &httpSide{g: newLoadGen(conns, next), seen: outcome{failures: map[string]int{}}}
	if warmup > 0 {
		s.g.run(ctx, warmup)
	}
	return s
}

// window is when a slice measured, from the start of the first request it counts to the end of
// the last.
type window struct{ from, to time.Time }

func (s *httpSide) slice(ctx context.Context, d time.Duration) (window, error) {
	began := time.Now()
	o := s.g.run(ctx, d)
	s.seen.add(o)
	return window{began, began.Add(o.elapsed)}, ctx.Err()
}

func (s *httpSide) result() stats { return s.seen.stats() }

func (s *httpSide) close() { s.g.close() }

// pgbenchSide runs a pgbench script, one pgbench run per slice; each run's per-transaction log
// gives the latencies. A run opens its connections anew, and a new PostgreSQL backend is slow
// at first (connecting, loading its catalog caches, compiling the trigger function, planning
// each prepared statement afresh for its first executions): on this machine 64 connections took
// 2.4 s to open and their first transactions most of a second, which made a run of 2 s at 64
// connections a measure of that. So a run measures only its warm window (see warmWindow), and
// lasts that window's lead, learnt from the run before, plus the slice. pgbench counts time in
// whole seconds, so a run lasts at least one.
type pgbenchSide struct {
	p      pgbench
	args   []string
	prefix string
	runs   int
	// lead is how long the last run took to warm up, from its start to its warm window.
	lead time.Duration
	seen outcome
}

// maxPgbenchLead bounds how long pgbench may take to warm up its connections before the bench
// gives up.
const maxPgbenchLead = time.Minute

// start writes the script and runs it, unmeasured, for warmup and then as long as its
// connections take to warm up, which sets the lead of the first measured slice.
func (p pgbench) start(ctx context.Context, name, script string, vars map[string]string, conns int, warmup time.Duration) (*pgbenchSide, error) {
	file := filepath.Join(p.dir, name+".sql")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		return nil, err
	}
	args := []string{"-n", "-M", "prepared", "-f", file, "-c", strconv.Itoa(conns), "-j", strconv.Itoa(min(conns, 2))}
	for k, v := range vars {
		args = append(args, "-D", k+"="+v)
	}
	s := &pgbenchSide{p: p, args: args, prefix: filepath.Join(p.dir, fmt.Sprintf("%s-%d", name, conns)),
		seen: outcome{failures: map[string]int{}}}
	if _, _, err := s.runWarm(ctx, max(warmup, time.Second)); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *pgbenchSide) slice(ctx context.Context, d time.Duration) (window, error) {
	o, warmAt, err := s.runWarm(ctx, s.lead+d)
	if err != nil {
		return window{}, err
	}
	s.seen.add(o)
	return window{warmAt, warmAt.Add(o.elapsed)}, nil
}

// runWarm runs pgbench for d, and again for twice as long each time its connections did not
// all warm up before the run ended (a machine busy enough to slow their first transactions),
// until a run's lead passes maxPgbenchLead.
func (s *pgbenchSide) runWarm(ctx context.Context, d time.Duration) (outcome, time.Time, error) {
	for run := d; ; run *= 2 {
		o, warmAt, err := s.run(ctx, run)
		if err == nil || !errors.Is(err, errNotWarm) || run > maxPgbenchLead {
			return o, warmAt, err
		}
	}
}

// run runs pgbench for d and returns its warm window's outcome and start; it learns the run's
// lead.
func (s *pgbenchSide) run(ctx context.Context, d time.Duration) (outcome, time.Time, error) {
	s.runs++
	prefix := fmt.Sprintf("%s-%d", s.prefix, s.runs)
	began := time.Now()
	stdout, err := s.p.exec(ctx, slices.Concat(s.args, []string{"-T", wholeSeconds(d), "-l", "--log-prefix", prefix})...)
	if err != nil {
		return outcome{}, time.Time{}, err
	}
	o, warmAt, err := s.p.collect(stdout, prefix)
	if err != nil {
		return outcome{}, time.Time{}, err
	}
	s.lead = warmAt.Sub(began)
	return o, warmAt, nil
}

func (s *pgbenchSide) result() stats { return s.seen.stats() }

func (s *pgbenchSide) close() {}
