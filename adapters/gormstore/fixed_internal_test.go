package gormstore

import "testing"

func TestNumberPlaceholders(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT ? , ?", "SELECT $1 , $2"},
		{"WHERE a = ? AND b IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "WHERE a = $1 AND b IN ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"},
		{"WHERE plan = 'what?' AND id = ?", "WHERE plan = 'what?' AND id = $1"},
		{"WHERE note = 'it''s ?' AND id = ?", "WHERE note = 'it''s ?' AND id = $1"},
		{`SELECT "odd?column" FROM t WHERE id = ?`, `SELECT "odd?column" FROM t WHERE id = $1`},
	} {
		if got := numberPlaceholders(tc.in); got != tc.want {
			t.Errorf("numberPlaceholders(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
