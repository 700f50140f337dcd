package main

import (
	"database/sql"
	"testing"
	"time"
)

// TestPostgresCPUCountsExitedBackends finds the test server's postmaster, burns about 300 ms of
// CPU in one backend and closes its connection: postgresCPU must have grown by at least that
// backend's CPU time though the backend has exited by the second reading. (Other sessions'
// work only adds to the growth; run alone, the test fails if exited backends are not counted.)
func TestPostgresCPUCountsExitedBackends(t *testing.T) {
	dsn := postgresDSN(t)
	postmaster, err := localPostmaster(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if postmaster == 0 {
		t.Fatal("localPostmaster found no server process; the tests' PostgreSQL runs on this machine")
	}
	before, err := postgresCPU(postmaster)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	var backend int
	if err := db.QueryRowContext(t.Context(), "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		t.Fatal(err)
	}
	// The queries run until the backend has burnt 300 ms of CPU by its own account, not for
	// 300 ms of wall time, so a machine busy with other work slows the test without failing it.
	const burn = 300 * time.Millisecond
	var burnt time.Duration
	for giveUp := time.Now().Add(time.Minute); burnt < burn; {
		if _, err := db.ExecContext(t.Context(), "SELECT count(*) FROM generate_series(1, 200000)"); err != nil {
			t.Fatal(err)
		}
		st, err := readProcStat(backend)
		if err != nil {
			t.Fatal(err)
		}
		burnt = st.utime + st.stime
		if time.Now().After(giveUp) {
			t.Fatalf("the backend used %v of CPU in a minute of queries; want %v", burnt, burn)
		}
	}
	_ = db.Close()
	// The postmaster waits for an exited child soon after it exits, not at once.
	deadline := time.Now().Add(5 * time.Second)
	for {
		after, err := postgresCPU(postmaster)
		if err != nil {
			t.Fatal(err)
		}
		_, alive := readProcStat(backend)
		if used := after - before; alive != nil && used >= burnt {
			if used > 60*time.Second {
				t.Fatalf("PostgreSQL used %v of CPU during the test; a wrong unit?", used)
			}
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL's CPU grew by %v while a backend, since exited (read error %v), used %v", used, alive, burnt)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
