// Package storetest gives tests in any package real, migrated gormstore databases: a SQLite
// file in the test's temporary directory always, and a PostgreSQL database of the test's own
// when BUCKETD_TEST_POSTGRES_DSN names a server. A test that wants both writes
//
//	storetest.ForEachBackend(t, func(t *testing.T, url string) {
//		store := storetest.Open(t, url)
//		org := storetest.Seed(t, store, porttest.OrgSpec{})
//		...
//	})
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/testsupport/porttest"
)

// PostgresDSNEnv names the environment variable with the PostgreSQL server tests may use. The
// URL's database is only connected to, to create and drop the tests' own databases.
const PostgresDSNEnv = "BUCKETD_TEST_POSTGRES_DSN"

const postgresNotRun = "PostgreSQL tests NOT run: set " + PostgresDSNEnv +
	"=postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// adminTimeout bounds creating or dropping a test database.
const adminTimeout = 30 * time.Second

var announceOnce sync.Once

// Runner is *testing.T or *testing.B: anything with subtests of its own type.
type Runner[R any] interface {
	testing.TB
	Run(name string, f func(R)) bool
}

// ForEachBackend runs fn as subtest "sqlite" on a fresh SQLite file and as subtest "postgres"
// on a fresh PostgreSQL database (see PostgresURL). Each URL is unmigrated and used by nothing
// else; storetest.Open migrates it.
func ForEachBackend[R Runner[R]](t R, fn func(t R, databaseURL string)) {
	t.Helper()
	t.Run("sqlite", func(t R) { fn(t, SQLiteURL(t)) })
	t.Run("postgres", func(t R) { fn(t, PostgresURL(t)) })
}

// SQLiteURL returns the URL of a SQLite database file in the test's temporary directory.
func SQLiteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "bucketd.db")
}

// PostgresURL creates a database with a unique name on the server named by
// BUCKETD_TEST_POSTGRES_DSN, returns its URL and drops it when the test ends. An unreachable
// server fails the test. Without the variable the test is skipped, and the first skip in the
// test binary says so on stderr, so a run without PostgreSQL never looks like a full one; on CI
// (CI set) the missing variable fails the test instead.
func PostgresURL(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresDSNEnv)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(postgresNotRun + " (CI must provide PostgreSQL)")
		}
		announceOnce.Do(func() { fmt.Fprintln(os.Stderr, postgresNotRun) })
		t.Skip(postgresNotRun)
	}
	server, err := url.Parse(dsn)
	if err != nil || (server.Scheme != "postgres" && server.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable", PostgresDSNEnv)
	}
	name := "bucketd_test_" + randomHex(8)
	adminExec(t, dsn, "CREATE DATABASE "+name)
	t.Cleanup(func() { adminExec(t, dsn, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	db := *server
	db.Path = "/" + name
	return db.String()
}

// adminExec runs one statement on the server's maintenance connection.
func adminExec(t testing.TB, dsn, statement string) {
	t.Helper()
	redacted := redactedDSN(dsn)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", redacted, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if _, err := db.ExecContext(ctx, statement); err != nil {
		t.Fatalf("%s on %s (from %s): %v", statement, redacted, PostgresDSNEnv, err)
	}
}

func redactedDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "an unparsable URL"
	}
	return u.Redacted()
}

// Open opens and migrates a store on databaseURL and closes it when the test ends. Call it
// again with the same URL for a second, independent instance, as another process would have.
func Open(t testing.TB, databaseURL string, opts ...gormstore.Option) *gormstore.Store {
	t.Helper()
	store, err := gormstore.Open(t.Context(), databaseURL, opts...)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	if err := store.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate store: %v", err)
	}
	return store
}

// Seed creates an organization with one workspace, an admin who is a member of it, and a
// never-expiring admin token; spec sets the plan, the bucket limit and the admin's email.
func Seed(t testing.TB, store *gormstore.Store, spec porttest.OrgSpec) porttest.SeededOrg {
	t.Helper()
	return porttest.SeedOrganization(t, store, spec)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b)
}
