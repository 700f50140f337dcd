package gormstore

import (
	"database/sql"
	"errors"
	"fmt"
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
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, domain.KindUnavailable},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), domain.KindUnavailable},
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
