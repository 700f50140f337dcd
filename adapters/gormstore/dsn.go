package gormstore

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
)

// dialect names the database family behind a Store.
type dialect string

const (
	dialectPostgres dialect = "postgres"
	dialectSQLite   dialect = "sqlite"
)

// rowLock is the clause that makes a SELECT in a transaction lock the rows it reads until the
// transaction ends: FOR UPDATE on PostgreSQL; nothing on SQLite, whose transactions are
// immediate and so hold the database's write lock from their start.
func (d dialect) rowLock() string {
	if d == dialectPostgres {
		return " FOR UPDATE"
	}
	return ""
}

// sqlitePragmas apply to every SQLite connection. WAL lets readers run beside the one writer;
// the busy timeout makes a writer wait for the lock instead of failing at once; immediate
// transactions take the write lock at BEGIN, which serializes quota checks the way PostgreSQL's
// row lock does. _time_format must stay unset: in glebarez/go-sqlite v1.21.2 it makes the
// driver skip _txlock.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"

const acceptedURLs = "postgres://USER@HOST:PORT/DB (or postgresql://), sqlite://PATH or sqlite::memory:"

// target is a parsed database URL.
type target struct {
	dialect dialect
	dsn     string
	memory  bool
}

// parseDatabaseURL maps the URL forms Open accepts to a driver DSN. The error never repeats the
// URL, because a PostgreSQL URL may carry a password.
func parseDatabaseURL(databaseURL string) (target, error) {
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return target{dialect: dialectPostgres, dsn: databaseURL}, nil
	case databaseURL == "sqlite::memory:", databaseURL == "sqlite://:memory:":
		return target{dialect: dialectSQLite, dsn: ":memory:?" + sqlitePragmas, memory: true}, nil
	case strings.HasPrefix(databaseURL, "sqlite://"):
		path := strings.TrimPrefix(databaseURL, "sqlite://")
		// The driver reads everything after '?' as its own options.
		if path == "" || strings.Contains(path, "?") {
			return target{}, domain.Errorf(domain.KindInvalidInput,
				"a sqlite database URL is sqlite://PATH with a file path and no query (bucketd sets the connection options itself)")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return target{}, fmt.Errorf("create directory for sqlite database: %w", err)
		}
		return target{dialect: dialectSQLite, dsn: path + "?" + sqlitePragmas}, nil
	}
	if u, err := url.Parse(databaseURL); err == nil && u.Scheme != "" {
		return target{}, domain.Errorf(domain.KindInvalidInput,
			"database URL scheme %q is not supported; use %s", u.Scheme, acceptedURLs)
	}
	return target{}, domain.Errorf(domain.KindInvalidInput, "database URL has no scheme; use %s", acceptedURLs)
}

func (t target) dialector() gorm.Dialector {
	if t.dialect == dialectPostgres {
		return postgres.New(postgres.Config{DSN: t.dsn})
	}
	return sqlite.Open(t.dsn)
}

// configurePool sizes the pool. Every connection to ":memory:" would open a database of its
// own, so an in-memory store keeps exactly one connection.
func (t target) configurePool(db *sql.DB, maxOpen int) {
	switch {
	case t.memory:
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	case t.dialect == dialectPostgres:
		// Every open connection may stay idle: a pool that closes connections beyond an idle
		// limit under load opens them again a moment later, and each opening costs a TCP
		// handshake, authentication and a new PostgreSQL backend process. The idle time limit
		// still closes what a burst opened once it is over.
		db.SetMaxOpenConns(maxOpen)
		db.SetMaxIdleConns(maxOpen)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
}
