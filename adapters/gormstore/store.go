// Package gormstore keeps organizations, users, API token digests, buckets and the answers to
// Idempotency-Keys in PostgreSQL (production) or pure-Go SQLite (the embedded default) through
// GORM. One Store implements ports.BucketStore, ports.IdempotencyStore, ports.Authenticator and
// the administration ports (ports.Organizations, ports.Workspaces, ports.Users, ports.Tokens) on
// either database; the schema comes from versioned SQL migrations embedded in the binary.
package gormstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/ports"
)

var (
	_ ports.BucketStore      = (*Store)(nil)
	_ ports.IdempotencyStore = (*Store)(nil)
	_ ports.Authenticator    = (*Store)(nil)
	_ ports.Organizations    = (*Store)(nil)
	_ ports.Workspaces       = (*Store)(nil)
	_ ports.Users            = (*Store)(nil)
	_ ports.Tokens           = (*Store)(nil)
)

// Store is a database connection pool with bucketd's queries. It is safe for concurrent use, and
// any number of Stores in any number of processes may share one database: every correctness
// rule (quota, unique names, one claim per Idempotency-Key) is enforced by the database, not
// in memory.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect dialect
	log     *slog.Logger
	slow    slowQueryLogger
	audit   *auditBatcher
}

// Option tunes Open.
type Option func(*options)

type options struct {
	logger        *slog.Logger
	maxOpenConns  int
	slowThreshold time.Duration
}

// defaultMaxOpenConns keeps a few bucketd processes well inside PostgreSQL's default limit of
// 100 connections.
const defaultMaxOpenConns = 20

// defaultSlowQuery is when a query is worth a warning: far beyond an indexed lookup, yet above
// the ordinary wait for another request's quota lock.
const defaultSlowQuery = 500 * time.Millisecond

// WithLogger sends slow-query warnings and migration notices to l. Queries are logged with
// their placeholders only, never with bind values, because those can be token digests and
// sealed credentials. Without this option the store logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithMaxOpenConns caps the PostgreSQL connection pool, so that the processes sharing one
// server stay within its max_connections. It has no effect on SQLite, whose file allows one
// writer at a time whatever the pool size.
func WithMaxOpenConns(n int) Option {
	return func(o *options) { o.maxOpenConns = n }
}

// WithSlowQueryThreshold sets how long a query may take before WithLogger's logger gets a
// warning about it (default 500ms).
func WithSlowQueryThreshold(d time.Duration) Option {
	return func(o *options) { o.slowThreshold = d }
}

// Open connects to the database named by databaseURL and checks that it answers:
//
//	postgres://user:password@host:5432/dbname?sslmode=disable  (or postgresql://)
//	sqlite://relative/path.db, sqlite:///absolute/path.db       (the parent directory is created)
//	sqlite::memory: or sqlite://:memory:                        (one connection, gone on Close)
//
// It does not migrate; call Migrate. An unreachable database is a KindUnavailable error.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	o := options{
		logger:        slog.New(slog.DiscardHandler),
		maxOpenConns:  defaultMaxOpenConns,
		slowThreshold: defaultSlowQuery,
	}
	for _, opt := range opts {
		opt(&o)
	}
	target, err := parseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	slow := newSlowQueryLogger(o.logger, o.slowThreshold)
	db, err := gorm.Open(target.dialector(), &gorm.Config{
		Logger:                 slow,
		SkipDefaultTransaction: true, // every multi-statement write opens its own transaction
		DisableAutomaticPing:   true, // Open pings below, with the caller's context
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("open %s database", target.dialect), err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", target.dialect, err)
	}
	target.configurePool(sqlDB, o.maxOpenConns)
	s := &Store{db: db, sqlDB: sqlDB, dialect: target.dialect, log: o.logger, slow: slow}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	s.audit = newAuditBatcher(s)
	return s, nil
}

// Close releases every connection. An in-memory SQLite database is gone afterwards.
func (s *Store) Close() error {
	s.audit.close()
	if err := s.sqlDB.Close(); err != nil {
		return fmt.Errorf("close %s database: %w", s.dialect, err)
	}
	return nil
}

// Ping checks that the database answers, for readiness probes. Failure is KindUnavailable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return unavailable(fmt.Errorf("ping %s database: %w", s.dialect, err))
	}
	return nil
}
