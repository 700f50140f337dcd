package gormstore_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// issued is a session's tokens as a sign-in hands them out.
type issued struct {
	access, refresh domain.Secret
}

// sessionTokens builds the rows of a fresh refresh and access token, for a session or a rotation.
func sessionTokens(userID, sessionID string, now time.Time) (issued, domain.RefreshToken, domain.APIToken) {
	tokens := issued{access: domain.NewAccessToken(), refresh: domain.NewRefreshToken()}
	refresh := domain.RefreshToken{ID: domain.NewID(), SessionID: sessionID, Digest: domain.TokenDigest(tokens.refresh),
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	access := domain.APIToken{ID: domain.NewID(), UserID: userID, SessionID: sessionID, Digest: domain.TokenDigest(tokens.access),
		CreatedAt: now, ExpiresAt: new(now.Add(15 * time.Minute))}
	return tokens, refresh, access
}

func startSession(t *testing.T, store *gormstore.Store, userID string) issued {
	t.Helper()
	now := time.Now().UTC()
	session := domain.Session{ID: domain.NewID(), UserID: userID, CreatedAt: now}
	tokens, refresh, access := sessionTokens(userID, session.ID, now)
	if err := store.StartSession(t.Context(), session, refresh, access); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	return tokens
}

func rotate(t *testing.T, store *gormstore.Store, refresh domain.Secret) (issued, ports.Rotation, error) {
	t.Helper()
	tokens, next, access := sessionTokens("", "", time.Now().UTC())
	rot, err := store.RotateRefreshToken(t.Context(), domain.TokenDigest(refresh), time.Now().UTC(), next, access)
	return tokens, rot, err
}

func requireAuthenticated(t *testing.T, store *gormstore.Store, token domain.Secret, want bool) {
	t.Helper()
	_, err := store.Authenticate(t.Context(), token)
	if got := err == nil; got != want {
		t.Fatalf("Authenticate(%.4s…) succeeded = %t (%v), want %t", token.Reveal(), got, err, want)
	}
	if err != nil && !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("Authenticate: %v; want kind %s", err, domain.KindUnauthenticated)
	}
}

func TestSessionRotatesAndAuthenticates(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		first := startSession(t, store, org.AdminID)
		p, err := store.Authenticate(t.Context(), first.access)
		if err != nil || p.UserID != org.AdminID || p.OrgID != org.OrgID || p.Role != domain.RoleAdmin {
			t.Fatalf("Authenticate(access token) = %+v, %v", p, err)
		}
		second, rot, err := rotate(t, store, first.refresh)
		if err != nil || rot.Reused || rot.UserID != org.AdminID || rot.OrgID != org.OrgID || rot.SessionID == "" {
			t.Fatalf("RotateRefreshToken = %+v, %v", rot, err)
		}
		requireAuthenticated(t, store, second.access, true)
		requireAuthenticated(t, store, first.access, true) // an access token lives out its minutes
		// The API tokens list leaves the session's access tokens out.
		if list, err := store.ListTokens(t.Context(), org.AdminID); err != nil || len(list) != 1 {
			t.Errorf("ListTokens = %d tokens, %v; want the one API token", len(list), err)
		}
	})
}

func TestReusedRefreshTokenRevokesTheWholeSession(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		other := startSession(t, store, org.AdminID)
		first := startSession(t, store, org.AdminID)
		second, _, err := rotate(t, store, first.refresh)
		if err != nil {
			t.Fatal(err)
		}
		_, rot, err := rotate(t, store, first.refresh)
		if err != nil || !rot.Reused || rot.UserID != org.AdminID {
			t.Fatalf("reusing a spent refresh token = %+v, %v; want Reused", rot, err)
		}
		for _, token := range []domain.Secret{first.access, second.access} {
			requireAuthenticated(t, store, token, false)
		}
		if _, _, err := rotate(t, store, second.refresh); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Errorf("rotating the newest token of a revoked session: %v; want unauthenticated", err)
		}
		// Another session of the same user, and the user's API token, are untouched.
		requireAuthenticated(t, store, other.access, true)
		requireAuthenticated(t, store, org.AdminToken, true)
	})
}

func TestConcurrentRefreshWithOneTokenHasOneWinner(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		first := startSession(t, store, org.AdminID)
		const racers = 8
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []issued
			reused  int
			refused int
		)
		for range racers {
			wg.Go(func() {
				tokens, next, access := sessionTokens("", "", time.Now().UTC())
				rot, err := store.RotateRefreshToken(t.Context(), domain.TokenDigest(first.refresh), time.Now().UTC(), next, access)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case domain.IsKind(err, domain.KindUnauthenticated): // after a reuse revoked the session
					refused++
				case err != nil:
					t.Errorf("RotateRefreshToken: %v", err)
				case rot.Reused:
					reused++
				default:
					winners = append(winners, tokens)
				}
			})
		}
		wg.Wait()
		// Exactly one rotates. Each loser either finds the token spent, and revokes the session
		// as a reuse, or comes after such a revocation and is refused.
		if len(winners) != 1 || reused < 1 || reused+refused != racers-1 {
			t.Fatalf("%d winners, %d reuses, %d refused of %d concurrent refreshes; want 1 winner and the rest reuses or refused, at least one reuse",
				len(winners), reused, refused, racers)
		}
		// The losers count as reuse: the session is over, the winner's new tokens with it.
		requireAuthenticated(t, store, winners[0].access, false)
		if _, _, err := rotate(t, store, winners[0].refresh); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Errorf("rotating the winner's token after the reuse: %v; want unauthenticated", err)
		}
	})
}

func TestEndSessionRefusesItsTokensAtOnce(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		s := startSession(t, store, org.AdminID)
		requireAuthenticated(t, store, s.access, true)
		ref, err := store.EndSession(t.Context(), domain.TokenDigest(s.refresh), time.Now())
		if err != nil || ref.UserID != org.AdminID || ref.OrgID != org.OrgID {
			t.Fatalf("EndSession = %+v, %v", ref, err)
		}
		requireAuthenticated(t, store, s.access, false)
		if _, _, err := rotate(t, store, s.refresh); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Errorf("refresh after logout: %v; want unauthenticated", err)
		}
		if _, err := store.EndSession(t.Context(), domain.TokenDigest(s.refresh), time.Now()); err != nil {
			t.Errorf("ending an ended session again: %v; want nothing to change", err)
		}
		if _, err := store.EndSession(t.Context(), domain.TokenDigest(domain.NewRefreshToken()), time.Now()); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Errorf("EndSession(unknown token): %v; want unauthenticated", err)
		}
	})
}

func TestExpiredRefreshTokenIsRefusedAndPurged(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		s := startSession(t, store, org.AdminID)
		later := time.Now().Add(2 * time.Hour)
		_, next, access := sessionTokens("", "", later)
		if _, err := store.RotateRefreshToken(t.Context(), domain.TokenDigest(s.refresh), later, next, access); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Fatalf("rotating an expired refresh token: %v; want unauthenticated", err)
		}
		n, err := store.PurgeSessions(t.Context(), later)
		if err != nil || n != 3 {
			t.Fatalf("PurgeSessions = %d, %v; want the refresh token, the access token and the session", n, err)
		}
		if left, err := gormstore.QueryInt(t.Context(), store, "SELECT count(*) FROM api_tokens WHERE user_id = ?", org.AdminID); err != nil || left != 1 {
			t.Errorf("api_tokens left = %d, %v; want the API token only", left, err)
		}
	})
}

func TestSetPasswordEndsTheUsersSessions(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		if a, err := store.AccountByEmail(t.Context(), org.AdminEmail); err != nil || a.PasswordHash != "" || a.User.ID != org.AdminID {
			t.Fatalf("AccountByEmail before a password = %+v, %v", a, err)
		}
		s1, s2 := startSession(t, store, org.AdminID), startSession(t, store, org.AdminID)
		ended, err := store.SetPassword(t.Context(), org.AdminID, "$argon2id$stand-in", time.Now())
		if err != nil || ended != 2 {
			t.Fatalf("SetPassword = %d, %v; want 2 sessions ended", ended, err)
		}
		requireAuthenticated(t, store, s1.access, false)
		requireAuthenticated(t, store, s2.access, false)
		requireAuthenticated(t, store, org.AdminToken, true)
		if a, err := store.AccountByEmail(t.Context(), " "+org.AdminEmail); err == nil {
			t.Errorf("AccountByEmail with a space found %+v; the caller trims", a)
		}
		if a, err := store.AccountByEmail(t.Context(), strings.ToUpper(org.AdminEmail)); err != nil || a.PasswordHash != "$argon2id$stand-in" {
			t.Errorf("AccountByEmail(upper case) = %+v, %v; want the stored hash", a, err)
		}
		if _, err := store.SetPassword(t.Context(), domain.NewID(), "h", time.Now()); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("SetPassword(unknown user): %v; want not found", err)
		}
		if _, err := store.AccountByEmail(t.Context(), "nobody@example.test"); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("AccountByEmail(unknown): %v; want not found", err)
		}
	})
}

func TestRevokeUserTokensEndsSessions(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		s := startSession(t, store, org.AdminID)
		if n, err := store.RevokeUserTokens(t.Context(), org.AdminID, time.Now()); err != nil || n != 1 {
			t.Fatalf("RevokeUserTokens = %d, %v; want the one API token counted", n, err)
		}
		requireAuthenticated(t, store, s.access, false)
	})
}

func TestRevokeOwnToken(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		org := storetest.Seed(t, store, porttest.OrgSpec{})
		other := storetest.Seed(t, store, porttest.OrgSpec{})
		list, err := store.ListTokens(t.Context(), org.AdminID)
		if err != nil || len(list) != 1 {
			t.Fatalf("ListTokens = %v, %v", list, err)
		}
		theirs, err := store.ListTokens(t.Context(), other.AdminID)
		if err != nil || len(theirs) != 1 {
			t.Fatalf("ListTokens(other) = %v, %v", theirs, err)
		}
		for _, id := range []string{theirs[0].ID, domain.NewID(), "not-an-id"} {
			if _, err := store.RevokeOwnToken(t.Context(), org.AdminID, id, time.Now()); !domain.IsKind(err, domain.KindNotFound) {
				t.Errorf("RevokeOwnToken(%s): %v; want not found", id, err)
			}
		}
		requireAuthenticated(t, store, other.AdminToken, true)
		rec, err := store.RevokeOwnToken(t.Context(), org.AdminID, list[0].ID, time.Now())
		if err != nil || rec.RevokedAt == nil || rec.ID != list[0].ID {
			t.Fatalf("RevokeOwnToken = %+v, %v", rec, err)
		}
		requireAuthenticated(t, store, org.AdminToken, false)
	})
}

func TestSignInFailuresCountAndForget(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		store := storetest.Open(t, url)
		ctx := t.Context()
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		keys := []string{"email:a", "addr:192.0.2.1"}
		// Concurrent failures from many callers each count.
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if err := store.RecordFailure(ctx, keys, t0, t0.Add(-time.Hour)); err != nil {
					t.Errorf("RecordFailure: %v", err)
				}
			})
		}
		wg.Wait()
		got, err := store.Failures(ctx, []string{"addr:192.0.2.1", "unknown", "email:a"})
		if err != nil || got[0].Failures != 10 || got[1].Failures != 0 || got[2].Failures != 10 || !got[0].LastFailure.Equal(t0) {
			t.Fatalf("Failures = %+v, %v; want 10, 0, 10 at %s", got, err, t0)
		}
		// A failure after the forget time starts again from one.
		t1 := t0.Add(2 * time.Hour)
		if err := store.RecordFailure(ctx, keys[:1], t1, t1.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, _ := store.Failures(ctx, keys[:1]); got[0].Failures != 1 || !got[0].LastFailure.Equal(t1) {
			t.Errorf("after the forget time: %+v; want 1 at %s", got, t1)
		}
		if err := store.ClearFailures(ctx, keys[0]); err != nil {
			t.Fatal(err)
		}
		if got, _ := store.Failures(ctx, keys); got[0].Failures != 0 || got[1].Failures != 10 {
			t.Errorf("after ClearFailures: %+v; want the email cleared, the address kept", got)
		}
		if n, err := store.PurgeFailures(ctx, t0.Add(time.Second)); err != nil || n != 1 {
			t.Errorf("PurgeFailures = %d, %v; want the address's count", n, err)
		}
	})
}
