package main_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite"  // registers the "sqlite" database/sql driver
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// dbTimeout bounds every direct query of a test.
const dbTimeout = 30 * time.Second

// openDB opens the database behind a bucketd database URL directly, bypassing bucketd, so tests
// see exactly what it stored.
func openDB(t testing.TB, databaseURL string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", databaseURL
	if path, ok := strings.CutPrefix(databaseURL, "sqlite://"); ok {
		driver, dsn = "sqlite", path+"?_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s database: %v", driver, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// countBuckets counts the rows of the buckets table that belong to orgID.
func countBuckets(t testing.TB, databaseURL, orgID string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
	defer cancel()
	var n int
	if err := openDB(t, databaseURL).QueryRowContext(ctx, "SELECT count(*) FROM buckets WHERE org_id = $1", orgID).Scan(&n); err != nil {
		t.Fatalf("count buckets of organization %s: %v", orgID, err)
	}
	return n
}

// cell is one value of one row, in the bytes the database returned.
type cell struct {
	table, column string
	row           int
	value         []byte
}

// allCells reads every column of every row of every table of the database and returns the
// number of rows per table.
func allCells(t testing.TB, databaseURL string) ([]cell, map[string]int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
	defer cancel()
	db := openDB(t, databaseURL)
	listTables := "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	if strings.HasPrefix(databaseURL, "sqlite://") {
		listTables = "SELECT name FROM sqlite_master WHERE type = 'table'"
	}
	tables, err := queryStrings(ctx, db, listTables)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var cells []cell
	rowsPerTable := map[string]int{}
	for _, table := range tables {
		got, n, err := tableCells(ctx, db, table)
		if err != nil {
			t.Fatalf("read table %s: %v", table, err)
		}
		cells = append(cells, got...)
		rowsPerTable[table] = n
	}
	return cells, rowsPerTable
}

func queryStrings(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// tableCells reads every cell of table; text, blobs and everything else alike end up as bytes.
func tableCells(ctx context.Context, db *sql.DB, table string) ([]cell, int, error) {
	rows, err := db.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return nil, 0, err
	}
	var cells []cell
	n := 0
	for ; rows.Next(); n++ {
		values := make([]any, len(columns))
		ptrs := make([]any, len(columns))
		for i := range values {
			ptrs[i] = &values[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, 0, err
		}
		for i, v := range values {
			cells = append(cells, cell{table: table, column: columns[i], row: n, value: cellBytes(v)})
		}
	}
	return cells, n, rows.Err()
}

func cellBytes(v any) []byte {
	switch v := v.(type) {
	case nil:
		return nil
	case []byte:
		return v
	case string:
		return []byte(v)
	default:
		return fmt.Append(nil, v)
	}
}
