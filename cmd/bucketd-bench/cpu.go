package main

import (
	"sync"
	"time"
)

// cpuSplit is CPU time spent by the whole machine and, of it, by the bench's own process (the
// load generator and the S3 stub), by bucketd and by the PostgreSQL server.
type cpuSplit struct{ machine, bench, bucketd, postgres time.Duration }

// cpuPIDs are the processes a cpuSplit follows; postmaster is 0 when PostgreSQL runs elsewhere.
type cpuPIDs struct{ bench, bucketd, postmaster int }

func readCPUSplit(pids cpuPIDs) (c cpuSplit, err error) {
	if c.machine, err = machineBusy(); err != nil {
		return cpuSplit{}, err
	}
	if c.bench, err = cpuTime(pids.bench); err != nil {
		return cpuSplit{}, err
	}
	if c.bucketd, err = cpuTime(pids.bucketd); err != nil {
		return cpuSplit{}, err
	}
	if pids.postmaster != 0 {
		c.postgres, err = postgresCPU(pids.postmaster)
	}
	return c, err
}

// add adds d to c.
func (c *cpuSplit) add(d cpuSplit) {
	c.machine += d.machine
	c.bench += d.bench
	c.bucketd += d.bucketd
	c.postgres += d.postgres
}

// toward is c moved the fraction f of the way to d.
func (c cpuSplit) toward(d cpuSplit, f float64) cpuSplit {
	step := func(a, b time.Duration) time.Duration { return a + time.Duration(f*float64(b-a)) }
	return cpuSplit{step(c.machine, d.machine), step(c.bench, d.bench), step(c.bucketd, d.bucketd), step(c.postgres, d.postgres)}
}

// cpuSampleInterval is how often a cpuSampler reads the CPU times. Reading them all (every
// PostgreSQL process's among them) costs the bench's process well under a millisecond, the same
// for every side.
const cpuSampleInterval = 50 * time.Millisecond

// cpuSampler reads the CPU times while a slice runs, so that the time spent within the slice's
// measured window can be told afterwards: for a pgbench run, only its warm window (see
// pgbenchSide), not the connecting and warming up before it.
type cpuSampler struct {
	pids    cpuPIDs
	stop    chan struct{}
	wg      sync.WaitGroup
	samples []cpuSample // in time order; the goroutine appends until stop closes
	err     error
}

type cpuSample struct {
	at    time.Time
	split cpuSplit
}

// startCPUSampler takes the first reading, then one every cpuSampleInterval until finish.
func startCPUSampler(pids cpuPIDs) (*cpuSampler, error) {
	s := &cpuSampler{pids: pids, stop: make(chan struct{})}
	if err := s.sample(); err != nil {
		return nil, err
	}
	s.wg.Go(func() {
		tick := time.NewTicker(cpuSampleInterval)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				if err := s.sample(); err != nil {
					s.err = err
					return
				}
			}
		}
	})
	return s, nil
}

func (s *cpuSampler) sample() error {
	c, err := readCPUSplit(s.pids)
	if err == nil {
		s.samples = append(s.samples, cpuSample{at: time.Now(), split: c})
	}
	return err
}

// finish stops the sampling and takes the last reading.
func (s *cpuSampler) finish() error {
	close(s.stop)
	s.wg.Wait()
	if s.err != nil {
		return s.err
	}
	return s.sample()
}

// between is the CPU time spent in w, each end read between the two samples around it, as if
// the time were spent evenly between them. Ends outside the sampled time count as its first or
// last reading.
func (s *cpuSampler) between(w window) cpuSplit {
	from, to := s.at(w.from), s.at(w.to)
	return cpuSplit{to.machine - from.machine, to.bench - from.bench, to.bucketd - from.bucketd, to.postgres - from.postgres}
}

func (s *cpuSampler) at(t time.Time) cpuSplit {
	for i := 1; i < len(s.samples); i++ {
		before, after := s.samples[i-1], s.samples[i]
		if t.After(after.at) {
			continue
		}
		if !t.After(before.at) {
			return before.split
		}
		return before.split.toward(after.split, float64(t.Sub(before.at))/float64(after.at.Sub(before.at)))
	}
	return s.samples[len(s.samples)-1].split
}
