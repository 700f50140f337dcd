package main_test

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/contracttest"
)

const signInPassword = "correct horse battery staple"

// signInServer is one bucketd on a fresh SQLite database with an organization whose admin has a
// password, set through `admin user password` with the password on stdin.
type signInServer struct {
	*server
	org     org
	checker *contracttest.Checker
	dbURL   string
	cliErr  string
}

func startSignInServer(t *testing.T, extra ...string) *signInServer {
	t.Helper()
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "bucketd.db")
	s := &signInServer{checker: contracttest.New(t), dbURL: dbURL}
	res := mustRunBucketd(t, "", "admin", "bootstrap", "--json", "--database-url", dbURL, "--org", "signin", "--email", "ada@e2e.test")
	s.org = parseBootstrap(t, res.stdout)
	s.org.Email = "ada@e2e.test"
	out, errOut := s.setPassword(t, signInPassword+"\n")
	if !strings.Contains(out, "the password of ada@e2e.test is set; 0 session(s)") {
		t.Fatalf("admin user password printed %q, stderr %s", out, errOut)
	}
	s.server = startServer(t, s.checker, "", append([]string{"--addr", "127.0.0.1:0", "--database-url", dbURL,
		"--master-keys", masterKeyID + ":" + randomBase64(32), "--rate-limit", "0", "--log-level", "debug"}, extra...)...)
	return s
}

// setPassword runs `admin user password --email ada@e2e.test` with stdin as its input.
func (s *signInServer) setPassword(t *testing.T, stdin string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bucketdBin, "admin", "user", "password", "--email", "ada@e2e.test", "--database-url", s.dbURL, "--log-level", "debug")
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = bucketdEnv(), strings.NewReader(stdin), &out, &errOut
	err := cmd.Run()
	s.cliErr += errOut.String()
	if err != nil && !strings.Contains(errOut.String(), "needs at least") {
		t.Fatalf("admin user password: %v\n%s", err, errOut.String())
	}
	return out.String(), errOut.String()
}

func (s *signInServer) login(t *testing.T, email, password string) *client.UserLoginClientResponse {
	t.Helper()
	res, err := s.Client(t, s.checker, "").UserLoginWithResponse(t.Context(), api.UserLoginJSONRequestBody{Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (s *signInServer) refresh(t *testing.T, token string) *client.UserRefreshClientResponse {
	t.Helper()
	res, err := s.Client(t, s.checker, "").UserRefreshWithResponse(t.Context(), api.UserRefreshJSONRequestBody{RefreshToken: token})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (s *signInServer) quotaStatus(t *testing.T, token string) int {
	t.Helper()
	res, err := s.Client(t, s.checker, token).GetQuotaWithResponse(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode()
}

func TestSignInRefreshReuseLogout(t *testing.T) {
	s := startSignInServer(t, "--access-token-ttl", "2s")
	in := s.login(t, "ADA@e2e.test", signInPassword)
	if in.JSON200 == nil || !strings.HasPrefix(in.JSON200.AccessToken, "bka_") || in.JSON200.User.OrgRole != 254 || in.JSON200.User.Id != s.org.UserID {
		t.Fatalf("login = %d %s", in.StatusCode(), in.Body)
	}
	if got := s.quotaStatus(t, in.JSON200.AccessToken); got != http.StatusOK {
		t.Fatalf("GET /user/quota with the access token = %d", got)
	}
	// The access token expires with its short lifetime.
	time.Sleep(2100 * time.Millisecond)
	if got := s.quotaStatus(t, in.JSON200.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("an expired access token: %d, want 401", got)
	}
	second := s.refresh(t, in.JSON200.RefreshToken)
	if second.JSON200 == nil || second.JSON200.RefreshToken == in.JSON200.RefreshToken || second.JSON200.Token != second.JSON200.AccessToken {
		t.Fatalf("refresh = %d %s", second.StatusCode(), second.Body)
	}
	if got := s.quotaStatus(t, second.JSON200.AccessToken); got != http.StatusOK {
		t.Fatalf("the refreshed access token: %d", got)
	}
	// Reusing the first refresh token ends the session: the newest tokens are refused at once.
	if reuse := s.refresh(t, in.JSON200.RefreshToken); reuse.StatusCode() != http.StatusUnauthorized || !strings.Contains(string(reuse.Body), "used before") {
		t.Errorf("reusing a refresh token = %d %s", reuse.StatusCode(), reuse.Body)
	}
	if got := s.quotaStatus(t, second.JSON200.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("the session's newest access token after the reuse: %d, want 401", got)
	}
	if res := s.refresh(t, second.JSON200.RefreshToken); res.StatusCode() != http.StatusUnauthorized {
		t.Errorf("the session's newest refresh token after the reuse: %d, want 401", res.StatusCode())
	}
	// Logout ends a session at once; the API token keeps working.
	other := s.login(t, "ada@e2e.test", signInPassword)
	logout, err := s.Client(t, s.checker, "").UserLogoutWithResponse(t.Context(), api.UserLogoutJSONRequestBody{RefreshToken: other.JSON200.RefreshToken})
	if err != nil || logout.StatusCode() != http.StatusOK {
		t.Fatalf("logout: %v %s", err, logout.Body)
	}
	if got := s.quotaStatus(t, other.JSON200.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("the access token after logout: %d, want 401", got)
	}
	if got := s.quotaStatus(t, s.org.Token); got != http.StatusOK {
		t.Errorf("the API token: %d, want 200", got)
	}
	// A new password ends every session.
	third := s.login(t, "ada@e2e.test", signInPassword)
	if out, _ := s.setPassword(t, "another long passphrase here\r\n"); !strings.Contains(out, "1 session(s)") {
		t.Errorf("admin user password printed %q; want one session ended", out)
	}
	if got := s.quotaStatus(t, third.JSON200.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("an access token after a new password: %d, want 401", got)
	}
	if _, errOut := s.setPassword(t, "too short\n"); !strings.Contains(errOut, "needs at least 15") {
		t.Errorf("a short password: stderr %q", errOut)
	}
	if res := s.login(t, "ada@e2e.test", "another long passphrase here"); res.StatusCode() != http.StatusOK {
		t.Errorf("login with the new password = %d %s", res.StatusCode(), res.Body)
	}
	s.requireNoSecrets(t, signInPassword, "another long passphrase here", in.JSON200.AccessToken, in.JSON200.RefreshToken,
		second.JSON200.RefreshToken, s.org.Token)
}

func (s *signInServer) requireNoSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(s.Stderr.String(), secret) || strings.Contains(s.cliErr, secret) {
			t.Errorf("a password or token (%.4s…) reached a log", secret)
		}
	}
}

func TestSignInRefusalsAndBackoff(t *testing.T) {
	s := startSignInServer(t, "--login-free-failures", "3", "--login-address-free-failures", "100")
	unknown, wrong := s.login(t, "nobody@e2e.test", "whatever it is"), s.login(t, "ada@e2e.test", "whatever it is")
	if unknown.StatusCode() != http.StatusUnauthorized || string(unknown.Body) != string(wrong.Body) {
		t.Errorf("unknown email %d %s, wrong password %d %s: want one and the same 401", unknown.StatusCode(), unknown.Body, wrong.StatusCode(), wrong.Body)
	}
	// ada@ failed once above: fail until held back.
	var held *client.UserLoginClientResponse
	for range 5 {
		if held = s.login(t, "ada@e2e.test", "still wrong!!"); held.StatusCode() == http.StatusTooManyRequests {
			break
		}
	}
	if held.StatusCode() != http.StatusTooManyRequests || held.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Fatalf("after failures: %d %s Retry-After %q; want 429 with Retry-After", held.StatusCode(), held.Body, held.HTTPResponse.Header.Get("Retry-After"))
	}
	// Held back even with the right password, until the wait is over.
	if res := s.login(t, "ada@e2e.test", signInPassword); res.StatusCode() != http.StatusTooManyRequests {
		t.Errorf("the right password while held back: %d", res.StatusCode())
	}
	time.Sleep(1100 * time.Millisecond)
	if res := s.login(t, "ada@e2e.test", signInPassword); res.StatusCode() != http.StatusOK {
		t.Errorf("the right password after the wait: %d %s", res.StatusCode(), res.Body)
	}
	s.requireNoSecrets(t, signInPassword)
}

func TestOwnTokensListAndRevoke(t *testing.T) {
	s := startSignInServer(t)
	other := s.login(t, "ada@e2e.test", signInPassword)
	c := s.Client(t, s.checker, other.JSON200.AccessToken)
	list, err := c.GetTokensWithResponse(t.Context())
	if err != nil || list.JSON200 == nil || len(list.JSON200.Tokens) != 1 || list.JSON200.Tokens[0].State != api.ACTIVE {
		t.Fatalf("GET /token = %v %s; want the one API token, not the session's", err, list.Body)
	}
	if strings.Contains(string(list.Body), s.org.Token) {
		t.Error("GET /token shows the token itself")
	}
	if res, _ := c.RevokeTokenWithResponse(t.Context(), "0192f7a4-5b6c-7d8e-9f01-23456789abcd"); res.StatusCode() != http.StatusNotFound {
		t.Errorf("DELETE /token/unknown = %d", res.StatusCode())
	}
	if res, _ := c.RevokeTokenWithResponse(t.Context(), list.JSON200.Tokens[0].Id); res.StatusCode() != http.StatusOK {
		t.Errorf("DELETE /token/{own} = %d %s", res.StatusCode(), res.Body)
	}
	if got := s.quotaStatus(t, s.org.Token); got != http.StatusUnauthorized {
		t.Errorf("the revoked API token: %d, want 401", got)
	}
}

// TestUnknownEmailAndWrongPasswordTakeAlike compares the fastest of several refusals of each:
// an unknown email hashes against a dummy hash, so it costs what a wrong password costs. Without
// the dummy hash it would answer in a fraction of the time.
func TestUnknownEmailAndWrongPasswordTakeAlike(t *testing.T) {
	s := startSignInServer(t, "--login-free-failures", "100", "--login-address-free-failures", "100")
	fastest := func(email string) time.Duration {
		best := time.Hour
		for range 7 {
			began := time.Now()
			if res := s.login(t, email, "not the password"); res.StatusCode() != http.StatusUnauthorized {
				t.Fatalf("login(%s) = %d", email, res.StatusCode())
			}
			best = min(best, time.Since(began))
		}
		return best
	}
	unknown, wrong := fastest("nobody@e2e.test"), fastest("ada@e2e.test")
	if unknown < wrong/2 || wrong < unknown/2 {
		t.Errorf("the fastest refusal of an unknown email took %s, of a wrong password %s; want alike", unknown, wrong)
	}
}
