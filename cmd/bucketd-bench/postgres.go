package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// procStat is what the bench reads of /proc/PID/stat: the parent, the command name and the
// CPU times, the process's own (user, system) and that of the children it has waited for.
type procStat struct {
	ppid                         int
	comm                         string
	utime, stime, cutime, cstime time.Duration
}

func readProcStat(pid int) (procStat, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name, field 2, is in parentheses and may hold spaces; after the closing
	// parenthesis come the state, the parent (field 4), ... utime, stime, cutime and cstime
	// (fields 14 to 17).
	start, end := strings.IndexByte(string(raw), '('), strings.LastIndexByte(string(raw), ')')
	var fields []string
	if start >= 0 && end > start {
		fields = strings.Fields(string(raw[end+1:]))
	}
	if len(fields) < 15 {
		return procStat{}, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, raw)
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return procStat{}, fmt.Errorf("parse the parent in /proc/%d/stat: %w", pid, err)
	}
	s := procStat{ppid: ppid, comm: string(raw[start+1 : end])}
	for i, t := range []*time.Duration{&s.utime, &s.stime, &s.cutime, &s.cstime} {
		if *t, err = sumTicks(fields[11+i]); err != nil {
			return procStat{}, err
		}
	}
	return s, nil
}

// localPostmaster finds the process of the PostgreSQL server at dbURL on this machine: the
// parent of the backend serving a connection of the bench's own. It returns 0 when the server
// is not a process this machine shows (another host, another container).
func localPostmaster(ctx context.Context, dbURL string) (int, error) {
	postmaster := 0
	err := onOwnConnection(ctx, dbURL, "find PostgreSQL's server process", func(ctx context.Context, db *sql.DB) error {
		var backend int
		if err := db.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
			return err
		}
		// Read while the connection, and so the backend, is still open.
		st, err := readProcStat(backend)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil
		case err != nil:
			return err
		}
		if parent, err := readProcStat(st.ppid); err == nil && st.comm == "postgres" && parent.comm == "postgres" {
			postmaster = st.ppid
		}
		return nil
	})
	return postmaster, err
}

// postgresCPU reads the CPU time a PostgreSQL server has used so far, user and system: its
// postmaster's own, its live children's (backends, WAL writer, checkpointer, ...) and its
// exited children's, which the postmaster has waited for, so a backend that ends between two
// readings is still counted.
func postgresCPU(postmaster int) (time.Duration, error) {
	own, err := readProcStat(postmaster)
	if err != nil {
		return 0, fmt.Errorf("read PostgreSQL's server process: %w", err)
	}
	total := own.utime + own.stime + own.cutime + own.cstime
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// A process that exited since ReadDir is no longer a live child: skip it.
		if st, err := readProcStat(pid); err == nil && st.ppid == postmaster {
			total += st.utime + st.stime
		}
	}
	return total, nil
}
