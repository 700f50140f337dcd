package porttest

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// HolderReadStore is a store that reads buckets as the holder of a token, with the sign-in
// sessions whose access tokens it must refuse once revoked.
type HolderReadStore interface {
	RepositoryStore
	ports.Sessions
}

// RunHolderReadContract checks ports.BucketReader.GetAsHolder: it authenticates exactly as
// Authenticate does (a valid token, a session's access token; an unknown, empty, revoked or
// expired token and an access token of a revoked session refused alike, from the very next
// call), reads exactly what Get reads, and keeps organizations apart (another organization's
// bucket, an unknown, malformed or deleted id: the same KindNotFound, beside the principal).
// open returns a ready, migrated store; each subtest calls it once.
func RunHolderReadContract(t *testing.T, open func(t *testing.T) HolderReadStore) {
	t.Helper()
	t.Run("ReadsWhatGetReads", func(t *testing.T) { testHolderReads(t, open(t)) })
	t.Run("RefusesUnusableTokens", func(t *testing.T) { testHolderRefusals(t, open(t)) })
	t.Run("RefusesRevokedSessions", func(t *testing.T) { testHolderSessions(t, open(t)) })
	t.Run("KeepsOrganizationsApart", func(t *testing.T) { testHolderNotFound(t, open(t)) })
	t.Run("CarriesWorkspaceRoles", func(t *testing.T) { testHolderRoles(t, open(t)) })
}

func testHolderReads(t *testing.T, s HolderReadStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	b := repoBucket(org, "Photos")
	repoMustInsert(t, s, b)
	for _, id := range []string{b.ID, strings.ToUpper(b.ID)} {
		read := holderMustRead(t, s, org.AdminToken, id)
		if read.Err != nil {
			t.Fatalf("GetAsHolder(%s).Err = %v; want the bucket", id, read.Err)
		}
		lifeWantBucket(t, "GetAsHolder("+id+")", read.Bucket, lifeGet(t, s, org.OrgID, b.ID))
		holderWantPrincipal(t, "GetAsHolder("+id+")", read.Principal, dirAuthenticate(t, s, org.AdminToken))
	}
	// The use is recorded as Authenticate records it.
	tokens, err := s.ListTokens(t.Context(), org.AdminID)
	if err != nil || len(tokens) != 1 || tokens[0].LastUsedAt == nil {
		t.Errorf("ListTokens after GetAsHolder = %+v, %v; want the token with its last use", tokens, err)
	}
}

func testHolderRefusals(t *testing.T, s HolderReadStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	b := repoBucket(org, "Photos")
	repoMustInsert(t, s, b)
	revoked := repoInsertToken(t, s, org.AdminID, time.Now().Add(time.Hour))
	if read := holderMustRead(t, s, revoked, b.ID); read.Bucket.ID != b.ID {
		t.Fatalf("GetAsHolder before revocation = %+v; want the bucket", read)
	}
	tokens, err := s.ListTokens(t.Context(), org.AdminID)
	if err != nil || len(tokens) != 2 {
		t.Fatalf("ListTokens = %+v, %v; want two tokens", tokens, err)
	}
	if _, err := s.RevokeToken(t.Context(), tokens[1].ID, time.Now()); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	expired := repoInsertToken(t, s, org.AdminID, time.Now().Add(-time.Minute))
	_, authErr := s.Authenticate(t.Context(), domain.NewToken())
	for name, token := range map[string]domain.Secret{
		"unknown": domain.NewToken(), "empty": domain.NewSecret(""), "revoked": revoked, "expired": expired,
	} {
		holderWantRefused(t, s, name+" token", token, b.ID, authErr)
	}
}

func testHolderSessions(t *testing.T, s HolderReadStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	b := repoBucket(org, "Photos")
	repoMustInsert(t, s, b)
	now := time.Now().UTC()
	session := domain.Session{ID: domain.NewID(), UserID: org.AdminID, CreatedAt: now}
	access, refresh := domain.NewAccessToken(), domain.NewRefreshToken()
	err := s.StartSession(t.Context(), session,
		domain.RefreshToken{ID: domain.NewID(), SessionID: session.ID, Digest: domain.TokenDigest(refresh), CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		domain.APIToken{ID: domain.NewID(), UserID: org.AdminID, SessionID: session.ID, Digest: domain.TokenDigest(access), CreatedAt: now, ExpiresAt: new(now.Add(15 * time.Minute))})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	if read := holderMustRead(t, s, access, b.ID); read.Bucket.ID != b.ID || read.Principal.UserID != org.AdminID {
		t.Fatalf("GetAsHolder with a live session's access token = %+v; want the bucket", read)
	}
	if _, err := s.EndSession(t.Context(), domain.TokenDigest(refresh), time.Now()); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	_, authErr := s.Authenticate(t.Context(), access)
	holderWantRefused(t, s, "access token of a revoked session", access, b.ID, authErr)
}

func testHolderNotFound(t *testing.T, s HolderReadStore) {
	a := SeedOrganization(t, s, OrgSpec{})
	other := SeedOrganization(t, s, OrgSpec{})
	foreign := repoBucket(other, "Foreign")
	repoMustInsert(t, s, foreign)
	deleted := repoBucket(a, "Deleted")
	repoMustInsert(t, s, deleted)
	lifeMustDelete(t, s, a.OrgID, deleted.ID)
	want := dirAuthenticate(t, s, a.AdminToken)
	for what, id := range map[string]string{
		"another organization's bucket": foreign.ID,
		"a deleted bucket":              deleted.ID,
		"an unknown id":                 domain.NewID(),
		"a malformed id":                "not-a-uuid",
		"an id with SQL in it":          "' OR 1=1 --",
	} {
		read := holderMustRead(t, s, a.AdminToken, id)
		_, getErr := s.Get(t.Context(), a.OrgID, id)
		repoWantKind(t, "GetAsHolder of "+what, read.Err, domain.KindNotFound)
		if read.Bucket.ID != "" {
			t.Errorf("GetAsHolder of %s returned bucket %+v beside its refusal", what, read.Bucket)
		}
		if read.Err != nil && getErr != nil && read.Err.Error() != getErr.Error() {
			t.Errorf("GetAsHolder of %s says %q, Get %q; want Get's answer", what, read.Err, getErr)
		}
		holderWantPrincipal(t, "GetAsHolder of "+what, read.Principal, want)
	}
	// The owner of the foreign bucket reads it.
	if read := holderMustRead(t, s, other.AdminToken, foreign.ID); read.Bucket.ID != foreign.ID {
		t.Errorf("GetAsHolder by its own organization = %+v; want the bucket", read)
	}
}

// testHolderRoles reads with members: the store answers every bucket of the organization with
// the member's workspace roles, and leaves it to the use case to refuse a workspace the member
// may not read.
func testHolderRoles(t *testing.T, s HolderReadStore) {
	org := SeedOrganization(t, s, OrgSpec{})
	elsewhere := dirAddWorkspace(t, s, org.OrgID)
	inDefault := repoBucket(org, "Default's")
	repoMustInsert(t, s, inDefault)
	inOther := repoBucket(org, "Elsewhere's")
	inOther.WorkspaceID = elsewhere
	repoMustInsert(t, s, inOther)
	reader := dirUser(org.OrgID, domain.RoleMember)
	if err := s.AddUser(t.Context(), reader, nil); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if _, err := s.AddMembership(t.Context(), reader.ID, org.WorkspaceID, domain.WorkspaceRead); err != nil {
		t.Fatalf("AddMembership: %v", err)
	}
	token := repoInsertToken(t, s, reader.ID, time.Now().Add(time.Hour))
	want := domain.Principal{UserID: reader.ID, OrgID: org.OrgID, Role: domain.RoleMember,
		Workspaces: map[string]domain.WorkspaceRole{org.WorkspaceID: domain.WorkspaceRead}}
	for _, b := range []domain.Bucket{inDefault, inOther} {
		read := holderMustRead(t, s, token, b.ID)
		if read.Err != nil || read.Bucket.ID != b.ID {
			t.Errorf("GetAsHolder(%s) by a READ member = %+v; want the bucket", b.Name, read)
		}
		holderWantPrincipal(t, "GetAsHolder by a READ member", read.Principal, want)
	}
	// A member of no workspace is still the organization's.
	outsider := dirUser(org.OrgID, domain.RoleMember)
	if err := s.AddUser(t.Context(), outsider, nil); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	read := holderMustRead(t, s, repoInsertToken(t, s, outsider.ID, time.Now().Add(time.Hour)), inDefault.ID)
	holderWantPrincipal(t, "GetAsHolder by a member of no workspace", read.Principal,
		domain.Principal{UserID: outsider.ID, OrgID: org.OrgID, Role: domain.RoleMember, Workspaces: map[string]domain.WorkspaceRole{}})
}

// holderMustRead reads a bucket as the holder of token, failing the test when the token is
// refused or the store fails.
func holderMustRead(t *testing.T, s HolderReadStore, token domain.Secret, bucketID string) ports.HolderRead {
	t.Helper()
	read, err := s.GetAsHolder(t.Context(), token, bucketID)
	if err != nil {
		t.Fatalf("GetAsHolder(%s): %v", bucketID, err)
	}
	return read
}

// holderWantRefused checks that GetAsHolder refuses token with nothing beside the refusal, and
// with authErr, Authenticate's refusal, word for word.
func holderWantRefused(t *testing.T, s HolderReadStore, what string, token domain.Secret, bucketID string, authErr error) {
	t.Helper()
	read, err := s.GetAsHolder(t.Context(), token, bucketID)
	repoWantKind(t, "GetAsHolder with "+what, err, domain.KindUnauthenticated)
	if read.Principal.UserID != "" || read.Bucket.ID != "" || read.Err != nil {
		t.Errorf("GetAsHolder with %s returned %+v beside its refusal", what, read)
	}
	if err != nil && (authErr == nil || err.Error() != authErr.Error()) {
		t.Errorf("GetAsHolder with %s says %q; want Authenticate's refusal %v", what, err, authErr)
	}
}

func holderWantPrincipal(t *testing.T, what string, got, want domain.Principal) {
	t.Helper()
	if got.UserID != want.UserID || got.OrgID != want.OrgID || got.Role != want.Role || !maps.Equal(got.Workspaces, want.Workspaces) {
		t.Errorf("%s: principal %+v; want %+v", what, got, want)
	}
}
