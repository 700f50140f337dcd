package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// fakeSignIn answers with the functions set, or refuses; it records the principals and
// arguments it was given.
type fakeSignIn struct {
	login   func(email string, password domain.Secret) (app.SignedIn, error)
	refresh func(domain.Secret) (domain.SessionTokens, error)
	logout  func(domain.Secret) error
	tokens  []ports.TokenRecord
	revoked []string
	callers []domain.Principal
}

var errNotSet = domain.Errorf(domain.KindUnauthenticated, "the email or the password is wrong")

func (f *fakeSignIn) Login(_ context.Context, email string, password domain.Secret) (app.SignedIn, error) {
	if f.login == nil {
		return app.SignedIn{}, errNotSet
	}
	return f.login(email, password)
}

func (f *fakeSignIn) Refresh(_ context.Context, token domain.Secret) (domain.SessionTokens, error) {
	if f.refresh == nil {
		return domain.SessionTokens{}, errNotSet
	}
	return f.refresh(token)
}

func (f *fakeSignIn) Logout(_ context.Context, token domain.Secret) error {
	if f.logout == nil {
		return errNotSet
	}
	return f.logout(token)
}

func (f *fakeSignIn) OwnTokens(_ context.Context, p domain.Principal) ([]ports.TokenRecord, error) {
	f.callers = append(f.callers, p)
	return f.tokens, nil
}

func (f *fakeSignIn) RevokeOwnToken(_ context.Context, p domain.Principal, tokenID string) error {
	f.callers = append(f.callers, p)
	if tokenID != newBucketID {
		return domain.Errorf(domain.KindNotFound, "you have no API token with the id %s; GET /token lists yours", tokenID)
	}
	f.revoked = append(f.revoked, tokenID)
	return nil
}

const signInPassword = "correct horse battery staple"

func postJSON(path, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func sessionTokens(at time.Time) domain.SessionTokens {
	return domain.SessionTokens{Access: domain.NewAccessToken(), AccessExpiresAt: at.Add(15 * time.Minute),
		Refresh: domain.NewRefreshToken(), RefreshExpiresAt: at.Add(24 * time.Hour)}
}

func TestLoginAnswersFlashbacksShape(t *testing.T) {
	h := newHarness(t)
	tokens := sessionTokens(h.clock.Now())
	h.signIn.login = func(email string, password domain.Secret) (app.SignedIn, error) {
		if email != "ada@example.test" || password.Reveal() != signInPassword {
			t.Errorf("Login(%q, %d bytes): the body's fields must reach the use case as sent", email, len(password.Reveal()))
		}
		return app.SignedIn{User: domain.User{ID: testPrincipal.UserID, OrgID: testPrincipal.OrgID, Email: email, Role: domain.RoleAdmin},
			Tokens: tokens}, nil
	}
	res := h.serve(t, postJSON("/user/login", `{"email":"ada@example.test","password":"`+signInPassword+`","deviceInfo":{"os":"linux"}}`))
	var body struct {
		Success                   bool
		AccessToken, RefreshToken string
		ExpiresAt                 int64
		User                      struct {
			ID, Email, Name, OrgID string
			OrgRole                int
		}
	}
	if err := json.Unmarshal(res.body, &body); err != nil || res.status != http.StatusOK {
		t.Fatalf("POST /user/login = %d %s", res.status, res.body)
	}
	if !body.Success || body.AccessToken != tokens.Access.Reveal() || body.RefreshToken != tokens.Refresh.Reveal() ||
		body.ExpiresAt != tokens.AccessExpiresAt.UnixMilli() || body.User.OrgRole != 254 || body.User.Name != "ada" {
		t.Errorf("POST /user/login = %s", res.body)
	}
	if strings.Contains(h.logs.String(), signInPassword) || strings.Contains(h.logs.String(), tokens.Refresh.Reveal()) {
		t.Error("a password or a token reached the log")
	}
}

func TestLoginRefusals(t *testing.T) {
	h := newHarness(t)
	res := h.serve(t, postJSON("/user/login", `{"email":"ada@example.test","password":"wrong"}`))
	if res.status != http.StatusUnauthorized || !strings.Contains(string(res.body), `"code":"UNAUTHENTICATED"`) {
		t.Errorf("wrong password: %d %s", res.status, res.body)
	}
	h.signIn.login = func(string, domain.Secret) (app.SignedIn, error) {
		return app.SignedIn{}, &domain.Error{Kind: domain.KindRateLimited, Message: "too many failed sign-ins; retry after 3 s", RetryAfter: 2100 * time.Millisecond}
	}
	res = h.serve(t, postJSON("/user/login", `{"email":"ada@example.test","password":"wrong"}`))
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "3" {
		t.Errorf("held back: %d Retry-After %q %s; want 429 with Retry-After 3", res.status, res.header.Get("Retry-After"), res.body)
	}
	for body, want := range map[string]string{
		`{"email":"ada@example.test"}`: `property \"password\" is missing`,
		`{"email":"","password":"x"}`:  `at \"email\"`,
	} {
		res := h.serve(t, postJSON("/user/login", body))
		if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), want) {
			t.Errorf("POST /user/login %s = %d %s; want 400 naming %s", body, res.status, res.body, want)
		}
	}
}

func TestRefreshAndLogout(t *testing.T) {
	h := newHarness(t)
	next := sessionTokens(h.clock.Now())
	old := domain.NewRefreshToken()
	h.signIn.refresh = func(token domain.Secret) (domain.SessionTokens, error) {
		if token.Reveal() != old.Reveal() {
			return domain.SessionTokens{}, errNotSet
		}
		return next, nil
	}
	res := h.serve(t, postJSON("/user/refresh", `{"refresh_token":"`+old.Reveal()+`"}`))
	var body struct {
		Token, AccessToken, RefreshToken string
		ExpiresAt                        int64
	}
	if err := json.Unmarshal(res.body, &body); err != nil || res.status != http.StatusOK || body.Token != next.Access.Reveal() ||
		body.AccessToken != body.Token || body.RefreshToken != next.Refresh.Reveal() || body.ExpiresAt != next.AccessExpiresAt.UnixMilli() {
		t.Errorf("POST /user/refresh = %d %s", res.status, res.body)
	}
	if res := h.serve(t, postJSON("/user/refresh", `{"refresh_token":"bkr_unknown"}`)); res.status != http.StatusUnauthorized {
		t.Errorf("unknown refresh token: %d %s", res.status, res.body)
	}
	var ended domain.Secret
	h.signIn.logout = func(token domain.Secret) error { ended = token; return nil }
	if res := h.serve(t, postJSON("/user/logout", `{"refresh_token":"`+old.Reveal()+`"}`)); res.status != http.StatusOK || ended.Reveal() != old.Reveal() {
		t.Errorf("POST /user/logout = %d %s", res.status, res.body)
	}
	if strings.Contains(h.logs.String(), old.Reveal()) || strings.Contains(h.logs.String(), next.Access.Reveal()) {
		t.Error("a token reached the log")
	}
}

func TestOwnTokens(t *testing.T) {
	h := newHarness(t)
	created, revoked := h.clock.Now().Add(-time.Hour), h.clock.Now().Add(-time.Minute)
	h.signIn.tokens = []ports.TokenRecord{{ID: newBucketID, UserID: testPrincipal.UserID, CreatedAt: created},
		{ID: workspaceID, UserID: testPrincipal.UserID, CreatedAt: created, RevokedAt: &revoked}}
	req := httptest.NewRequest(http.MethodGet, "/token", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	res := h.serve(t, req)
	if res.status != http.StatusOK || !strings.Contains(string(res.body), `"state":"ACTIVE"`) || !strings.Contains(string(res.body), `"state":"REVOKED"`) {
		t.Errorf("GET /token = %d %s", res.status, res.body)
	}
	for id, want := range map[string]int{newBucketID: http.StatusOK, workspaceID: http.StatusNotFound} {
		req := httptest.NewRequest(http.MethodDelete, "/token/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		if res := h.serve(t, req); res.status != want {
			t.Errorf("DELETE /token/%s = %d %s; want %d", id, res.status, res.body, want)
		}
	}
	for _, p := range h.signIn.callers {
		if p.UserID != testPrincipal.UserID {
			t.Errorf("the use case acted for %+v, not the caller", p)
		}
	}
	if res := h.serve(t, httptest.NewRequest(http.MethodGet, "/token", nil)); res.status != http.StatusUnauthorized {
		t.Errorf("GET /token without a token = %d", res.status)
	}
}
