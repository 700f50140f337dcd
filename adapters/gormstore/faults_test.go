package gormstore_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
	"github.com/bucketd/bucketd/testsupport/tcpproxy"
)

// commitMessage is the simple-protocol Query message body pgx sends to commit a transaction.
var commitMessage = []byte("commit\x00")

// proxiedPostgres opens two migrated stores on one fresh PostgreSQL database: one through a TCP
// proxy that the test can break, and one direct, to see what was stored.
func proxiedPostgres(t *testing.T) (proxied, direct *gormstore.Store, proxy *tcpproxy.Proxy) {
	t.Helper()
	databaseURL := storetest.PostgresURL(t)
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatalf("parse the PostgreSQL URL from %s: %v", storetest.PostgresDSNEnv, err)
	}
	direct = storetest.Open(t, databaseURL)
	proxy = tcpproxy.Start(t, u.Host)
	u.Host = proxy.Addr
	return storetest.Open(t, u.String()), direct, proxy
}

// TestInsertWithinQuotaAfterLostCommit breaks the connection exactly where an insert commits:
// at the one statement of its first attempt, and at the COMMIT of the transaction that takes
// over when that statement's connection is lost; each once after PostgreSQL received the
// message (it commits, its answer is lost) and once before (it never arrives). Either way the
// client cannot tell from the broken connection, and either way the insert must report
// success with the bucket stored exactly once, in an organization whose limit of one a blind
// retry would hit.
func TestInsertWithinQuotaAfterLostCommit(t *testing.T) {
	// The statement's Bind message carries the bucket's name, which no earlier message of the
	// insert does; the Parse before it carries only the SQL.
	const name = "lost-commit-photos"
	type cut struct {
		marker  []byte
		deliver bool
	}
	statementLost := cut{[]byte(name), false}
	for _, tc := range []struct {
		what string
		cuts []cut
	}{
		{"the statement reached the server, its answer was lost", []cut{{[]byte(name), true}}},
		{"the statement was lost on the way", []cut{statementLost}},
		{"then the transaction's COMMIT reached the server, its answer was lost", []cut{statementLost, {commitMessage, true}}},
		{"then the transaction's COMMIT was lost on the way", []cut{statementLost, {commitMessage, false}}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			proxied, direct, proxy := proxiedPostgres(t)
			org := storetest.Seed(t, direct, porttest.OrgSpec{BucketLimit: intPtr(1)})
			b := newBucket(org, name)
			fired := make([]<-chan struct{}, len(tc.cuts))
			for i, c := range tc.cuts {
				fired[i] = proxy.CutAt(c.marker, c.deliver)
			}
			if err := porttest.Insert(t.Context(), proxied, b); err != nil {
				t.Fatalf("InsertWithinQuota = %v (kind %s); want success", err, domain.KindOf(err))
			}
			for i, f := range fired {
				select {
				case <-f:
				default:
					t.Fatalf("the proxy never saw %q: fault %d did not happen", tc.cuts[i].marker, i+1)
				}
			}
			stored, err := gormstore.QueryInt(t.Context(), direct, "SELECT count(*) FROM buckets WHERE id = ?", b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored != 1 {
				t.Errorf("%d rows with the bucket's id, want exactly 1", stored)
			}
			audited, err := gormstore.QueryInt(t.Context(), direct, "SELECT count(*) FROM audit_events WHERE bucket_id = ?", b.ID)
			if err != nil || audited != 1 {
				t.Errorf("%d audit events of the bucket (%v), want exactly 1", audited, err)
			}
			quota, err := direct.QuotaUsage(t.Context(), org.OrgID)
			if err != nil || quota.Used != 1 {
				t.Errorf("QuotaUsage = %+v, %v; want 1 bucket used", quota, err)
			}
		})
	}
}

// TestLostConnectionsAreUnavailable cuts every pooled connection, with FIN and with RST, and
// checks that each read answers as before or with KindUnavailable, never as an internal
// failure, that at least one read noticed the cut, and that an insert recovers on a new
// connection.
func TestLostConnectionsAreUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  func(*tcpproxy.Proxy) int
	}{
		{"FIN", (*tcpproxy.Proxy).CutAll},
		{"RST", (*tcpproxy.Proxy).ResetAll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxied, direct, proxy := proxiedPostgres(t)
			org := storetest.Seed(t, direct, porttest.OrgSpec{})
			reads := []struct {
				name string
				run  func() error
			}{
				{"QuotaUsage", func() error { _, err := proxied.QuotaUsage(t.Context(), org.OrgID); return err }},
				{"NameTaken", func() error { _, err := proxied.NameTaken(t.Context(), org.OrgID, "Photos"); return err }},
				{"WorkspaceInOrg", func() error {
					_, err := proxied.WorkspaceInOrg(t.Context(), org.OrgID, org.WorkspaceID)
					return err
				}},
			}
			noticed := 0
			check := func(when, name string, err error) {
				switch {
				case err == nil:
				case domain.IsKind(err, domain.KindUnavailable):
					noticed++
				default:
					t.Errorf("%s %s = %v (kind %s); want success or kind %s",
						name, when, err, domain.KindOf(err), domain.KindUnavailable)
				}
			}
			for round := range 3 {
				for _, read := range reads {
					check(fmt.Sprintf("before cut %d", round), read.name, read.run())
				}
				if n := tc.cut(proxy); n == 0 {
					t.Fatalf("cut %d found no live connection", round)
				}
				for _, read := range reads {
					check(fmt.Sprintf("after cut %d", round), read.name, read.run())
				}
			}
			if noticed == 0 {
				t.Error("no read noticed a cut: the test proved nothing")
			}
			tc.cut(proxy)
			if err := porttest.Insert(t.Context(), proxied, newBucket(org, "After the cut")); err != nil {
				t.Errorf("InsertWithinQuota after the cut = %v; want success on a new connection", err)
			}
		})
	}
}
