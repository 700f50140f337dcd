package gormstore_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// statementCounter is a log handler counting the statements a store sends: with a slow-query
// threshold of zero, its logger reports every one, GORM's and the fixed ones alike.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) Enabled(context.Context, slog.Level) bool { return true }

func (c *statementCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "slow database query" {
		c.n.Add(1)
	}
	return nil
}

func (c *statementCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *statementCounter) WithGroup(string) slog.Handler      { return c }

// during counts the statements do sends.
func (c *statementCounter) during(do func()) int64 {
	before := c.n.Load()
	do()
	return c.n.Load() - before
}

// TestReadAsHolderIsOneRoundTrip counts the statements of GET /bucket/{id}'s store work: two
// when the token is authenticated first and the bucket read after (as every other request
// still does), one when GetAsHolder does both. The token's first use adds the write of its
// last use, once a minute, to either.
func TestReadAsHolderIsOneRoundTrip(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		var count statementCounter
		store := storetest.Open(t, url, gormstore.WithLogger(slog.New(&count)), gormstore.WithSlowQueryThreshold(0))
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		b := newBucket(org, "Photos")
		if err := porttest.Insert(t.Context(), store, b); err != nil {
			t.Fatalf("InsertWithinQuota: %v", err)
		}
		var err error
		if n := count.during(func() { _, err = store.Authenticate(t.Context(), org.AdminToken) }); err != nil || n != 2 {
			t.Fatalf("first Authenticate: %d statements, %v; want the lookup and the write of the token's last use", n, err)
		}
		before := count.during(func() {
			var p domain.Principal
			if p, err = store.Authenticate(t.Context(), org.AdminToken); err == nil {
				_, err = store.Get(t.Context(), p.OrgID, b.ID)
			}
		})
		if err != nil || before != 2 {
			t.Errorf("Authenticate, then Get: %d statements, %v; want 2", before, err)
		}
		var read ports.HolderRead
		after := count.during(func() { read, err = store.GetAsHolder(t.Context(), org.AdminToken, b.ID) })
		if err != nil || read.Bucket.ID != b.ID || after != 1 {
			t.Errorf("GetAsHolder: %d statements, bucket %q, %v; want 1 statement and the bucket", after, read.Bucket.ID, err)
		}
		t.Logf("statements per GET /bucket/{id}: %d before (Authenticate, then Get), %d with GetAsHolder", before, after)
	})
}
