package main_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// testNamesPeopleCanTellApart sends names that look like a stored one, and names with invisible
// characters, through the real server: the first are the stored name, the second are refused
// naming the character and where it is.
func testNamesPeopleCanTellApart(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	id := wantCreated(t, create(t, c, b.request(o, "Quarterly reports")))
	for _, name := range []string{"Ｑｕａｒｔｅｒｌｙ ｒｅｐｏｒｔｓ", "QUARTERLY  REPORTS", "quarterly\u00a0reports"} {
		e := wantError(t, create(t, c, b.request(o, name)), http.StatusConflict, "NAME_ALREADY_USED")
		if !strings.Contains(e.Message, fmt.Sprintf("%q", name)) {
			t.Errorf("message %q does not name %+q", e.Message, name)
		}
	}
	refused := map[string]string{
		"Quarterly reports\u200b": "name: character 18 is U+200B ZERO WIDTH SPACE, an invisible format character; remove it",
		"\u202eQuarterly reports": "name: character 1 is U+202E RIGHT-TO-LEFT OVERRIDE, a bidirectional control, " +
			"which reorders how the text around it is shown; remove it",
		"Quarterly\ufeffreports": "name: character 10 is U+FEFF ZERO WIDTH NO-BREAK SPACE (byte order mark), an invisible format character; remove it",
	}
	for name, want := range refused {
		if e := wantError(t, create(t, c, b.request(o, name)), http.StatusBadRequest, "INVALID_REQUEST"); e.Message != want {
			t.Errorf("POST /bucket named %+q: message %q, want %q", name, e.Message, want)
		}
		res := updateBucket(t, c, id, "", api.UpdateBucketRequest{Name: &name})
		if e := wantAPIError(t, "PUT /bucket/{id} renaming to "+name, res, http.StatusBadRequest, "INVALID_REQUEST"); e.Message != want {
			t.Errorf("PUT /bucket/{id} renaming to %+q: message %q, want %q", name, e.Message, want)
		}
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != 1 {
		t.Errorf("the organization has %d buckets, want 1", n)
	}
}

// TestMigrateReportsNameCollisions gives a migrated database two buckets without name keys, as
// a release before name keys stored them, whose names differ only by a zero-width space:
// `bucketd migrate` keys them, logs the collision once, and reports the pair on stdout every
// time it runs until it is resolved.
func TestMigrateReportsNameCollisions(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		mustRunBucketd(t, "", "migrate", "--database-url", dbURL)
		o := parseBootstrap(t, mustRunBucketd(t, "", "admin", "bootstrap", "--json", "--database-url", dbURL,
			"--org", "Lookalikes", "--email", "admin@lookalikes.test").stdout)
		first := domain.NewID()
		time.Sleep(2 * time.Millisecond) // ids are time-ordered to the millisecond
		later := domain.NewID()
		ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
		defer cancel()
		db := openDB(t, dbURL)
		for id, name := range map[string]string{first: "Quarterly reports", later: "Quarterly reports\u200b"} {
			_, err := db.ExecContext(ctx, "INSERT INTO buckets (id, org_id, workspace_id, name, bucket, storage_type, region, "+
				"sealed_key, sealed_secret, status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'reports', 'S3', 'us-east-1', $5, $5, 'ONLINE', $6, $6)",
				id, o.OrgID, o.WorkspaceID, name, []byte("sealed"), time.Now().UTC())
			if err != nil {
				t.Fatalf("insert a bucket without a name key: %v", err)
			}
		}

		report := fmt.Sprintf("organization %s:\n  bucket %s \"Quarterly reports\"\n  bucket %s \"Quarterly reports\\u200b\"\n", o.OrgID, first, later)
		for run := range 2 {
			res := mustRunBucketd(t, "", "migrate", "--database-url", dbURL)
			if !strings.Contains(res.stdout, "Rename all but one bucket of each group:\n"+report) {
				t.Errorf("run %d of migrate printed\n%s\nwant the pair reported:\n%s", run+1, res.stdout, report)
			}
			logged := strings.Count(res.stderr, "names that now compare equal")
			if wantLogged := 1 - run; logged != wantLogged {
				t.Errorf("run %d of migrate logged the collision %d times, want %d:\n%s", run+1, logged, wantLogged, res.stderr)
			}
			if run == 0 && (!strings.Contains(res.stderr, `"bucket_id":"`+later+`"`) || !strings.Contains(res.stderr, `"same_as_bucket_id":"`+first+`"`)) {
				t.Errorf("the collision warning does not name both buckets:\n%s", res.stderr)
			}
		}
	})
}
