package gormstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/logcapture"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// beforeNameKeys is the last schema version without name keys (migration 0009 adds them).
const beforeNameKeys = 8

// legacyDatabase is a database as a release before name keys left it: buckets whose names
// compare equal under domain.NameKey though lower(name) told them apart, in one organization,
// the same names in another, a deleted lookalike, and enough other buckets between the first
// and the last of a pair that keying them takes several batches.
type legacyDatabase struct {
	url                   string
	org, other            porttest.SeededOrg
	mine, zeroWidth, wide domain.Bucket // "My bucket", then its lookalikes, in creation order
	strasse, straße       domain.Bucket
	theirs, deleted       domain.Bucket
	fillers               int
}

func newLegacyDatabase(t *testing.T, url string) legacyDatabase {
	t.Helper()
	store, err := gormstore.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer store.Close()
	if err := gormstore.MigrateThrough(t.Context(), store, beforeNameKeys); err != nil {
		t.Fatalf("migrate through version %d: %v", beforeNameKeys, err)
	}
	db := legacyDatabase{url: url, org: seedLegacyOrg(t, store), other: seedLegacyOrg(t, store)}
	// Ids are time-ordered to the millisecond; the pauses put each step's ids after the last's.
	insert := func(buckets ...domain.Bucket) {
		t.Helper()
		if err := gormstore.InsertWithoutNameKey(t.Context(), store, buckets...); err != nil {
			t.Fatalf("insert buckets without name keys: %v", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	db.mine, db.strasse, db.theirs = newBucket(db.org, "My bucket"), newBucket(db.org, "STRASSE"), newBucket(db.other, "My bucket")
	insert(db.mine, db.strasse, db.theirs)
	db.fillers = 2*gormstore.NameKeyBatchSize + 10
	fillers := make([]domain.Bucket, db.fillers)
	for i := range fillers {
		fillers[i] = newBucket(db.other, fmt.Sprintf("filler %04d", i))
	}
	insert(fillers...)
	db.zeroWidth, db.straße, db.deleted = newBucket(db.org, "My bucket\u200b"), newBucket(db.org, "Straße"), newBucket(db.org, "my  BUCKET")
	insert(db.zeroWidth, db.straße, db.deleted)
	db.wide = newBucket(db.org, "Ｍｙ ｂｕｃｋｅｔ")
	insert(db.wide)
	if err := store.Delete(t.Context(), db.org.OrgID, db.deleted.ID, time.Now()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	return db
}

// wantCollisions is the report of the legacy database: "My bucket" with its two lookalikes, and
// "STRASSE" with "Straße"; nothing of the other organization's or the deleted bucket.
func (db legacyDatabase) wantCollisions() []gormstore.NameCollision {
	named := func(bs ...domain.Bucket) []gormstore.NamedBucket {
		out := make([]gormstore.NamedBucket, len(bs))
		for i, b := range bs {
			out[i] = gormstore.NamedBucket{ID: b.ID, Name: b.Name}
		}
		return out
	}
	return []gormstore.NameCollision{
		{OrgID: db.org.OrgID, Buckets: named(db.mine, db.zeroWidth, db.wide)},
		{OrgID: db.org.OrgID, Buckets: named(db.strasse, db.straße)},
	}
}

func wantNameCollisions(t *testing.T, store *gormstore.Store, want []gormstore.NameCollision) {
	t.Helper()
	got, err := store.NameCollisions(t.Context())
	if err != nil || !slices.EqualFunc(got, want, func(a, b gormstore.NameCollision) bool {
		return a.OrgID == b.OrgID && slices.Equal(a.Buckets, b.Buckets)
	}) {
		t.Errorf("NameCollisions = %+v, %v; want %+v", got, err, want)
	}
}

// jsonLogger logs into buf as JSON, one record a line, for collisionWarnings to read.
func jsonLogger(buf *logcapture.Buffer) *slog.Logger { return slog.New(slog.NewJSONHandler(buf, nil)) }

// collisionWarning is what a warning about a collision says.
type collisionWarning struct {
	OrgID      string `json:"org_id"`
	BucketID   string `json:"bucket_id"`
	Name       string `json:"name"`
	SameAsID   string `json:"same_as_bucket_id"`
	SameAsName string `json:"same_as_name"`
}

// collisionWarnings are the records of a JSON log that report a collision.
func collisionWarnings(t *testing.T, log string) []collisionWarning {
	t.Helper()
	var out []collisionWarning
	for line := range strings.Lines(log) {
		var rec struct {
			Level, Msg string
			collisionWarning
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec.Level == "WARN" && strings.Contains(rec.Msg, "names that now compare equal") {
			out = append(out, rec.collisionWarning)
		}
	}
	return out
}

// TestMigrateKeysExistingNamesAndReportsCollisions migrates a database whose buckets were stored
// before name keys: every bucket gets its key, names that now collide are reported (logged once,
// and listed by NameCollisions) and not merged, both buckets of each pair stay readable and
// usable, and new names collide with them.
func TestMigrateKeysExistingNamesAndReportsCollisions(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		db := newLegacyDatabase(t, url)
		var log logcapture.Buffer
		store := storetest.Open(t, url, gormstore.WithLogger(jsonLogger(&log)))

		warnings := collisionWarnings(t, log.String())
		if len(warnings) != 3 {
			t.Fatalf("Migrate logged %d collisions, want 3:\n%s", len(warnings), log.String())
		}
		for _, pair := range [][2]domain.Bucket{{db.zeroWidth, db.mine}, {db.straße, db.strasse}, {db.wide, db.mine}} {
			want := collisionWarning{OrgID: db.org.OrgID, BucketID: pair[0].ID, Name: pair[0].Name, SameAsID: pair[1].ID, SameAsName: pair[1].Name}
			if !slices.Contains(warnings, want) {
				t.Errorf("no collision warning says %+v; got %+v", want, warnings)
			}
		}
		wantNameCollisions(t, store, db.wantCollisions())
		if n, err := gormstore.QueryInt(t.Context(), store, "SELECT count(*) FROM buckets WHERE name_key IS NULL"); err != nil || n != 0 {
			t.Errorf("%d buckets without a name key (%v), want none", n, err)
		}

		// Every bucket of a pair is readable under its own name and usable.
		for _, b := range []domain.Bucket{db.mine, db.zeroWidth, db.wide, db.strasse, db.straße, db.theirs} {
			got, err := store.Get(t.Context(), b.OrgID, b.ID)
			if err != nil || got.Name != b.Name {
				t.Fatalf("Get %+q = %+q, %v; want it readable under its name", b.Name, got.Name, err)
			}
			got.Region = "eu-central-1"
			if err := store.Update(t.Context(), got); err != nil {
				t.Errorf("Update of %+q keeping its name: %v", b.Name, err)
			}
			if err := store.RecordStatus(t.Context(), b.OrgID, b.ID, got.Version+1, domain.NewStatusRecord(domain.StatusOffline, "", time.Now())); err != nil {
				t.Errorf("RecordStatus of %+q: %v", b.Name, err)
			}
		}
		wantNameCollisions(t, store, db.wantCollisions())

		// A new name, or a renamed one, collides with the pairs.
		for _, name := range []string{"MY BUCKET", "my bucket\u2060", "strasse"} {
			err := porttest.Insert(t.Context(), store, newBucket(db.org, name))
			if domain.KindOf(err) != domain.KindNameTaken {
				t.Errorf("insert of %+q beside the pairs = %v; want name taken", name, err)
			}
		}
		zeroWidth, err := store.Get(t.Context(), db.org.OrgID, db.zeroWidth.ID)
		if err != nil {
			t.Fatal(err)
		}
		zeroWidth.Name = "my bucket"
		if err := store.Update(t.Context(), zeroWidth); domain.KindOf(err) != domain.KindNameTaken {
			t.Errorf("rename of %+q to %q = %v; want name taken", db.zeroWidth.Name, zeroWidth.Name, err)
		}
		zeroWidth.Name = "My other bucket"
		if err := store.Update(t.Context(), zeroWidth); err != nil {
			t.Errorf("rename of %+q to a free name: %v", db.zeroWidth.Name, err)
		}
		want := db.wantCollisions()
		want[0].Buckets = slices.Delete(want[0].Buckets, 1, 2)
		wantNameCollisions(t, store, want)

		// With the first of the pair gone, its lookalike still keeps the name.
		if err := store.Delete(t.Context(), db.org.OrgID, db.mine.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := porttest.Insert(t.Context(), store, newBucket(db.org, "My bucket")); domain.KindOf(err) != domain.KindNameTaken {
			t.Errorf("insert of %q beside %+q = %v; want name taken", "My bucket", db.wide.Name, err)
		}
		wantNameCollisions(t, store, want[1:])

		// Migrating again keys nothing, reports nothing new.
		if err := store.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
		if n := len(collisionWarnings(t, log.String())); n != 3 {
			t.Errorf("%d collision warnings after migrating again, want the first 3 only", n)
		}
	})
}

// TestConcurrentMigrateKeysEachBucketOnce starts several processes' worth of stores on one
// database with buckets to key: each migration must succeed, and together they must key every
// bucket once, report every collision once, and keep the same bucket of each pair.
func TestConcurrentMigrateKeysEachBucketOnce(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		db := newLegacyDatabase(t, url)
		const instances = 4
		var (
			log    logcapture.Buffer
			wg     sync.WaitGroup
			stores = make([]*gormstore.Store, instances)
		)
		for i := range stores {
			s, err := gormstore.Open(t.Context(), url, gormstore.WithLogger(jsonLogger(&log)))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			stores[i] = s
		}
		for i, s := range stores {
			wg.Go(func() {
				if err := s.Migrate(t.Context()); err != nil {
					t.Errorf("Migrate of instance %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if n := len(collisionWarnings(t, log.String())); n != 3 {
			t.Errorf("%d concurrent migrations logged %d collisions, want 3 in all", instances, n)
		}
		wantNameCollisions(t, stores[0], db.wantCollisions())
		n, err := gormstore.QueryInt(t.Context(), stores[0], "SELECT count(*) FROM buckets WHERE name_key IS NOT NULL AND name_key_suffix = ''")
		if want := int64(db.fillers + 4); err != nil || n != want {
			t.Errorf("%d buckets keyed without a suffix (%v), want %d: every bucket but the 3 lookalikes", n, err, want)
		}
	})
}

// TestMigrateIsCancellableWhileKeying cancels a migration between batches of keys; the next one
// finishes the work.
func TestMigrateIsCancellableWhileKeying(t *testing.T) {
	url := storetest.SQLiteURL(t)
	db := newLegacyDatabase(t, url)
	store, err := gormstore.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := gormstore.MigrateThrough(t.Context(), store, 1<<30); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := store.Migrate(ctx); err == nil {
		t.Fatal("Migrate with a cancelled context succeeded")
	}
	if err := store.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate after a cancelled attempt: %v", err)
	}
	wantNameCollisions(t, store, db.wantCollisions())
}
