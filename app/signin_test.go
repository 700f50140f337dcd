package app_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/mocks"
)

// signInPorts are SignIn's ports as mocks; the controller fails the test on any call it did
// not expect, which is how the tests prove what a refusal skips.
type signInPorts struct {
	accounts *mocks.MockAccounts
	sessions *mocks.MockSessions
	failures *mocks.MockSignInFailures
	hasher   *mocks.MockPasswordHasher
	tokens   *mocks.MockOwnTokens
	audit    *mocks.MockAuditLog
	events   []domain.AuditEvent
}

var backoff = domain.Backoff{Free: 2, Base: time.Second, Max: time.Minute, Forget: time.Hour}

func newSignIn(t *testing.T) (*app.SignIn, *signInPorts, *bytes.Buffer) {
	t.Helper()
	ctrl := gomock.NewController(t)
	p := &signInPorts{accounts: mocks.NewMockAccounts(ctrl), sessions: mocks.NewMockSessions(ctrl),
		failures: mocks.NewMockSignInFailures(ctrl), hasher: mocks.NewMockPasswordHasher(ctrl),
		tokens: mocks.NewMockOwnTokens(ctrl), audit: mocks.NewMockAuditLog(ctrl)}
	p.audit.EXPECT().Record(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e domain.AuditEvent) error {
		p.events = append(p.events, e)
		return nil
	}).AnyTimes()
	logs := &bytes.Buffer{}
	s, err := app.NewSignIn(app.SignInDeps{Accounts: p.accounts, Sessions: p.sessions, Failures: p.failures, Hasher: p.hasher,
		Tokens: p.tokens, Audit: p.audit, EmailKey: domain.NewSecret("email key"),
		AccessTTL: 15 * time.Minute, RefreshTTL: 24 * time.Hour, EmailBackoff: backoff, AddressBackoff: backoff,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return s, p, logs
}

var signInUser = domain.User{ID: "0192f7a4-5b6c-7d8e-9f01-23456789abcd", OrgID: "0192f7a4-5b6c-7d8e-9f01-000000000001",
	Email: "ada@example.test", Role: domain.RoleAdmin}

const password = "correct horse battery staple"

func signInCtx() context.Context {
	return domain.WithClientAddr(context.Background(), "2001:db8::7")
}

func TestLoginStartsASession(t *testing.T) {
	s, p, _ := newSignIn(t)
	var keys []string
	p.failures.EXPECT().Failures(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, k []string) ([]domain.FailureCount, error) {
		keys = k
		return make([]domain.FailureCount, len(k)), nil
	})
	p.accounts.EXPECT().AccountByEmail(gomock.Any(), "ada@example.test").Return(ports.Account{User: signInUser, PasswordHash: "$hash"}, nil)
	p.hasher.EXPECT().Verify(gomock.Any(), gomock.Any(), "$hash").Return(true, nil)
	p.failures.EXPECT().ClearFailures(gomock.Any(), gomock.Any())
	var access domain.APIToken
	var refresh domain.RefreshToken
	p.sessions.EXPECT().StartSession(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).
		DoAndReturn(func(_ context.Context, sess domain.Session, r domain.RefreshToken, a domain.APIToken) error {
			if sess.UserID != signInUser.ID || r.SessionID != sess.ID || a.SessionID != sess.ID || a.UserID != signInUser.ID {
				t.Errorf("StartSession(%+v, %+v, %+v): the tokens must belong to the user's new session", sess, r, a)
			}
			access, refresh = a, r
			return nil
		})
	got, err := s.Login(signInCtx(), "  Ada@Example.TEST ", domain.NewSecret(password))
	if err != nil {
		t.Fatal(err)
	}
	tk := got.Tokens
	if got.User != signInUser || !strings.HasPrefix(tk.Access.Reveal(), "bka_") || !strings.HasPrefix(tk.Refresh.Reveal(), "bkr_") ||
		!tk.AccessExpiresAt.Equal(clock.Add(15*time.Minute)) || !tk.RefreshExpiresAt.Equal(clock.Add(24*time.Hour)) {
		t.Errorf("Login = %+v", got)
	}
	if string(access.Digest) != string(domain.TokenDigest(tk.Access)) || string(refresh.Digest) != string(domain.TokenDigest(tk.Refresh)) {
		t.Error("the stored digests are not those of the tokens handed out")
	}
	if len(keys) != 2 || strings.Contains(keys[0], "ada") || keys[1] != "addr:2001:db8::/64" {
		t.Errorf("failure keys %q: want a keyed hash of the email and the client's /64", keys)
	}
	if len(p.events) != 1 || p.events[0].Action != domain.AuditSignIn || p.events[0].Outcome != domain.AuditOK || p.events[0].UserID != signInUser.ID {
		t.Errorf("audit events %+v; want one granted sign-in", p.events)
	}
}

// TestLoginRefusalsAreAlike proves that an unknown email, a user without a password and a wrong
// password do the same work (a hash, a counted failure) and get the same error.
func TestLoginRefusalsAreAlike(t *testing.T) {
	for name, tc := range map[string]struct {
		account ports.Account
		lookup  error
		hash    string
	}{
		"unknown email":  {lookup: domain.Errorf(domain.KindNotFound, "no user"), hash: ""},
		"no password":    {account: ports.Account{User: signInUser}, hash: ""},
		"wrong password": {account: ports.Account{User: signInUser, PasswordHash: "$hash"}, hash: "$hash"},
	} {
		t.Run(name, func(t *testing.T) {
			s, p, logs := newSignIn(t)
			p.failures.EXPECT().Failures(gomock.Any(), gomock.Any()).Return(make([]domain.FailureCount, 2), nil)
			p.accounts.EXPECT().AccountByEmail(gomock.Any(), gomock.Any()).Return(tc.account, tc.lookup)
			p.hasher.EXPECT().Verify(gomock.Any(), gomock.Any(), tc.hash).Return(false, nil)
			p.failures.EXPECT().RecordFailure(gomock.Any(), gomock.Len(2), clock, clock.Add(-time.Hour))
			_, err := s.Login(signInCtx(), "ada@example.test", domain.NewSecret(password))
			if !domain.IsKind(err, domain.KindUnauthenticated) || err.Error() != "the email or the password is wrong" {
				t.Errorf("Login = %v; want the one unauthenticated answer", err)
			}
			if len(p.events) != 1 || p.events[0].Action != domain.AuditSignIn || p.events[0].Outcome != "unauthenticated" ||
				p.events[0].UserID != tc.account.User.ID {
				t.Errorf("audit events %+v; want one refused sign-in naming the user when there is one", p.events)
			}
			if strings.Contains(logs.String(), password) {
				t.Error("the password reached the log")
			}
		})
	}
}

func TestLoginHeldBackAnswersBeforeAnyLookup(t *testing.T) {
	s, p, _ := newSignIn(t)
	// The address failed 5 times, the last one 1 s ago: blocked 4 s after it.
	p.failures.EXPECT().Failures(gomock.Any(), gomock.Any()).
		Return([]domain.FailureCount{{}, {Failures: 5, LastFailure: clock.Add(-time.Second)}}, nil)
	_, err := s.Login(signInCtx(), "ada@example.test", domain.NewSecret(password))
	var de *domain.Error
	if !domain.IsKind(err, domain.KindRateLimited) || !errors.As(err, &de) || de.RetryAfter != 3*time.Second {
		t.Fatalf("Login while held back = %v; want rate limited with RetryAfter 3s", err)
	}
	if len(p.events) != 0 {
		t.Errorf("a held-back attempt wrote audit events %+v; it must cost nothing", p.events)
	}
}

func TestRefreshRotates(t *testing.T) {
	s, p, _ := newSignIn(t)
	old := domain.NewRefreshToken()
	p.sessions.EXPECT().RotateRefreshToken(gomock.Any(), domain.TokenDigest(old), clock, gomock.Any(), gomock.Any()).
		Return(ports.Rotation{SessionRef: ports.SessionRef{SessionID: "s", UserID: signInUser.ID, OrgID: signInUser.OrgID}}, nil)
	tokens, err := s.Refresh(context.Background(), old)
	if err != nil || tokens.Refresh.Reveal() == old.Reveal() || !strings.HasPrefix(tokens.Access.Reveal(), "bka_") {
		t.Fatalf("Refresh = %+v, %v; want new tokens", tokens, err)
	}
	if len(p.events) != 1 || p.events[0].Action != domain.AuditRefresh || p.events[0].UserID != signInUser.ID {
		t.Errorf("audit events %+v; want one refresh", p.events)
	}
}

func TestRefreshReuseIsRefusedAndAudited(t *testing.T) {
	s, p, logs := newSignIn(t)
	p.sessions.EXPECT().RotateRefreshToken(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).
		Return(ports.Rotation{SessionRef: ports.SessionRef{SessionID: "s", UserID: signInUser.ID, OrgID: signInUser.OrgID}, Reused: true}, nil)
	_, err := s.Refresh(context.Background(), domain.NewRefreshToken())
	if !domain.IsKind(err, domain.KindUnauthenticated) || !strings.Contains(err.Error(), "used before") {
		t.Fatalf("Refresh(reused) = %v; want unauthenticated saying the token was used before", err)
	}
	if len(p.events) != 1 || p.events[0].Action != domain.AuditRefreshReused || p.events[0].OrgID != signInUser.OrgID {
		t.Errorf("audit events %+v; want one reuse", p.events)
	}
	if !strings.Contains(logs.String(), "session is revoked") {
		t.Errorf("log %s: want a warning about the revoked session", logs)
	}
}

func TestRefreshAndLogoutRefuseOtherTokensUnlookedUp(t *testing.T) {
	s, _, _ := newSignIn(t)
	for _, token := range []domain.Secret{domain.NewAccessToken(), domain.NewToken(), domain.NewSecret("")} {
		if _, err := s.Refresh(context.Background(), token); !domain.IsKind(err, domain.KindUnauthenticated) || !strings.Contains(err.Error(), "bkr_") {
			t.Errorf("Refresh(%.4s…) = %v; want unauthenticated naming the refresh token's form", token.Reveal(), err)
		}
		if err := s.Logout(context.Background(), token); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Errorf("Logout(%.4s…) = %v; want unauthenticated", token.Reveal(), err)
		}
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	s, p, _ := newSignIn(t)
	token := domain.NewRefreshToken()
	p.sessions.EXPECT().EndSession(gomock.Any(), domain.TokenDigest(token), clock).
		Return(ports.SessionRef{SessionID: "s", UserID: signInUser.ID, OrgID: signInUser.OrgID}, nil)
	if err := s.Logout(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	if len(p.events) != 1 || p.events[0].Action != domain.AuditSignOut {
		t.Errorf("audit events %+v; want one sign-out", p.events)
	}
}

func TestRevokeOwnTokenIsScopedToTheCaller(t *testing.T) {
	s, p, _ := newSignIn(t)
	caller := domain.Principal{UserID: signInUser.ID, OrgID: signInUser.OrgID}
	p.tokens.EXPECT().RevokeOwnToken(gomock.Any(), signInUser.ID, "tok", clock).Return(ports.TokenRecord{}, domain.Errorf(domain.KindNotFound, "no"))
	if err := s.RevokeOwnToken(context.Background(), caller, " tok "); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("RevokeOwnToken = %v; want the store's not found", err)
	}
	if len(p.events) != 0 {
		t.Errorf("a refused revocation wrote %+v", p.events)
	}
}

func TestSetPassword(t *testing.T) {
	ctrl := gomock.NewController(t)
	store, logs := newAdminStore(ctrl), &bytes.Buffer{}
	accounts, hasher := mocks.NewMockAccounts(ctrl), mocks.NewMockPasswordHasher(ctrl)
	deps := store.deps()
	deps.Accounts, deps.Hasher = accounts, hasher
	deps.Logger, deps.Now = slog.New(slog.NewJSONHandler(logs, nil)), func() time.Time { return clock }
	a, err := app.NewAdmin(deps)
	if err != nil {
		t.Fatal(err)
	}
	for pw, want := range map[string]string{"short": "at least 15", "fourteen chars": "at least 15", "\xff\xfe" + strings.Repeat("x", 20): "UTF-8",
		strings.Repeat("é", 600): "limit is 1024"} {
		if _, err := a.SetPassword(context.Background(), signInUser.Email, domain.NewSecret(pw)); !domain.IsKind(err, domain.KindInvalidInput) || !strings.Contains(err.Error(), want) {
			t.Errorf("SetPassword(%d bytes) = %v; want invalid input saying %q", len(pw), err, want)
		}
	}
	store.users.EXPECT().UserByEmail(gomock.Any(), signInUser.Email).Return(signInUser, nil)
	hasher.EXPECT().Hash(gomock.Any(), domain.NewSecret("fifteen chars!!")).Return("$hash", nil)
	accounts.EXPECT().SetPassword(gomock.Any(), signInUser.ID, "$hash", clock).Return(2, nil)
	if ended, err := a.SetPassword(context.Background(), signInUser.Email, domain.NewSecret("fifteen chars!!")); err != nil || ended != 2 {
		t.Fatalf("SetPassword = %d, %v; want 2 sessions ended", ended, err)
	}
	if strings.Contains(logs.String(), "fifteen chars") || strings.Contains(logs.String(), "$hash") {
		t.Error("the password or its hash reached the log")
	}
}
