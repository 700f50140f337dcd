package gormstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bucketd/bucketd/domain"
)

func TestWrapClassifies(t *testing.T) {
	closed, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	_ = closed.Close()
	closedErr := closed.Ping()

	nameTaken := nameTakenError("Photos")
	for _, tc := range []struct {
		what string
		err  error
		want domain.Kind
	}{
		{"PostgreSQL admin shutdown", &pgconn.PgError{Code: "57P01"}, domain.KindUnavailable},
		{"PostgreSQL connection failure", &pgconn.PgError{Code: "08006"}, domain.KindUnavailable},
		{"PostgreSQL too many connections", &pgconn.PgError{Code: "53300"}, domain.KindUnavailable},
		{"PostgreSQL deadlock", &pgconn.PgError{Code: "40P01"}, domain.KindUnavailable},
		{"PostgreSQL unique violation", &pgconn.PgError{Code: "23505"}, domain.KindInternal},
		{"PostgreSQL syntax error", &pgconn.PgError{Code: "42601"}, domain.KindInternal},
		{"PostgreSQL statement canceled", &pgconn.PgError{Code: "57014"}, domain.KindUnavailable},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, domain.KindUnavailable},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), domain.KindUnavailable},
		{"broken pipe", fmt.Errorf("write failed: %w", syscall.EPIPE), domain.KindUnavailable},
		{"server closed the connection between messages", fmt.Errorf("receive message: %w", io.EOF), domain.KindUnavailable},
		{"server closed the connection inside a message", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), domain.KindUnavailable},
		{"pgx connection already closed", fmt.Errorf("begin: %w", pgconn.ErrConnClosed), domain.KindUnavailable},
		{"database/sql bad connection", driver.ErrBadConn, domain.KindUnavailable},
		{"database/sql connection done", sql.ErrConnDone, domain.KindUnavailable},
		{"statement deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), domain.KindUnavailable},
		{"closed pool", closedErr, domain.KindUnavailable},
		{"anything else", errors.New("boom"), domain.KindInternal},
		{"a domain error", nameTaken, domain.KindNameTaken},
	} {
		got := wrap("do things", tc.err)
		if domain.KindOf(got) != tc.want {
			t.Errorf("%s: wrap = %v (kind %s); want kind %s", tc.what, got, domain.KindOf(got), tc.want)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("%s: wrap lost the cause: %v", tc.what, got)
		}
	}
	if wrap("do things", nameTaken) != nameTaken {
		t.Error("wrap changed a domain error; it must pass through unchanged")
	}
	if wrap("do things", nil) != nil {
		t.Error("wrap(nil) != nil")
	}
}

// TestConnectionLostIsTheRetryableSubset checks what InsertWithinQuota retries: failures of the
// connection itself, whose statement may or may not have run, but not a busy or refused
// transaction or a closed pool. A passed deadline counts as lost: pgx closes the connection it
// cut short, and the retry loop itself stops at the caller's deadline.
func TestConnectionLostIsTheRetryableSubset(t *testing.T) {
	closed, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	_ = closed.Close()
	for _, tc := range []struct {
		what string
		err  error
		want bool
	}{
		{"PostgreSQL connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"PostgreSQL admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"PostgreSQL too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"EOF", fmt.Errorf("receive message: %w", io.EOF), true},
		{"unexpected EOF", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"pgx connection already closed", fmt.Errorf("commit: %w", pgconn.ErrConnClosed), true},
		{"database/sql bad connection", driver.ErrBadConn, true},
		{"PostgreSQL serialization failure", &pgconn.PgError{Code: "40001"}, false},
		{"PostgreSQL unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"statement deadline", fmt.Errorf("commit: %w", context.DeadlineExceeded), true},
		{"closed pool", closed.Ping(), false},
		{"anything else", errors.New("boom"), false},
	} {
		if got := isConnectionLost(tc.err); got != tc.want {
			t.Errorf("%s: isConnectionLost(%v) = %t, want %t", tc.what, tc.err, got, tc.want)
		}
	}
}
