package porttest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// IdempotencyBackend is a store of Idempotency-Keys that can also create the organizations the
// keys belong to.
type IdempotencyBackend interface {
	ports.IdempotencyStore
	ports.Organizations
	ports.Tokens
}

// IdempotencyFixture is an idempotency store under test. Subtests share its database and keep
// apart by organization and by time: only the purge subtest uses times before 2002.
type IdempotencyFixture struct {
	Store IdempotencyBackend
	// OpenAnother opens an independent instance on the same database, as a second server
	// process would, for the proof that one claim wins across processes.
	OpenAnother func(t *testing.T) ports.IdempotencyStore
}

// testLease is the lease the subtests claim keys with.
const testLease = time.Minute

// RunIdempotencyStoreContract checks that a ports.IdempotencyStore claims each key of an
// organization once, however many requests race for it on however many instances, replays the
// stored answer to the same request, refuses the key for another request, hands a stale claim
// over, forgets expired and abandoned keys, and keeps organizations apart. open returns a
// ready, migrated store; each subtest calls it once.
func RunIdempotencyStoreContract(t *testing.T, open func(t *testing.T) IdempotencyFixture) {
	t.Helper()
	t.Run("FreshClaimThenReplay", func(t *testing.T) { testIdemReplay(t, open(t)) })
	t.Run("KeyReusedForAnotherRequest", func(t *testing.T) { testIdemReused(t, open(t)) })
	t.Run("TheRequestJudgesTheStoredFingerprint", func(t *testing.T) { testIdemRequestJudges(t, open(t)) })
	t.Run("InProgressWithinLease", func(t *testing.T) { testIdemInProgress(t, open(t)) })
	t.Run("StaleClaimTakenOver", func(t *testing.T) { testIdemTakeover(t, open(t)) })
	t.Run("ExpiredAnswerCountsAsAbsent", func(t *testing.T) { testIdemExpired(t, open(t)) })
	t.Run("AbandonFreesTheKey", func(t *testing.T) { testIdemAbandon(t, open(t)) })
	t.Run("CompleteNeedsAClaim", func(t *testing.T) { testIdemCompleteUnclaimed(t, open(t)) })
	t.Run("PurgeDeletesExpiredKeys", func(t *testing.T) { testIdemPurge(t, open(t)) })
	t.Run("OrganizationsAreIsolated", func(t *testing.T) { testIdemIsolation(t, open(t)) })
	t.Run("KeyFormat", func(t *testing.T) { testIdemKeyFormat(t, open(t)) })
	t.Run("ConcurrentBeginOneClaims", func(t *testing.T) { testIdemConcurrent(t, open(t), false, false) })
	t.Run("ConcurrentBeginOnTwoInstancesOneClaims", func(t *testing.T) { testIdemConcurrent(t, open(t), true, false) })
	t.Run("ConcurrentTakeoverOneClaims", func(t *testing.T) { testIdemConcurrent(t, open(t), true, true) })
}

func testIdemReplay(t *testing.T, f IdempotencyFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	key, now := domain.NewID(), time.Now()
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), now)
	answer := ports.StoredResponse{Status: 200, Body: []byte(`{"success":true,"bucketId":"b1"}`)}
	idemMustComplete(t, f.Store, org.OrgID, key, answer, now.Add(24*time.Hour))
	for i := range 3 {
		// A replay does not use the answer up, however late within its lifetime.
		at := now.Add(time.Duration(i) * 8 * time.Hour)
		idemWantReplay(t, f.Store, org.OrgID, key, IdemPrint("create A"), at, answer)
	}
	emptyKey := domain.NewID()
	idemWantClaim(t, f.Store, org.OrgID, emptyKey, IdemPrint("delete B"), now)
	idemMustComplete(t, f.Store, org.OrgID, emptyKey, ports.StoredResponse{Status: 204}, now.Add(time.Hour))
	idemWantReplay(t, f.Store, org.OrgID, emptyKey, IdemPrint("delete B"), now, ports.StoredResponse{Status: 204})
}

func testIdemReused(t *testing.T, f IdempotencyFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	key, now := "order-"+domain.NewID(), time.Now()
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), now)
	for _, state := range []string{"running", "done"} {
		resp, err := f.Store.Begin(t.Context(), org.OrgID, key, IdemPrint("create B"), now, testLease)
		repoWantKind(t, "Begin of a "+state+" key for another request", err, domain.KindIdempotencyKeyReused)
		want := fmt.Sprintf("Idempotency-Key %q was used for a different request; use a new key", key)
		if resp != nil || err == nil || err.Error() != want {
			t.Errorf("Begin of a %s key for another request = %+v, %v; want nil, %q", state, resp, err, want)
		}
		if state == "running" {
			idemMustComplete(t, f.Store, org.OrgID, key, ports.StoredResponse{Status: 200, Body: []byte("A")}, now.Add(time.Hour))
		}
	}
	idemWantReplay(t, f.Store, org.OrgID, key, IdemPrint("create A"), now, ports.StoredResponse{Status: 200, Body: []byte("A")})
}

// testIdemRequestJudges checks that Begin asks the request whether a kept fingerprint is its own
// rather than comparing bytes: after a server key rotation the same request has another
// fingerprint, yet must replay. A fresh claim keeps the request's Stored bytes; a request that
// cannot tell gets its own error back and changes nothing.
func testIdemRequestJudges(t *testing.T, f IdempotencyFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	key, now := domain.NewID(), time.Now()
	answer := ports.StoredResponse{Status: 200, Body: []byte("A")}
	underK1 := &testPrint{stored: "k1: create A", matches: []string{"k1: create A"}}
	idemWantClaim(t, f.Store, org.OrgID, key, underK1, now)
	idemMustComplete(t, f.Store, org.OrgID, key, answer, now.Add(time.Hour))

	underK2 := &testPrint{stored: "k2: create A", matches: []string{"k1: create A", "k2: create A"}}
	idemWantReplay(t, f.Store, org.OrgID, key, underK2, now.Add(time.Second), answer)
	if asked := underK2.askedAbout(); !slices.Equal(asked, []string{"k1: create A"}) {
		t.Errorf("Begin asked the request about %q; want exactly the kept fingerprint, \"k1: create A\"", asked)
	}
	otherUnderK2 := &testPrint{stored: "k2: create B", matches: []string{"k2: create B"}}
	_, err := f.Store.Begin(t.Context(), org.OrgID, key, otherUnderK2, now.Add(time.Second), testLease)
	repoWantKind(t, "Begin for another request under another key", err, domain.KindIdempotencyKeyReused)

	unsure := &testPrint{stored: "k3: create A", err: domain.Errorf(domain.KindUnavailable, "cannot tell")}
	resp, err := f.Store.Begin(t.Context(), org.OrgID, key, unsure, now.Add(time.Second), testLease)
	if resp != nil || !errors.Is(err, unsure.err) {
		t.Errorf("Begin for a request that cannot tell = %+v, %v; want nil and its own error", resp, err)
	}
	idemWantReplay(t, f.Store, org.OrgID, key, underK1, now.Add(2*time.Second), answer)

	// Expired, the key is claimed afresh and keeps the new request's bytes.
	later := now.Add(time.Hour)
	idemWantClaim(t, f.Store, org.OrgID, key, underK2, later)
	idemMustComplete(t, f.Store, org.OrgID, key, answer, later.Add(time.Hour))
	onlyK2 := &testPrint{stored: "k2: create A", matches: []string{"k2: create A"}}
	idemWantReplay(t, f.Store, org.OrgID, key, onlyK2, later.Add(time.Second), answer)
}

func testIdemInProgress(t *testing.T, f IdempotencyFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	key, now := domain.NewID(), time.Now()
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), now)
	for _, later := range []time.Duration{0, time.Second, testLease - time.Millisecond} {
		resp, err := f.Store.Begin(t.Context(), org.OrgID, key, IdemPrint("create A"), now.Add(later), testLease)
		repoWantKind(t, fmt.Sprintf("Begin %v after the claim, within the lease", later), err, domain.KindIdempotencyInProgress)
		want := "a request with this Idempotency-Key is still being processed; retry shortly"
		if resp != nil || err == nil || err.Error() != want {
			t.Errorf("Begin within the lease = %+v, %v; want nil, %q", resp, err, want)
		}
	}
}

func testIdemTakeover(t *testing.T, f IdempotencyFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	key, now := domain.NewID(), time.Now()
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), now)
	taken := now.Add(testLease)
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), taken)
	// The new claim is fresh: its own lease starts now.
	_, err := f.Store.Begin(t.Context(), org.OrgID, key, IdemPrint("create A"), taken.Add(time.Second), testLease)
	repoWantKind(t, "Begin right after a takeover", err, domain.KindIdempotencyInProgress)
	answer := ports.StoredResponse{Status: 200, Body: []byte("taken over")}
	idemMustComplete(t, f.Store, org.OrgID, key, answer, taken.Add(time.Hour))
	idemWantReplay(t, f.Store, org.OrgID, key, IdemPrint("create A"), taken.Add(2*time.Second), answer)
}

func testIdemExpired(t *testing.T, f IdempotencyFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	key, now := domain.NewID(), time.Now()
	expires := now.Add(time.Hour)
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), now)
	idemMustComplete(t, f.Store, org.OrgID, key, ports.StoredResponse{Status: 200, Body: []byte("A")}, expires)
	idemWantReplay(t, f.Store, org.OrgID, key, IdemPrint("create A"), expires.Add(-time.Millisecond), ports.StoredResponse{Status: 200, Body: []byte("A")})
	// Expired, the key is free even for another request, and answers anew.
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create B"), expires)
	_, err := f.Store.Begin(t.Context(), org.OrgID, key, IdemPrint("create B"), expires.Add(time.Second), testLease)
	repoWantKind(t, "Begin right after the expired key was claimed again", err, domain.KindIdempotencyInProgress)
	idemMustComplete(t, f.Store, org.OrgID, key, ports.StoredResponse{Status: 201, Body: []byte("B")}, expires.Add(time.Hour))
	idemWantReplay(t, f.Store, org.OrgID, key, IdemPrint("create B"), expires.Add(time.Minute), ports.StoredResponse{Status: 201, Body: []byte("B")})
}

func testIdemAbandon(t *testing.T, f IdempotencyFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	key, now := domain.NewID(), time.Now()
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), now)
	if err := f.Store.Abandon(t.Context(), org.OrgID, key); err != nil {
		t.Fatalf("Abandon: %v", err)
	}
	// An abandoned key is free at once, even for another request.
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create B"), now.Add(time.Second))
	idemMustComplete(t, f.Store, org.OrgID, key, ports.StoredResponse{Status: 200, Body: []byte("B")}, now.Add(time.Hour))
	// Abandon leaves a stored answer, and an unknown key, alone.
	for _, k := range []string{key, domain.NewID()} {
		if err := f.Store.Abandon(t.Context(), org.OrgID, k); err != nil {
			t.Errorf("Abandon of a key that is not running: %v", err)
		}
	}
	idemWantReplay(t, f.Store, org.OrgID, key, IdemPrint("create B"), now.Add(time.Minute), ports.StoredResponse{Status: 200, Body: []byte("B")})
}

func testIdemCompleteUnclaimed(t *testing.T, f IdempotencyFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	key, now := domain.NewID(), time.Now()
	if err := f.Store.Complete(t.Context(), org.OrgID, key, ports.StoredResponse{Status: 200}, now.Add(time.Hour)); err == nil {
		t.Error("Complete of a key never claimed succeeded")
	}
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), now)
	if err := f.Store.Abandon(t.Context(), org.OrgID, key); err != nil {
		t.Fatalf("Abandon: %v", err)
	}
	if err := f.Store.Complete(t.Context(), org.OrgID, key, ports.StoredResponse{Status: 200}, now.Add(time.Hour)); err == nil {
		t.Error("Complete of an abandoned key succeeded")
	}
	idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), now.Add(time.Second))
}

// testIdemPurge works in 2001, so that Purge reaches no other subtest's keys.
func testIdemPurge(t *testing.T, f IdempotencyFixture) {
	a := SeedOrganization(t, f.Store, OrgSpec{})
	b := SeedOrganization(t, f.Store, OrgSpec{})
	epoch := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	done := func(org SeededOrg, key string, expires time.Time) {
		idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint(key), epoch)
		idemMustComplete(t, f.Store, org.OrgID, key, ports.StoredResponse{Status: 200, Body: []byte(key)}, expires)
	}
	done(a, "first", epoch.Add(time.Hour))
	done(b, "first", epoch.Add(time.Hour))
	done(a, "second", epoch.Add(2*time.Hour))
	// A running claim must outlive any request still running: it survives purges a minute on.
	claimed := epoch.Add(2 * time.Hour)
	idemWantClaim(t, f.Store, a.OrgID, "running", IdemPrint("running"), claimed)

	for _, tc := range []struct {
		at   time.Time
		want int64
	}{
		{epoch.Add(time.Hour - time.Microsecond), 0},
		{epoch.Add(time.Hour), 2},
		{epoch.Add(time.Hour + time.Minute), 0},
		{claimed, 1},
		{claimed.Add(time.Minute), 0},
	} {
		if n, err := f.Store.Purge(t.Context(), tc.at); err != nil || n != tc.want {
			t.Errorf("Purge(epoch+%v) = %d, %v; want %d, nil", tc.at.Sub(epoch), n, err, tc.want)
		}
	}
	// Purged keys are free for any request; the running claim is still held.
	later := claimed.Add(time.Second)
	idemWantClaim(t, f.Store, a.OrgID, "first", IdemPrint("another"), later)
	idemWantClaim(t, f.Store, b.OrgID, "first", IdemPrint("another"), later)
	idemWantClaim(t, f.Store, a.OrgID, "second", IdemPrint("another"), later)
	_, err := f.Store.Begin(t.Context(), a.OrgID, "running", IdemPrint("running"), later, testLease)
	repoWantKind(t, "Begin of the running claim after purges", err, domain.KindIdempotencyInProgress)
}

func testIdemIsolation(t *testing.T, f IdempotencyFixture) {
	a := SeedOrganization(t, f.Store, OrgSpec{})
	b := SeedOrganization(t, f.Store, OrgSpec{})
	key, now := domain.NewID(), time.Now()
	idemWantClaim(t, f.Store, a.OrgID, key, IdemPrint("create A"), now)
	// The same key in another organization is another key, even for another request.
	idemWantClaim(t, f.Store, b.OrgID, key, IdemPrint("create B"), now)
	idemMustComplete(t, f.Store, a.OrgID, key, ports.StoredResponse{Status: 200, Body: []byte("A")}, now.Add(time.Hour))
	_, err := f.Store.Begin(t.Context(), b.OrgID, key, IdemPrint("create B"), now.Add(time.Second), testLease)
	repoWantKind(t, "Begin in B after A completed the same key", err, domain.KindIdempotencyInProgress)
	if err := f.Store.Abandon(t.Context(), b.OrgID, key); err != nil {
		t.Fatalf("Abandon: %v", err)
	}
	idemWantReplay(t, f.Store, a.OrgID, key, IdemPrint("create A"), now.Add(time.Second), ports.StoredResponse{Status: 200, Body: []byte("A")})
	idemWantClaim(t, f.Store, b.OrgID, key, IdemPrint("create A"), now.Add(2*time.Second))
}

func testIdemKeyFormat(t *testing.T, f IdempotencyFixture) {
	org := SeedOrganization(t, f.Store, OrgSpec{})
	now := time.Now()
	for what, key := range map[string]string{
		"empty":                 "",
		"256 characters long":   strings.Repeat("k", 256),
		"with a line break":     "key\nInjected: yes",
		"with a NUL":            "key\x00",
		"with a non-ASCII rune": "ключ",
		"with DEL":              "key\x7f",
	} {
		resp, err := f.Store.Begin(t.Context(), org.OrgID, key, IdemPrint("create A"), now, testLease)
		repoWantKind(t, "Begin with a key "+what, err, domain.KindInvalidInput)
		if resp != nil {
			t.Errorf("Begin with a key %s returned %+v beside its error", what, resp)
		}
	}
	for _, key := range []string{strings.Repeat("k", 255), "k", `"quoted key" with spaces ~!@#$%^&*()`} {
		idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), now)
	}
}

// testIdemConcurrent races 20 Begin calls for one key and fingerprint, on one instance or
// split over two, for a new key or (takeover) one whose claim went stale: exactly one claims
// it, every other one is told it is in progress.
func testIdemConcurrent(t *testing.T, f IdempotencyFixture, twoInstances, takeover bool) {
	const attempts = 20
	org := SeedOrganization(t, f.Store, OrgSpec{})
	stores := []ports.IdempotencyStore{f.Store}
	if twoInstances {
		stores = append(stores, f.OpenAnother(t))
	}
	key, now := domain.NewID(), time.Now()
	if takeover {
		idemWantClaim(t, f.Store, org.OrgID, key, IdemPrint("create A"), now)
		now = now.Add(testLease)
	}
	var (
		mu       sync.Mutex
		outcomes = map[string]int{}
		wg       sync.WaitGroup
		start    = make(chan struct{})
	)
	for i := range attempts {
		wg.Go(func() {
			<-start
			resp, err := stores[i%len(stores)].Begin(t.Context(), org.OrgID, key, IdemPrint("create A"), now, testLease)
			outcome := "claimed"
			switch {
			case err != nil:
				outcome = domain.KindOf(err).String()
			case resp != nil:
				outcome = "replayed"
			}
			mu.Lock()
			outcomes[outcome]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	want := map[string]int{"claimed": 1, domain.KindIdempotencyInProgress.String(): attempts - 1}
	if !reflect.DeepEqual(outcomes, want) {
		t.Errorf("%d concurrent Begin calls: outcomes %v; want %v", attempts, outcomes, want)
	}
}

// testPrint is a request's fingerprint as a store sees it: the bytes a fresh claim keeps, the
// kept fingerprints it recognises as its own (its own bytes, and those of the same request under
// other server keys), or the error it answers when it cannot tell. It records what it was asked.
type testPrint struct {
	stored  string
	matches []string
	err     error

	mu    sync.Mutex
	asked []string
}

// IdemPrint is the fingerprint of a request described by a phrase, recognising only itself;
// stores use it in tests of their own too.
func IdemPrint(request string) ports.RequestFingerprint {
	fp := "fingerprint of " + request
	return &testPrint{stored: fp, matches: []string{fp}}
}

func (p *testPrint) Stored() []byte { return []byte(p.stored) }

func (p *testPrint) Matches(stored []byte) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, string(stored))
	return slices.Contains(p.matches, string(stored)), p.err
}

func (p *testPrint) String() string { return p.stored }

// askedAbout returns the stored fingerprints Matches was called with, in order.
func (p *testPrint) askedAbout() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.asked)
}

func idemWantClaim(t *testing.T, s ports.IdempotencyStore, orgID, key string, fp ports.RequestFingerprint, now time.Time) {
	t.Helper()
	resp, err := s.Begin(t.Context(), orgID, key, fp, now, testLease)
	if resp != nil || err != nil {
		t.Fatalf("Begin(%q, %s) = %+v, %v; want a fresh claim (nil, nil)", key, fp, resp, err)
	}
}

func idemWantReplay(t *testing.T, s ports.IdempotencyStore, orgID, key string, fp ports.RequestFingerprint, now time.Time, want ports.StoredResponse) {
	t.Helper()
	resp, err := s.Begin(t.Context(), orgID, key, fp, now, testLease)
	if err != nil || resp == nil || resp.Status != want.Status || string(resp.Body) != string(want.Body) {
		t.Errorf("Begin(%q, %s) = %+v, %v; want the stored answer %+v", key, fp, resp, err, want)
	}
}

func idemMustComplete(t *testing.T, s ports.IdempotencyStore, orgID, key string, resp ports.StoredResponse, expiresAt time.Time) {
	t.Helper()
	if err := s.Complete(t.Context(), orgID, key, resp, expiresAt); err != nil {
		t.Fatalf("Complete(%q): %v", key, err)
	}
}
