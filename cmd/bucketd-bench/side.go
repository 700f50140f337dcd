package main

import (
	"context"
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
	// slice measures d more of the side's load and adds it to what the side has measured.
	slice(ctx context.Context, d time.Duration) error
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

func (s *httpSide) slice(ctx context.Context, d time.Duration) error {
	s.seen.add(s.g.run(ctx, d))
	return ctx.Err()
}

func (s *httpSide) result() stats { return s.seen.stats() }

func (s *httpSide) close() { s.g.close() }

// pgbenchSide runs a pgbench script, one pgbench run per slice; each run's per-transaction log
// gives the latencies. pgbench counts time in whole seconds, so a slice lasts at least one.
type pgbenchSide struct {
	p      pgbench
	args   []string
	prefix string
	slices int
	seen   outcome
}

// start writes the script, runs it for warmup (rounded up to a whole second) unmeasured, and
// returns the side.
func (p pgbench) start(ctx context.Context, name, script string, vars map[string]string, conns int, warmup time.Duration) (*pgbenchSide, error) {
	file := filepath.Join(p.dir, name+".sql")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		return nil, err
	}
	args := []string{"-n", "-M", "prepared", "-f", file, "-c", strconv.Itoa(conns), "-j", strconv.Itoa(min(conns, 2))}
	for k, v := range vars {
		args = append(args, "-D", k+"="+v)
	}
	if warmup > 0 {
		if _, err := p.exec(ctx, slices.Concat(args, []string{"-T", wholeSeconds(warmup)})...); err != nil {
			return nil, err
		}
	}
	return &pgbenchSide{p: p, args: args, prefix: filepath.Join(p.dir, fmt.Sprintf("%s-%d", name, conns)),
		seen: outcome{failures: map[string]int{}}}, nil
}

func (s *pgbenchSide) slice(ctx context.Context, d time.Duration) error {
	s.slices++
	prefix := fmt.Sprintf("%s-%d", s.prefix, s.slices)
	stdout, err := s.p.exec(ctx, slices.Concat(s.args, []string{"-T", wholeSeconds(d), "-l", "--log-prefix", prefix})...)
	if err != nil {
		return err
	}
	o, err := s.p.collect(stdout, prefix)
	if err != nil {
		return err
	}
	s.seen.add(o)
	return nil
}

func (s *pgbenchSide) result() stats { return s.seen.stats() }

func (s *pgbenchSide) close() {}
