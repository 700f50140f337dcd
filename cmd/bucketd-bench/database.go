package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// dbTimeout bounds one statement of the bench's own: creating or dropping the database, a read.
const dbTimeout = 30 * time.Second

// benchDB is the database of one run, on the server the user named.
type benchDB struct {
	name string
	// url is the bench database's URL; serverURL the one the user gave, used only to create
	// and drop it.
	url, serverURL string
}

// databasePrefix starts the name of every database the bench creates.
const databasePrefix = "bucketd_bench_"

// createDatabase creates a database with a fresh name on the server of serverURL.
func createDatabase(ctx context.Context, serverURL string) (*benchDB, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("--database-url must be a postgres:// URL such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	name := databasePrefix + hex.EncodeToString(b)
	if err := execSQL(ctx, serverURL, "CREATE DATABASE "+name); err != nil {
		return nil, err
	}
	db := *u
	db.Path = "/" + name
	return &benchDB{name: name, url: db.String(), serverURL: serverURL}, nil
}

// drop drops the database, closing whatever connections are left; it runs on interrupt too,
// so it takes no context of the run's.
func (d *benchDB) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	return execSQL(ctx, d.serverURL, "DROP DATABASE IF EXISTS "+d.name+" WITH (FORCE)")
}

// execSQL runs one statement on a connection of its own.
func execSQL(ctx context.Context, dbURL, statement string, args ...any) error {
	return onOwnConnection(ctx, dbURL, statement, func(ctx context.Context, db *sql.DB) error {
		_, err := db.ExecContext(ctx, statement, args...)
		return err
	})
}

// queryRow runs one query on a connection of its own and scans its single row into dest.
func queryRow(ctx context.Context, dbURL, query string, args []any, dest ...any) error {
	return onOwnConnection(ctx, dbURL, fmt.Sprintf("query %q", query), func(ctx context.Context, db *sql.DB) error {
		return db.QueryRowContext(ctx, query, args...).Scan(dest...)
	})
}

// onOwnConnection runs do on a database handle of its own, within dbTimeout, and names what in
// an error, with the server's URL redacted.
func onOwnConnection(ctx context.Context, dbURL, what string, do func(context.Context, *sql.DB) error) error {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }() // an administrative connection; its work is committed or reported above
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	if err := do(ctx, db); err != nil {
		return fmt.Errorf("%s: %w", what, redactURL(err, dbURL))
	}
	return nil
}

// redactURL names the server without its password, should the error mention the URL.
func redactURL(err error, dbURL string) error {
	if u, perr := url.Parse(dbURL); perr == nil {
		return fmt.Errorf("on %s: %w", u.Redacted(), err)
	}
	return err
}

// bucketTemplate is a bucket row bucketd stored, which pgbench's creates copy so that their rows
// have the same columns and sizes.
type bucketTemplate struct {
	bucket, region, endpoint, keyHint, fingerprint string
	sealedKey, sealedSecret                        []byte
}

func readTemplate(ctx context.Context, db *benchDB, id string) (bucketTemplate, error) {
	var t bucketTemplate
	err := queryRow(ctx, db.url, `SELECT bucket, region, endpoint, key_hint, coalesce(secret_fingerprint, ''), sealed_key, sealed_secret
		FROM buckets WHERE id = $1`, []any{id},
		&t.bucket, &t.region, &t.endpoint, &t.keyHint, &t.fingerprint, &t.sealedKey, &t.sealedSecret)
	return t, err
}

// rowBytes is the average size of a stored bucket row (pg_column_size of the whole row).
type rowBytes struct {
	Bucketd float64 `json:"bucketd"`
	Pgbench float64 `json:"pgbench"`
}

func rowSizes(ctx context.Context, db *benchDB) (rowBytes, error) {
	var r rowBytes
	err := queryRow(ctx, db.url, `SELECT
		coalesce(avg(pg_column_size(b.*)) FILTER (WHERE name NOT LIKE '`+pgbenchNamePrefix+`%'), 0),
		coalesce(avg(pg_column_size(b.*)) FILTER (WHERE name LIKE '`+pgbenchNamePrefix+`%'), 0)
		FROM buckets b`, nil, &r.Bucketd, &r.Pgbench)
	return r, err
}
