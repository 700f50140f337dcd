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

// PostgreSQL error codes that end or refuse the session itself, beside class 08 (connection
// exception), which is matched by prefix: the server is shutting down, crashed, is starting, or
// has no connection slot left.
var connectionLostPgCodes = map[string]bool{
	"57P01": true, // admin_shutdown
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now
	"53300": true, // too_many_connections
}

// PostgreSQL error codes that refuse one transaction for now, which the same transaction may
// pass on retry.
var transientPgCodes = map[string]bool{
	"40001": true, // serialization_failure
	"40P01": true, // deadlock_detected
	"57014": true, // query_canceled: statement_timeout, or a cancel request when the caller's deadline passed
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
	if errors.As(err, &pgErr) && transientPgCodes[pgErr.Code] {
		return true
	}
	var liteErr *gosqlite.Error
	if errors.As(err, &liteErr) {
		return isSQLiteBusy(err)
	}
	return isConnectionLost(err) ||
		// database/sql does not export the error it returns after Close.
		strings.Contains(err.Error(), "sql: database is closed")
}

// isSQLiteBusy reports whether err is SQLite's busy timeout running out while another connection
// held the write lock.
func isSQLiteBusy(err error) bool {
	var liteErr *gosqlite.Error
	if !errors.As(err, &liteErr) {
		return false
	}
	code := liteErr.Code() & 0xff
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

// isConnectionLost reports whether err means the connection to the database failed: it could
// not be opened, the server ended the session, the network dropped it, or a deadline cut a
// statement or a COMMIT short (pgx closes the connection then). The statement may or may not
// have taken effect. A new connection may succeed.
func isConnectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || connectionLostPgCodes[pgErr.Code]
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error // context.DeadlineExceeded is one too
	return errors.As(err, &connectErr) ||
		errors.As(err, &netErr) ||
		// pgx marks these safe to retry, "conn closed" among them. That is no proof the
		// statement was not sent: pgx v5.10 also answers "conn closed" when the connection
		// broke while it waited for the answer to a statement without arguments, COMMIT too.
		pgconn.SafeToRetry(err) ||
		// pgx's own deadline on a read or write of the connection.
		pgconn.Timeout(err) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) ||
		// The server closed the connection, between messages or in the middle of one.
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE)
}

// violatesUnique reports whether err is a violation of the named unique index. PostgreSQL names
// it in a field; SQLite names an expression index in its message ("UNIQUE constraint failed:
// index 'NAME'") and an index on plain columns by its columns (sqliteUniqueColumns).
func violatesUnique(err error, index string) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" && pgErr.ConstraintName == index
	}
	var liteErr *gosqlite.Error
	if errors.As(err, &liteErr) {
		named := "'" + index + "'"
		if columns, ok := sqliteUniqueColumns[index]; ok {
			named = "failed: " + columns + " "
		}
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE && strings.Contains(liteErr.Error()+" ", named)
	}
	return false
}

// violatesForeignKey reports whether err is a foreign key violation. SQLite does not say which
// key, so callers use it only where one key can fail.
// violatesLiveWorkspace reports whether err is SQLite's migration 0011 trigger refusing a live
// bucket in a deleted workspace; PostgreSQL's trigger answers a foreign key violation instead.
func violatesLiveWorkspace(err error) bool {
	var liteErr *gosqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_TRIGGER &&
		strings.Contains(liteErr.Error(), "workspace is deleted")
}

// violatesCurrentCredential reports whether err is migration 0013's trigger refusing a live
// bucket that uses a credential not live in its workspace at the version it names.
func violatesCurrentCredential(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "BD001"
	}
	var liteErr *gosqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_TRIGGER &&
		strings.Contains(liteErr.Error(), "credential changed")
}

// credentialChangedError is the answer to a bucket write that lost a race with a rotation or
// deletion of the credential it uses.
func credentialChangedError(credentialID string) error {
	return domain.Errorf(domain.KindConflict,
		"credential %s was rotated or deleted while this request ran; retry, and the bucket is validated with what it holds now", credentialID)
}

func violatesForeignKey(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var liteErr *gosqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
