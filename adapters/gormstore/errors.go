package gormstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/bucketd/bucketd/domain"
)

// unavailableMessage is what a caller sees when the database cannot be reached; the cause goes
// to the log.
const unavailableMessage = "database unavailable; retry shortly"

// PostgreSQL error codes that mean "the server cannot serve this now" rather than "this
// statement is wrong". Class 08 (connection exception) is matched by prefix.
var unavailablePgCodes = map[string]bool{
	"57P01": true, // admin_shutdown
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now
	"53300": true, // too_many_connections
	"40001": true, // serialization_failure
	"40P01": true, // deadlock_detected
}

// wrap adds the operation to err and classifies it once: a domain error passes through as it
// is, an infrastructure failure becomes KindUnavailable, anything else stays unclassified
// (internal). Driver messages name constraints and columns, never bind values.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	err = fmt.Errorf("%s: %w", op, err)
	if isUnavailable(err) {
		return unavailable(err)
	}
	return err
}

func unavailable(err error) error {
	return domain.Wrap(domain.KindUnavailable, err, unavailableMessage)
}

// isUnavailable reports whether err means the database could not be reached or could not
// serve the statement right now, so the same request may succeed on retry.
func isUnavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || unavailablePgCodes[pgErr.Code]
	}
	var liteErr *gosqlite.Error
	if errors.As(err, &liteErr) {
		// The busy timeout ran out while another connection held the write lock.
		code := liteErr.Code() & 0xff
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) ||
		errors.As(err, &netErr) ||
		pgconn.SafeToRetry(err) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) ||
		// database/sql does not export the error it returns after Close.
		strings.Contains(err.Error(), "sql: database is closed")
}

// violatesUnique reports whether err is a violation of the named unique index. SQLite names an
// expression index in its message ("UNIQUE constraint failed: index 'NAME'"); PostgreSQL names
// it in a field.
func violatesUnique(err error, index string) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" && pgErr.ConstraintName == index
	}
	var liteErr *gosqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE && strings.Contains(liteErr.Error(), "'"+index+"'")
	}
	return false
}

// violatesForeignKey reports whether err is a foreign key violation. SQLite does not say which
// key, so callers use it only where one key can fail.
func violatesForeignKey(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var liteErr *gosqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
