package httpapi_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/aesgcm"
	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/adapters/requestmac"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// testMasterKey is the master key the fixtures' request MAC derives from: 32 bytes in standard
// base64, as in a key ring spec.
const testMasterKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// newRequestMAC is the request MAC of the key ring spec, as cmd/bucketd builds it.
func newRequestMAC(t testing.TB, spec string) ports.RequestMAC {
	t.Helper()
	ring, err := aesgcm.ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	mac, err := requestmac.New(ring)
	if err != nil {
		t.Fatal(err)
	}
	return mac
}

// randomMasterKey is 32 random bytes in standard base64.
func randomMasterKey() string {
	raw := make([]byte, aesgcm.KeySize)
	_, _ = rand.Read(raw)
	return base64.StdEncoding.EncodeToString(raw)
}

// storeFixture is a real, migrated store with one organization, whose admin sends the requests.
type storeFixture struct {
	store *gormstore.Store
	org   porttest.SeededOrg
}

func newStoreFixture(t *testing.T, databaseURL string) storeFixture {
	store := storetest.Open(t, databaseURL)
	return storeFixture{store: store, org: storetest.Seed(t, store, porttest.OrgSpec{})}
}

// server is a server that keeps Idempotency-Keys in the fixture's store and authenticates
// with it, with the request MAC of the key ring spec: one process of a deployment.
func (f storeFixture) server(t *testing.T, ring string) *harness {
	return newHarness(t, func(c *httpapi.Config) {
		c.Idempotency, c.Authenticator = f.store, f.store
		c.RequestMAC = newRequestMAC(t, ring)
	})
}

// send serves the route's request with body and key as the organization's admin.
func (f storeFixture) send(t *testing.T, h *harness, route idempotentRoute, body, key string) response {
	t.Helper()
	req := route.request(body, key)
	req.Header.Set("Authorization", "Bearer "+f.org.AdminToken.Reveal())
	return h.serve(t, req)
}

// identity is what the server fingerprints when the admin sends body to route: the user, the
// method, the path and the body as canonical JSON, each followed by a NUL. The body must be as
// the middleware sees it, with no default left for the validator to fill in.
func (f storeFixture) identity(t *testing.T, route idempotentRoute, body string) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	canonical, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, part := range []string{f.org.AdminID, route.method, route.path, string(canonical)} {
		out = append(append(out, part...), 0)
	}
	return out
}

// errProbed is what a probe answers Begin with, so that Begin changes nothing.
var errProbed = errors.New("probed")

// probe is a request fingerprint that records the fingerprint the store keeps for a key. It is
// never stored: the key is held already.
type probe struct{ kept []byte }

func (*probe) Stored() []byte { return []byte("probe") }

func (p *probe) Matches(stored []byte) (bool, error) {
	p.kept = bytes.Clone(stored)
	return false, errProbed
}

// kept returns the fingerprint the store keeps for key, exactly as it reads it from its
// database: Begin hands it to the request to judge.
func (f storeFixture) kept(t *testing.T, h *harness, key string) []byte {
	t.Helper()
	p := &probe{}
	if _, err := f.store.Begin(t.Context(), f.org.OrgID, key, p, h.clock.Now(), time.Minute); !errors.Is(err, errProbed) {
		t.Fatalf("Begin of the probe = %v, want the probe's error", err)
	}
	return p.kept
}

// keyedFingerprint is the fingerprint of identity made under the master key named id, computed
// here without package requestmac: format version 1, the id's length, the id, and the
// HMAC-SHA-256 of identity under the HKDF-SHA-256 of the master key with the info "bucketd
// idempotency fingerprint v1".
func keyedFingerprint(t *testing.T, id, masterKey string, identity []byte) []byte {
	t.Helper()
	master, err := base64.StdEncoding.DecodeString(masterKey)
	if err != nil {
		t.Fatal(err)
	}
	macKey, err := hkdf.Key(sha256.New, master, nil, "bucketd idempotency fingerprint v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, macKey)
	mac.Write(identity)
	return mac.Sum(append([]byte{1, byte(len(id))}, id...))
}

// TestIdempotencyFingerprintIsKeyed proves, on both databases, that the fingerprint kept for an
// Idempotency-Key confirms no guess without the server's key: it is not the plain SHA-256 of
// the request (whose body holds the secret) but its HMAC under the key derived from the active
// master key; and keyed, it still replays the same request and refuses another.
func TestIdempotencyFingerprintIsKeyed(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, databaseURL string) {
		f := newStoreFixture(t, databaseURL)
		h := f.server(t, "k1:"+testMasterKey)
		for _, route := range idempotentRoutes(t) {
			key := domain.NewID()
			body := route.equivalents["the default written out"]
			first := f.send(t, h, route, body, key)
			wantStatus(t, first, http.StatusOK)

			identity := f.identity(t, route, body)
			kept := f.kept(t, h, key)
			if plain := sha256.Sum256(identity); bytes.Equal(kept, plain[:]) {
				t.Errorf("%s: the store keeps the plain SHA-256 of the request: whoever reads the database can test guesses of the secret", route.name)
			}
			if want := keyedFingerprint(t, "k1", testMasterKey, identity); !bytes.Equal(kept, want) {
				t.Errorf("%s: the store keeps the fingerprint %x, want the HMAC under k1's derived key, %x", route.name, kept, want)
			}

			wantReplay(t, first, f.send(t, h, route, body, key))
			res := f.send(t, h, route, route.other, key)
			wantError(t, res, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")
		}
		if calls := h.buckets.received(); len(calls) != 2 {
			t.Errorf("the service received %v, want one call per route", methodsOf(calls))
		}
	})
}

// TestIdempotencyFingerprintOutlivesMasterKeyRotation proves, on both databases, that a key
// recorded under the previous master key still replays on a process whose ring has a new key
// first, which records new keys under the new key; and that a process whose ring lacks the
// old key answers 503 for it, neither calling the key reused nor running the request again.
func TestIdempotencyFingerprintOutlivesMasterKeyRotation(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, databaseURL string) {
		f := newStoreFixture(t, databaseURL)
		route := idempotentRoutes(t)[0]
		body := route.equivalents["the default written out"]
		k1, k2 := "k1:"+testMasterKey, "k2:"+randomMasterKey()
		before := f.server(t, k1)
		oldKey := domain.NewID()
		first := f.send(t, before, route, body, oldKey)
		wantStatus(t, first, http.StatusOK)

		rotated := f.server(t, k2+","+k1)
		wantReplay(t, first, f.send(t, rotated, route, body, oldKey))
		wantError(t, f.send(t, rotated, route, route.other, oldKey), http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")
		route.wantCalls(t, rotated, 0)
		newKey := domain.NewID()
		second := f.send(t, rotated, route, body, newKey)
		wantStatus(t, second, http.StatusOK)
		if kept, want := f.kept(t, rotated, newKey), keyedFingerprint(t, "k2", k2[len("k2:"):], f.identity(t, route, body)); !bytes.Equal(kept, want) {
			t.Errorf("with k2 active the store keeps %x, want the HMAC under k2's derived key, %x", kept, want)
		}

		retired := f.server(t, k2)
		res := f.send(t, retired, route, body, oldKey)
		wantError(t, res, http.StatusServiceUnavailable, "UNAVAILABLE")
		wantReplay(t, second, f.send(t, retired, route, body, newKey))
		route.wantCalls(t, retired, 0)
	})
}

// legacyPrint is a fingerprint as bucketd kept them before they were keyed: the plain SHA-256
// of the request's identity, compared byte for byte.
type legacyPrint [sha256.Size]byte

func (p legacyPrint) Stored() []byte                      { return p[:] }
func (p legacyPrint) Matches(stored []byte) (bool, error) { return bytes.Equal(stored, p[:]), nil }

// TestIdempotencyLegacyFingerprintKeepsWorking proves, on both databases, that keys recorded
// before fingerprints were keyed keep their meaning until they expire: a retry of the same
// request replays the answer and a retry while the first request runs is told so, neither
// running the request twice nor calling the key reused, while another request is refused.
func TestIdempotencyLegacyFingerprintKeepsWorking(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, databaseURL string) {
		f := newStoreFixture(t, databaseURL)
		h := f.server(t, "k1:"+testMasterKey)
		route := idempotentRoutes(t)[0]
		body := route.equivalents["the default written out"]
		legacy := legacyPrint(sha256.Sum256(f.identity(t, route, body)))
		ctx, now := context.Background(), h.clock.Now()
		done, running := domain.NewID(), domain.NewID()
		for _, key := range []string{done, running} {
			if resp, err := f.store.Begin(ctx, f.org.OrgID, key, legacy, now.Add(-time.Second), time.Minute); resp != nil || err != nil {
				t.Fatalf("recording a legacy claim: %+v, %v", resp, err)
			}
		}
		answer := `{"success":true,"bucketId":"` + newBucketID + `"}`
		if err := f.store.Complete(ctx, f.org.OrgID, done, ports.StoredResponse{Status: http.StatusOK, Body: []byte(answer)}, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}

		res := f.send(t, h, route, body, done)
		wantStatus(t, res, http.StatusOK)
		if string(res.body) != answer || res.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("the retry of a legacy key answered %s (replayed %q), want %s replayed", res.body, res.header.Get("Idempotent-Replayed"), answer)
		}
		wantError(t, f.send(t, h, route, body, running), http.StatusConflict, "IDEMPOTENCY_IN_PROGRESS")
		wantError(t, f.send(t, h, route, route.other, done), http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")
		route.wantCalls(t, h, 0)
	})
}
