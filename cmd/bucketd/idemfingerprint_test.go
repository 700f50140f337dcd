package main_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// TestIdempotencyFingerprintAcrossMasterKeyRotation drives the binary on SQLite and PostgreSQL
// through a master key rotation with an Idempotency-Key outstanding. The server with k1 keeps a
// fingerprint made under k1, not a 32-byte plain hash; restarted with the ring k2,k1 it replays
// the create and refuses another body with the key; restarted with k2 alone (k1 retired within
// the key's 24 hours) it answers 503 rather than call the key reused or create again.
func TestIdempotencyFingerprintAcrossMasterKeyRotation(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		b := newKeysBackend(t, dbURL)
		k1, k2 := "k1:"+randomBase64(32), "k2:"+randomBase64(32)
		b.secrets.Add("master key k1", strings.TrimPrefix(k1, "k1:"))
		b.secrets.Add("master key k2", strings.TrimPrefix(k2, "k2:"))
		o := b.bootstrap(t, -1)
		req := b.request(o, "Keyed fingerprint")
		key := domain.NewID()

		b.servers = []*server{b.startWithRing(t, k1)}
		first := createWithKey(t, b.client(t, o), key, req)
		if first.status != http.StatusOK {
			t.Fatalf("the create answered %d %s, want 200", first.status, first.body)
		}
		kept := keptFingerprint(t, dbURL, o.OrgID, key)
		if len(kept) == 32 || !bytes.HasPrefix(kept, []byte("\x01\x02k1")) || len(kept) != 4+32 {
			t.Errorf("the database keeps the fingerprint %x; want format 1, key id k1 and a 32-byte MAC", kept)
		}

		for _, step := range []struct {
			ring, body string
			status     int
			code       string
		}{
			{k2 + "," + k1, "same", http.StatusOK, ""},
			{k2 + "," + k1, "other", http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED"},
			{k2, "same", http.StatusServiceUnavailable, "UNAVAILABLE"},
		} {
			if err := b.servers[0].Stop(); err != nil {
				t.Fatalf("stop the server: %v", err)
			}
			b.servers = []*server{b.startWithRing(t, step.ring)}
			sent := req
			if step.body == "other" {
				sent.Name = "Another name"
			}
			out := createWithKey(t, b.client(t, o), key, sent)
			if out.status != step.status || out.code != step.code {
				t.Errorf("with the ring %s, the %s body answered %d %s, want %d %s", ringIDs(step.ring), step.body, out.status, out.body, step.status, step.code)
			}
			if out.status == http.StatusOK && (out.replayed != "true" || !bytes.Equal(out.body, first.body)) {
				t.Errorf("with the ring %s, the retry answered %s (%s: %q), want the original %s replayed", ringIDs(step.ring), out.body, replayedHeader, out.replayed, first.body)
			}
		}
		if n := countBuckets(t, dbURL, o.OrgID); n != 1 {
			t.Errorf("the organization has %d buckets, want 1", n)
		}
	})
}

// keptFingerprint reads the fingerprint the database keeps for an organization's key.
func keptFingerprint(t *testing.T, dbURL, orgID, key string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dbTimeout)
	defer cancel()
	var fp []byte
	if err := openDB(t, dbURL).QueryRowContext(ctx, "SELECT fingerprint FROM idempotency_keys WHERE org_id = $1 AND key = $2", orgID, key).Scan(&fp); err != nil {
		t.Fatalf("read the fingerprint of Idempotency-Key %s: %v", key, err)
	}
	return fp
}

// ringIDs is a key ring spec with its keys left out.
func ringIDs(ring string) string {
	var ids []string
	for entry := range strings.SplitSeq(ring, ",") {
		id, _, _ := strings.Cut(entry, ":")
		ids = append(ids, id)
	}
	return strings.Join(ids, ",")
}
