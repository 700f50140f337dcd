package gormstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// migrationFiles holds one directory of numbered SQL files per dialect
// (migrations/postgres/0001_init.sql ...). A file, once released, never changes: a schema change
// is a new file with the next number, written for both dialects.
//
//go:embed migrations
var migrationFiles embed.FS

// migrationLockKey names the PostgreSQL advisory lock that serializes migrations of concurrently
// starting processes. It is "bucketd" in ASCII.
const migrationLockKey int64 = 0x6275636b657464

// schemaMigrationsDDL creates the table that records applied versions.
var schemaMigrationsDDL = map[dialect]string{
	dialectPostgres: "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL)",
	dialectSQLite:   "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at DATETIME NOT NULL)",
}

type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies the embedded migrations the database has not recorded yet, in version order,
// each in a transaction of its own together with its schema_migrations row, then computes what
// SQL cannot: the name key of every bucket that has none (fillNameKeys). Running it again
// changes nothing. Processes migrating one database at the same time take turns: PostgreSQL
// through an advisory lock held until each transaction ends, SQLite through its write lock.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.applyMigrations(ctx, math.MaxInt); err != nil {
		return err
	}
	return s.fillNameKeys(ctx)
}

// applyMigrations applies the migrations up to version through that are not recorded yet.
func (s *Store) applyMigrations(ctx context.Context, through int) error {
	migrations, err := loadMigrations(migrationFiles, s.dialect)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if m.version > through {
			break
		}
		applied, err := s.applyPatiently(ctx, m)
		if err != nil {
			return wrap("apply migration "+m.name, err)
		}
		if applied {
			s.log.InfoContext(ctx, "applied database migration", "dialect", s.dialect, "migration", m.name)
		}
	}
	return nil
}

// migrationBusyPatience is how long a migration keeps trying while SQLite reports the database
// busy. Several processes started on one SQLite file migrate at once, and SQLite's busy handler
// is not fair: on a loaded machine one of them can wait out the busy timeout while the others
// take turns. PostgreSQL queues on its advisory lock instead and never answers busy.
const migrationBusyPatience = time.Minute

// applyPatiently is apply, tried again while SQLite answers busy, for up to
// migrationBusyPatience.
func (s *Store) applyPatiently(ctx context.Context, m migration) (bool, error) {
	deadline := time.Now().Add(migrationBusyPatience)
	for {
		applied, err := s.apply(ctx, m)
		if err == nil || !isSQLiteBusy(err) || time.Now().After(deadline) {
			return applied, err
		}
		select {
		case <-ctx.Done():
			return false, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// apply runs one migration unless it is recorded already, and reports whether it ran.
func (s *Store) apply(ctx context.Context, m migration) (applied bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockMigrations(tx); err != nil {
			return err
		}
		if err := tx.Exec(schemaMigrationsDDL[s.dialect]).Error; err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var recorded int64
		if err := tx.Table("schema_migrations").Where("version = ?", m.version).Count(&recorded).Error; err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if recorded > 0 {
			return nil
		}
		// The file goes to the driver untouched: GORM would read '?' and '@' in it as placeholders.
		if _, err := tx.Statement.ConnPool.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		err := tx.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", m.version, time.Now().UTC()).Error
		if err != nil {
			return fmt.Errorf("record migration: %w", err)
		}
		applied = true
		return nil
	})
	return applied, err
}

// lockMigrations makes the transaction tx wait for, and then hold until it ends, the right to
// migrate: PostgreSQL's advisory lock; on SQLite every transaction already holds the database's
// write lock from its start.
func (s *Store) lockMigrations(tx *gorm.DB) error {
	if s.dialect != dialectPostgres {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLockKey).Error; err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	return nil
}

// loadMigrations reads the dialect's migrations sorted by version. File names are
// NNNN_description.sql; a malformed name or a repeated version is an error, so a broken
// release fails its tests rather than a production start.
func loadMigrations(files fs.FS, d dialect) ([]migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s migrations: %w", d, err)
	}
	var out []migration
	for _, e := range entries {
		digits, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(digits)
		if !ok || err != nil || version <= 0 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s/%s is not named NNNN_description.sql", dir, e.Name())
		}
		body, err := fs.ReadFile(files, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: version, name: e.Name(), sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}
