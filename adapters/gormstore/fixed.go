package gormstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// fixedStatement is SQL whose text never changes, in the form each dialect takes. The
// statements every API request runs (authentication, the read of one bucket, a create's checks
// and its insert) go to the connection pool as fixed statements rather than through GORM, which
// on every call clones its statement state, runs its callback chain and rewrites the
// placeholders byte by byte, a share of the garbage and the CPU time of every GET /bucket/{id}
// that make bench's profiles showed (see docs/performance.md). pgx's statement cache prepares
// them once per connection either way, and slow ones are logged as GORM's are.
type fixedStatement struct {
	postgres, sqlite string
}

// fixed takes SQL written with GORM's ? placeholders and makes each dialect's form of it:
// PostgreSQL's numbered $1, $2, ... and SQLite's ? as written. A ? inside a quoted literal or
// identifier is left alone.
func fixed(query string) fixedStatement {
	return fixedStatement{postgres: numberPlaceholders(query), sqlite: query}
}

// numberPlaceholders replaces every ? outside quotes with $1, $2, ... in order.
func numberPlaceholders(query string) string {
	var out strings.Builder
	out.Grow(len(query) + len(query)/8)
	n := 0
	var quote byte // the quote character of the literal or identifier being copied, or 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			// A doubled quote inside a literal ends it and opens it again: same result.
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			out.WriteString("$" + strconv.Itoa(n))
			continue
		}
		out.WriteByte(c)
	}
	return out.String()
}

// text is f in the store's dialect.
func (s *Store) text(f fixedStatement) string {
	if s.dialect == dialectPostgres {
		return f.postgres
	}
	return f.sqlite
}

// queryFixed runs f and returns its rows.
func (s *Store) queryFixed(ctx context.Context, f fixedStatement, args ...any) (*sql.Rows, error) {
	begin := time.Now()
	rows, err := s.sqlDB.QueryContext(ctx, s.text(f), args...)
	s.traceFixed(ctx, begin, f, err)
	return rows, err
}

// queryRowFixed runs f, which returns at most one row; as with sql.DB.QueryRowContext, an error
// surfaces at Scan.
func (s *Store) queryRowFixed(ctx context.Context, f fixedStatement, args ...any) *sql.Row {
	begin := time.Now()
	row := s.sqlDB.QueryRowContext(ctx, s.text(f), args...)
	s.traceFixed(ctx, begin, f, row.Err())
	return row
}

// traceFixed hands a fixed statement's duration to the slow-query logger, with its text and
// never its arguments.
func (s *Store) traceFixed(ctx context.Context, begin time.Time, f fixedStatement, err error) {
	s.slow.Trace(ctx, begin, func() (string, int64) { return s.text(f), -1 }, err)
}
