package main_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
)

// The --json shapes of the admin commands, as an operator's script reads them.
type (
	orgOut struct {
		ID                   string    `json:"id"`
		Name                 string    `json:"name"`
		Plan                 string    `json:"plan"`
		BucketLimit          *int      `json:"bucketLimit"`
		EffectiveBucketLimit int       `json:"effectiveBucketLimit"`
		Buckets              int       `json:"buckets"`
		CreatedAt            time.Time `json:"createdAt"`
	}
	workspaceOut struct {
		ID      string `json:"id"`
		OrgID   string `json:"orgId"`
		Name    string `json:"name"`
		Members int    `json:"members"`
		Buckets int    `json:"buckets"`
	}
	userOut struct {
		ID         string   `json:"id"`
		OrgID      string   `json:"orgId"`
		Email      string   `json:"email"`
		Role       string   `json:"role"`
		Workspaces []string `json:"workspaces"`
	}
	membershipOut struct {
		WorkspaceID string `json:"workspaceId"`
		UserID      string `json:"userId"`
		Member      bool   `json:"member"`
		Changed     bool   `json:"changed"`
	}
	issuedTokenOut struct {
		ID        string     `json:"id"`
		Token     string     `json:"token"`
		ExpiresAt *time.Time `json:"expiresAt"`
	}
	tokenOut struct {
		ID         string     `json:"id"`
		UserID     string     `json:"userId"`
		State      string     `json:"state"`
		CreatedAt  time.Time  `json:"createdAt"`
		ExpiresAt  *time.Time `json:"expiresAt"`
		RevokedAt  *time.Time `json:"revokedAt"`
		LastUsedAt *time.Time `json:"lastUsedAt"`
	}
)

// admin runs `bucketd admin args...` on the backend's database and keeps its stderr for the
// leak checks: the JSON log lines with the other commands' logs, the rest as messages.
func (b *backend) admin(t testing.TB, args ...string) runResult {
	t.Helper()
	// At debug, so the leak checks read everything the command logs, not only its warnings.
	res := runBucketd(t, "", append(append([]string{"admin"}, args...), "--database-url", b.dbURL, "--log-level", "debug")...)
	for line := range strings.Lines(res.stderr) {
		if json.Valid([]byte(line)) {
			_, _ = b.cliLogs.Write([]byte(line))
		} else {
			_, _ = b.cliMessages.Write([]byte(line))
		}
	}
	return res
}

// adminJSON runs an admin command with --json, fails t unless it exits 0 and prints exactly one
// line of JSON, and decodes that line.
func adminJSON[T any](t testing.TB, b *backend, args ...string) T {
	t.Helper()
	res := b.admin(t, append(args, "--json")...)
	if res.err != nil {
		t.Fatalf("bucketd admin %s: %v\nstderr: %s", strings.Join(args, " "), res.err, res.stderr)
	}
	var v T
	if strings.Count(res.stdout, "\n") != 1 || json.Unmarshal([]byte(res.stdout), &v) != nil {
		t.Fatalf("bucketd admin %s --json printed %q, want one line of JSON", strings.Join(args, " "), res.stdout)
	}
	return v
}

// adminText runs an admin command without --json, fails t unless it exits 0, and returns what
// it printed for the operator.
func adminText(t testing.TB, b *backend, args ...string) string {
	t.Helper()
	res := b.admin(t, args...)
	if res.err != nil {
		t.Fatalf("bucketd admin %s: %v\nstderr: %s", strings.Join(args, " "), res.err, res.stderr)
	}
	return res.stdout
}

// wantAdminRefused fails t unless the command exits with status 2, prints nothing on stdout and
// says every one of want on stderr.
func wantAdminRefused(t testing.TB, res runResult, want ...string) {
	t.Helper()
	var exit *exec.ExitError
	if !errors.As(res.err, &exit) || exit.ExitCode() != 2 || res.stdout != "" {
		t.Fatalf("exit %v, stdout %q; want status 2 and no output\nstderr: %s", res.err, res.stdout, res.stderr)
	}
	for _, w := range want {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("stderr does not say %q:\n%s", w, res.stderr)
		}
	}
}

// addWorkspace creates another workspace of o's organization with `admin workspace create`.
func (b *backend) addWorkspace(t testing.TB, o org, name string) string {
	t.Helper()
	ws := adminJSON[workspaceOut](t, b, "workspace", "create", "--org", o.OrgID, "--name", name)
	if !domain.IsID(ws.ID) || ws.OrgID != o.OrgID || ws.Name != name {
		t.Fatalf("workspace create printed %+v, want %q in organization %s with a UUID", ws, name, o.OrgID)
	}
	return ws.ID
}

// addMember adds a MEMBER of o's organization to the given workspaces with `admin user add`
// and gives it a token with `admin token create`. The result acts in the first workspace.
func (b *backend) addMember(t testing.TB, o org, workspaceIDs ...string) org {
	t.Helper()
	email := fmt.Sprintf("member%d@e2e.test", emailSeq.Add(1))
	args := []string{"user", "add", "--org", o.OrgID, "--email", email, "--role", "MEMBER"}
	for _, ws := range workspaceIDs {
		args = append(args, "--workspace", ws)
	}
	user := adminJSON[userOut](t, b, args...)
	if !domain.IsID(user.ID) || user.Email != email || user.Role != "MEMBER" || len(user.Workspaces) != len(workspaceIDs) {
		t.Fatalf("user add printed %+v, want MEMBER %s in %d workspaces", user, email, len(workspaceIDs))
	}
	token := b.createToken(t, email)
	return org{OrgID: o.OrgID, WorkspaceID: workspaceIDs[0], UserID: user.ID, Token: token.Token, Email: email}
}

// createToken issues a token with `admin token create` and records it as a secret.
func (b *backend) createToken(t testing.TB, email string, flags ...string) issuedTokenOut {
	t.Helper()
	issued := adminJSON[issuedTokenOut](t, b, append([]string{"token", "create", "--email", email}, flags...)...)
	if !domain.IsID(issued.ID) || !strings.HasPrefix(issued.Token, "bkd_") {
		t.Fatalf("token create printed id %q and a token of %d characters, want a UUID and a bkd_ token", issued.ID, len(issued.Token))
	}
	b.secrets.Add("a token of "+email, issued.Token)
	return issued
}

// findOrg returns the organization's entry of `admin org list --json`.
func findOrg(t testing.TB, b *backend, orgID string) orgOut {
	t.Helper()
	orgs := adminJSON[[]orgOut](t, b, "org", "list")
	i := slices.IndexFunc(orgs, func(o orgOut) bool { return o.ID == orgID })
	if i < 0 {
		t.Fatalf("org list does not show organization %s", orgID)
	}
	return orgs[i]
}

// testAdminOrganizations changes an organization's plan and limit while a server runs: each
// change applies to the next request, and a limit below the usage keeps the buckets but
// refuses creates.
func testAdminOrganizations(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	listed := findOrg(t, b, o.OrgID)
	if listed.Name != t.Name() || listed.Plan != "FREE_TRIAL" || listed.BucketLimit != nil || listed.EffectiveBucketLimit != freeTrialLimit ||
		listed.Buckets != 0 || time.Since(listed.CreatedAt) > time.Hour {
		t.Errorf("org list shows %+v, want a new FREE_TRIAL organization named %q with the plan's limit and no buckets", listed, t.Name())
	}
	wantCreated(t, create(t, c, b.request(o, "First")))
	wantCreated(t, create(t, c, b.request(o, "Second")))

	team := adminJSON[orgOut](t, b, "org", "set", "--org", o.OrgID, "--plan", "TEAM")
	if team.Plan != "TEAM" || team.EffectiveBucketLimit != 100 || team.Buckets != 2 {
		t.Errorf("org set --plan TEAM printed %+v, want TEAM with 100 buckets allowed and 2 used", team)
	}
	wantUsage(t, c, 2, 100)

	res := b.admin(t, "org", "set", "--org", strings.ToUpper(o.OrgID), "--bucket-limit", "1", "--json")
	var lowered orgOut
	if res.err != nil || json.Unmarshal([]byte(res.stdout), &lowered) != nil {
		t.Fatalf("org set --bucket-limit 1: %v\nstdout: %s\nstderr: %s", res.err, res.stdout, res.stderr)
	}
	if lowered.BucketLimit == nil || *lowered.BucketLimit != 1 || lowered.EffectiveBucketLimit != 1 || lowered.Buckets != 2 {
		t.Errorf("org set --bucket-limit 1 printed %+v, want a limit of 1 and 2 buckets", lowered)
	}
	for _, want := range []string{"warning", o.OrgID, "holds 2 buckets", "limit of 1", "429 QUOTA_EXCEEDED"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("org set below the usage does not warn with %q:\n%s", want, res.stderr)
		}
	}
	e := wantError(t, create(t, c, b.request(o, "Third")), http.StatusTooManyRequests, "QUOTA_EXCEEDED")
	if !strings.Contains(e.Message, "2 of 1") {
		t.Errorf("QUOTA_EXCEEDED message %q does not say 2 of 1", e.Message)
	}
	if n := countBuckets(t, b.dbURL, o.OrgID); n != 2 {
		t.Errorf("after the limit went below the usage the organization has %d buckets, want both of its 2", n)
	}
	wantUsage(t, c, 2, 1)

	cleared := adminJSON[orgOut](t, b, "org", "set", "--org", o.OrgID, "--clear-bucket-limit")
	if cleared.BucketLimit != nil || cleared.EffectiveBucketLimit != 100 {
		t.Errorf("org set --clear-bucket-limit printed %+v, want no override and TEAM's 100", cleared)
	}
	wantCreated(t, create(t, c, b.request(o, "Third")))

	text := adminText(t, b, "org", "list")
	if !strings.Contains(text, "BUCKETS") || !lineWith(text, o.OrgID, "TEAM", "3", "100", "(plan)") {
		t.Errorf("org list text does not show the organization with TEAM, 3 buckets and the plan's 100:\n%s", text)
	}
}

// lineWith reports whether one line of text has every field among its words.
func lineWith(text string, fields ...string) bool {
	for line := range strings.Lines(text) {
		words := strings.Fields(line)
		if !slices.ContainsFunc(fields, func(f string) bool { return !slices.Contains(words, f) }) {
			return true
		}
	}
	return false
}

// testAdminMembers grants and withdraws a member's workspaces and role with the commands while
// a server runs: each change applies to the member's next request.
func testAdminMembers(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	restricted := b.addWorkspace(t, o, "Restricted")
	member := b.addMember(t, o, o.WorkspaceID)
	mc := b.client(t, member)

	workspaces := adminJSON[[]workspaceOut](t, b, "workspace", "list", "--org", o.OrgID)
	want := []workspaceOut{
		{ID: o.WorkspaceID, OrgID: o.OrgID, Name: "default", Members: 2},
		{ID: restricted, OrgID: o.OrgID, Name: "Restricted", Members: 0},
	}
	if !slices.Equal(workspaces, want) {
		t.Errorf("workspace list printed %+v, want %+v", workspaces, want)
	}
	users := adminJSON[[]userOut](t, b, "user", "list", "--org", o.OrgID)
	wantUsers := []userOut{
		{ID: o.UserID, OrgID: o.OrgID, Email: o.Email, Role: "ADMIN", Workspaces: []string{o.WorkspaceID}},
		{ID: member.UserID, OrgID: o.OrgID, Email: member.Email, Role: "MEMBER", Workspaces: []string{o.WorkspaceID}},
	}
	if len(users) != 2 || !slices.EqualFunc(users, wantUsers, func(a, b userOut) bool {
		return a.ID == b.ID && a.OrgID == b.OrgID && a.Email == b.Email && a.Role == b.Role && slices.Equal(a.Workspaces, b.Workspaces)
	}) {
		t.Errorf("user list printed %+v, want %+v", users, wantUsers)
	}

	reach := func(step string, status int) {
		t.Helper()
		res := listBuckets(t, mc, api.ListBucketsParams{WorkspaceId: &restricted})
		if res.StatusCode() != status {
			t.Fatalf("after %s the member's GET /bucket of the restricted workspace answered %d %s, want %d",
				step, res.StatusCode(), res.Body, status)
		}
	}
	membership := func(verb string, changed bool) {
		t.Helper()
		m := adminJSON[membershipOut](t, b, "member", verb, "--workspace", restricted, "--email", strings.ToUpper(member.Email))
		if m.UserID != member.UserID || m.WorkspaceID != restricted || m.Member != (verb == "add") || m.Changed != changed {
			t.Fatalf("member %s printed %+v, want changed %v", verb, m, changed)
		}
	}
	reach("user add", http.StatusForbidden)
	membership("add", true)
	reach("member add", http.StatusOK)
	membership("add", false)
	membership("remove", true)
	reach("member remove", http.StatusForbidden)
	membership("remove", false)

	for _, step := range []struct {
		role   string
		status int
	}{{"ADMIN", http.StatusOK}, {"MEMBER", http.StatusForbidden}} {
		res := b.admin(t, "user", "role", "--email", member.Email, "--role", step.role)
		if res.err != nil || !strings.Contains(res.stdout, member.Email+" is now "+step.role) {
			t.Fatalf("user role %s: %v\nstdout: %s\nstderr: %s", step.role, res.err, res.stdout, res.stderr)
		}
		reach("user role "+step.role, step.status)
	}
}

// testAdminTokens lists and revokes tokens while a server runs: a revoked or expired token is
// refused with 401 on its very next request, the others keep working, and no output shows a
// token or its digest.
func testAdminTokens(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	second := b.createToken(t, o.Email)
	if second.ExpiresAt != nil {
		t.Errorf("token create without --ttl printed expiresAt %s, want null", second.ExpiresAt)
	}
	first, other := b.client(t, o), b.servers[0].Client(t, b.checker, second.Token)
	wantStatus(t, "the first token", first, http.StatusOK)

	tokens := adminJSON[[]tokenOut](t, b, "token", "list", "--email", o.Email)
	if len(tokens) != 2 || tokens[1].ID != second.ID {
		t.Fatalf("token list printed %+v, want the bootstrap token and then %s", tokens, second.ID)
	}
	for i, tok := range tokens {
		if tok.State != "ACTIVE" || tok.UserID != o.UserID || tok.RevokedAt != nil || tok.ExpiresAt != nil || time.Since(tok.CreatedAt) > time.Hour {
			t.Errorf("token %d = %+v, want ACTIVE, of %s, created now, never expiring", i, tok, o.UserID)
		}
	}
	if tokens[0].LastUsedAt == nil || tokens[1].LastUsedAt != nil {
		t.Errorf("lastUsedAt = %v and %v, want the used first token's time and null for the unused second", tokens[0].LastUsedAt, tokens[1].LastUsedAt)
	}

	revoked := adminJSON[tokenOut](t, b, "token", "revoke", "--id", tokens[0].ID)
	if revoked.ID != tokens[0].ID || revoked.State != "REVOKED" || revoked.RevokedAt == nil {
		t.Fatalf("token revoke --id printed %+v, want token %s REVOKED", revoked, tokens[0].ID)
	}
	wantStatus(t, "the revoked token", first, http.StatusUnauthorized)
	wantStatus(t, "the other token", other, http.StatusOK)
	again := adminJSON[tokenOut](t, b, "token", "revoke", "--id", tokens[0].ID)
	if again.RevokedAt == nil || !again.RevokedAt.Equal(*revoked.RevokedAt) {
		t.Errorf("a second revoke printed revokedAt %v, want the first %v kept", again.RevokedAt, revoked.RevokedAt)
	}

	all := adminJSON[struct{ Revoked int }](t, b, "token", "revoke", "--email", o.Email)
	if all.Revoked != 1 {
		t.Errorf("token revoke --email revoked %d tokens, want the 1 still active", all.Revoked)
	}
	wantStatus(t, "a token revoked with --email", other, http.StatusUnauthorized)

	const ttl = 3 * time.Second
	expiring := b.createToken(t, o.Email, "--ttl", ttl.String())
	if expiring.ExpiresAt == nil || time.Until(*expiring.ExpiresAt) > ttl {
		t.Fatalf("token create --ttl %s printed expiresAt %v, want within %s", ttl, expiring.ExpiresAt, ttl)
	}
	soon := b.servers[0].Client(t, b.checker, expiring.Token)
	if time.Until(*expiring.ExpiresAt) > time.Second { // a slow machine may have used up the lifetime
		wantStatus(t, "a token before its expiry", soon, http.StatusOK)
	}
	time.Sleep(time.Until(*expiring.ExpiresAt))
	wantStatus(t, "an expired token", soon, http.StatusUnauthorized)

	text := adminText(t, b, "token", "list", "--email", o.Email)
	for _, want := range [][]string{{tokens[0].ID, "REVOKED"}, {second.ID, "REVOKED"}, {expiring.ID, "EXPIRED"}} {
		if !lineWith(text, want...) {
			t.Errorf("token list text has no line with %v:\n%s", want, text)
		}
	}
	for _, token := range []string{o.Token, second.Token, expiring.Token} {
		digest := sha256.Sum256([]byte(token))
		for _, form := range []string{token, hex.EncodeToString(digest[:]), base64.StdEncoding.EncodeToString(digest[:])} {
			if strings.Contains(text, form) {
				t.Errorf("token list shows a token or its digest")
			}
		}
	}
}

// wantStatus sends GET /bucket and fails t unless it answers status; a 401 must be an
// UNAUTHENTICATED error.
func wantStatus(t testing.TB, what string, c *client.ClientWithResponses, status int) {
	t.Helper()
	res := listBuckets(t, c, api.ListBucketsParams{})
	if status == http.StatusUnauthorized {
		wantAPIError(t, "GET /bucket with "+what, res, status, "UNAUTHENTICATED")
	} else if res.StatusCode() != status {
		t.Fatalf("GET /bucket with %s answered %d %s, want %d", what, res.StatusCode(), res.Body, status)
	}
}

// testAdminRejects gives every admin command input it must refuse: each exits with status 2,
// names what was wrong, and changes nothing.
func testAdminRejects(t *testing.T, b *backend) {
	o, other := b.bootstrap(t, -1), b.bootstrap(t, -1)
	unknown := domain.NewID()
	nobody := fmt.Sprintf("nobody%d@e2e.test", emailSeq.Add(1))
	fresh := fmt.Sprintf("fresh%d@e2e.test", emailSeq.Add(1))
	addUser := func(flags ...string) []string {
		return append([]string{"user", "add", "--org", o.OrgID, "--email", fresh, "--role", "MEMBER"}, flags...)
	}
	orgSet := func(flags ...string) []string { return append([]string{"org", "set", "--org", o.OrgID}, flags...) }
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"org set of an unknown organization", []string{"org", "set", "--org", unknown, "--plan", "TEAM"}, []string{"organization " + unknown + " does not exist"}},
		{"org set of a malformed id", []string{"org", "set", "--org", "acme", "--plan", "TEAM"}, []string{`organization id "acme" is not a UUID`}},
		{"org set without a change", orgSet(), []string{"nothing to change for organization " + o.OrgID}},
		{"org set of a limit and its removal", orgSet("--bucket-limit", "3", "--clear-bucket-limit"), []string{"not both"}},
		{"org set of a negative limit", orgSet("--bucket-limit", "-1"), []string{"bucket limit -1 is negative"}},
		{"org set of a limit that is no number", orgSet("--bucket-limit", "ten"), []string{`"ten"`, "whole number"}},
		{"org set of an unknown plan", orgSet("--plan", "GOLD"), []string{`plan "GOLD" is not one of`}},
		{"workspace create in an unknown organization", []string{"workspace", "create", "--org", unknown, "--name", "W"}, []string{"organization " + unknown + " does not exist"}},
		{"workspace create without a name", []string{"workspace", "create", "--org", o.OrgID}, []string{"workspace name must not be empty"}},
		{"workspace list of an unknown organization", []string{"workspace", "list", "--org", unknown}, []string{"organization " + unknown + " does not exist"}},
		{"workspace list without an organization", []string{"workspace", "list"}, []string{"organization id must not be empty"}},
		{"user add to an unknown organization", []string{"user", "add", "--org", unknown, "--email", fresh, "--role", "MEMBER"}, []string{"organization " + unknown + " does not exist"}},
		{"user add into an unknown workspace", addUser("--workspace", o.WorkspaceID, "--workspace", unknown), []string{"workspace " + unknown + " does not exist in organization " + o.OrgID}},
		{"user add into another organization's workspace", addUser("--workspace", other.WorkspaceID), []string{"workspace " + other.WorkspaceID + " does not exist in organization " + o.OrgID}},
		{"user add into a malformed workspace id", addUser("--workspace", "ws'; DROP TABLE users; --"), []string{`workspace id "ws'; DROP TABLE users; --" is not a UUID`}},
		{"user add with a taken email", []string{"user", "add", "--org", o.OrgID, "--email", strings.ToUpper(other.Email), "--role", "ADMIN"}, []string{other.Email, "already exists"}},
		{"user add with an unknown role", []string{"user", "add", "--org", o.OrgID, "--email", fresh, "--role", "OWNER"}, []string{`role "OWNER" is not one of ADMIN, MEMBER`}},
		{"user add without a role", []string{"user", "add", "--org", o.OrgID, "--email", fresh}, []string{`role "" is not one of ADMIN, MEMBER`}},
		{"user add with an invalid email", []string{"user", "add", "--org", o.OrgID, "--email", "fresh", "--role", "MEMBER"}, []string{`email "fresh" must contain exactly one @`}},
		{"user list of an unknown organization", []string{"user", "list", "--org", unknown}, []string{"organization " + unknown + " does not exist"}},
		{"user role of an unknown email", []string{"user", "role", "--email", nobody, "--role", "ADMIN"}, []string{nobody}},
		{"user role with an unknown role", []string{"user", "role", "--email", o.Email, "--role", "ROOT"}, []string{`role "ROOT" is not one of ADMIN, MEMBER`}},
		{"member add of an unknown email", []string{"member", "add", "--workspace", o.WorkspaceID, "--email", nobody}, []string{nobody}},
		{"member add to an unknown workspace", []string{"member", "add", "--workspace", unknown, "--email", o.Email}, []string{"workspace " + unknown + " does not exist"}},
		{"member add to another organization's workspace", []string{"member", "add", "--workspace", other.WorkspaceID, "--email", o.Email}, []string{"workspace " + other.WorkspaceID + " does not exist in organization " + o.OrgID}},
		{"member add to a malformed workspace id", []string{"member", "add", "--workspace", "../" + o.WorkspaceID, "--email", o.Email}, []string{`workspace id "../` + o.WorkspaceID + `" is not a UUID`}},
		{"member remove of an unknown email", []string{"member", "remove", "--workspace", o.WorkspaceID, "--email", nobody}, []string{nobody}},
		{"member remove from another organization's workspace", []string{"member", "remove", "--workspace", other.WorkspaceID, "--email", o.Email}, []string{"workspace " + other.WorkspaceID + " does not exist in organization " + o.OrgID}},
		{"token create for an unknown email", []string{"token", "create", "--email", nobody}, []string{nobody}},
		{"token create with a negative ttl", []string{"token", "create", "--email", o.Email, "--ttl", "-1h"}, []string{"ttl -1h0m0s is negative"}},
		{"token list of an unknown email", []string{"token", "list", "--email", nobody}, []string{nobody}},
		{"token revoke of an unknown id", []string{"token", "revoke", "--id", unknown}, []string{"no token has the id " + unknown}},
		{"token revoke of a malformed id", []string{"token", "revoke", "--id", "tok_1"}, []string{`token id "tok_1" is not a UUID`}},
		{"token revoke of nothing", []string{"token", "revoke"}, []string{"exactly one of --id"}},
		{"token revoke of an id and an email", []string{"token", "revoke", "--id", unknown, "--email", o.Email}, []string{"exactly one of --id"}},
		{"token revoke of an unknown email", []string{"token", "revoke", "--email", nobody}, []string{nobody}},
		{"a value without its flag", []string{"user", "list", "--org", o.OrgID, "everyone"}, []string{`unexpected argument "everyone"`}},
		{"an unknown command", []string{"org", "delete", "--org", o.OrgID}, []string{`unknown command "admin org delete"`, "usage:"}},
		{"an unknown flag", []string{"org", "list", "--all"}, []string{"flag provided but not defined: -all"}},
	}
	t.Run("refused", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				wantAdminRefused(t, b.admin(t, tc.args...), tc.want...)
			})
		}
	})

	if got := findOrg(t, b, o.OrgID); got.Plan != "FREE_TRIAL" || got.BucketLimit != nil {
		t.Errorf("after the refused commands the organization is %+v, want FREE_TRIAL without a limit", got)
	}
	if ws := adminJSON[[]workspaceOut](t, b, "workspace", "list", "--org", o.OrgID); len(ws) != 1 || ws[0].Members != 1 {
		t.Errorf("after the refused commands the workspaces are %+v, want the first alone with its admin", ws)
	}
	if users := adminJSON[[]userOut](t, b, "user", "list", "--org", o.OrgID); len(users) != 1 || users[0].Role != "ADMIN" {
		t.Errorf("after the refused commands the users are %+v, want the admin alone", users)
	}
	if tokens := adminJSON[[]tokenOut](t, b, "token", "list", "--email", o.Email); len(tokens) != 1 || tokens[0].State != "ACTIVE" {
		t.Errorf("after the refused commands the admin's tokens are %+v, want one ACTIVE", tokens)
	}
	wantStatus(t, "the admin's token", b.client(t, o), http.StatusOK)
}
