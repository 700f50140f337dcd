package gormstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

func TestOpenRejectsUnsupportedURLs(t *testing.T) {
	for _, tc := range []struct {
		url, wantInMessage string
	}{
		{"mysql://root:hunter2@127.0.0.1/bucketd", `scheme "mysql" is not supported`},
		{"/var/lib/bucketd.db", "has no scheme"},
		{"", "has no scheme"},
		{"sqlite://", "sqlite://PATH"},
		{"sqlite://bucketd.db?_pragma=foreign_keys(0)", "no query"},
	} {
		store, err := gormstore.Open(t.Context(), tc.url)
		if err == nil {
			_ = store.Close()
			t.Errorf("Open(%q) succeeded; want an error", tc.url)
			continue
		}
		if !domain.IsKind(err, domain.KindInvalidInput) || !strings.Contains(err.Error(), tc.wantInMessage) {
			t.Errorf("Open(%q) = %v (kind %s); want kind %s saying %q", tc.url, err, domain.KindOf(err), domain.KindInvalidInput, tc.wantInMessage)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error repeats the password: %v", tc.url, err)
		}
	}
}

func TestOpenSQLiteCreatesParentDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "bucketd.db")
	storetest.Open(t, "sqlite://"+path)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
}

func TestOpenSQLiteRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	storetest.Open(t, "sqlite://data/bucketd.db")
	if _, err := os.Stat(filepath.Join("data", "bucketd.db")); err != nil {
		t.Fatalf("database file not created relative to the working directory: %v", err)
	}
}

// TestOpenSQLiteMemory checks that an in-memory database keeps its schema and rows across
// calls, which needs every call on one connection.
func TestOpenSQLiteMemory(t *testing.T) {
	for _, url := range []string{"sqlite::memory:", "sqlite://:memory:"} {
		t.Run(url, func(t *testing.T) {
			store := storetest.Open(t, url)
			org := storetest.Seed(t, store, porttest.OrgSpec{BucketLimit: intPtr(1)})
			if err := porttest.Insert(t.Context(), store, newBucket(org, "Photos")); err != nil {
				t.Fatalf("InsertWithinQuota: %v", err)
			}
			err := porttest.Insert(t.Context(), store, newBucket(org, "Videos"))
			if !domain.IsKind(err, domain.KindQuotaExceeded) {
				t.Fatalf("second insert at limit 1: %v; want kind %s", err, domain.KindQuotaExceeded)
			}
		})
	}
}

// TestUnreachablePostgresIsUnavailable needs no server: nothing listens on port 1.
func TestUnreachablePostgresIsUnavailable(t *testing.T) {
	store, err := gormstore.Open(t.Context(), "postgres://postgres:hunter2@127.0.0.1:1/test?sslmode=disable&connect_timeout=5")
	if err == nil {
		_ = store.Close()
		t.Fatal("Open of a PostgreSQL URL nothing listens on succeeded")
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindUnavailable || de.Message != "database unavailable; retry shortly" {
		t.Errorf("Open = %v (kind %s); want kind %s with the retry message", err, domain.KindOf(err), domain.KindUnavailable)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error repeats the password: %v", err)
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store, err := gormstore.Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := store.Ping(t.Context()); err != nil {
			t.Fatalf("Ping of an open store: %v", err)
		}
		if err := store.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := store.Ping(t.Context()); !domain.IsKind(err, domain.KindUnavailable) {
			t.Errorf("Ping after Close = %v; want kind %s", err, domain.KindUnavailable)
		}
		_, err = store.QuotaUsage(t.Context(), domain.NewID())
		if !domain.IsKind(err, domain.KindUnavailable) {
			t.Errorf("QuotaUsage after Close = %v; want kind %s", err, domain.KindUnavailable)
		}
	})
}

// TestSQLiteLockedIsUnavailable holds SQLite's write lock from another connection until the
// store's busy timeout (5 s) runs out.
func TestSQLiteLockedIsUnavailable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bucketd.db")
	store := storetest.Open(t, "sqlite://"+path)
	org := storetest.Seed(t, store, porttest.OrgSpec{})

	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open second connection: %v", err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), "ROLLBACK") }()

	start := time.Now()
	err = porttest.Insert(t.Context(), store, newBucket(org, "Photos"))
	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Errorf("InsertWithinQuota while another connection writes = %v; want kind %s", err, domain.KindUnavailable)
	}
	if waited := time.Since(start); waited < 4*time.Second {
		t.Errorf("gave up after %v; the busy timeout should make it wait about 5s", waited)
	}
}

// TestSlowQueryLogHasNoBindValues logs every query (threshold 0) and checks that what a token
// lookup and a bucket insert send never shows up in the log.
func TestSlowQueryLogHasNoBindValues(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	store := storetest.Open(t, storetest.SQLiteURL(t), gormstore.WithLogger(logger), gormstore.WithSlowQueryThreshold(0))
	org := storetest.Seed(t, store, porttest.OrgSpec{})
	if _, err := store.Authenticate(t.Context(), org.AdminToken); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	b := newBucket(org, "Secret Project Name")
	if err := porttest.Insert(t.Context(), store, b); err != nil {
		t.Fatalf("InsertWithinQuota: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, "slow database query") || !strings.Contains(out, "digest = ?") {
		t.Fatalf("the log does not show the queries with placeholders:\n%s", out)
	}
	for what, value := range map[string]string{
		"token digest":  hex.EncodeToString(domain.TokenDigest(org.AdminToken)),
		"bucket name":   b.Name,
		"sealed secret": string(b.SealedSecret),
		"org id":        org.OrgID,
	} {
		if strings.Contains(out, value) {
			t.Errorf("the log contains the %s %q", what, value)
		}
	}
}
