package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// TestServeDev runs `bucketd serve --dev` with its defaults in an empty directory, as `make run`
// does: it must create its master key and database under ./var, print a working token once,
// accept a local gateway over plain http, and keep the organization across a restart.
func TestServeDev(t *testing.T) {
	gw := versitygw.Start(t)
	gw.CreateBucket(t, "dev-bucket")
	checker := contracttest.New(t)
	dir := t.TempDir()
	request := func(name string) api.CreateBucketRequest {
		endpoint := gw.Endpoint
		return api.CreateBucketRequest{Name: name, Bucket: "dev-bucket", StorageType: api.StorageTypeS3, Key: gw.RootKey,
			Secret: gw.RootSecret, Region: ptr[api.Region](versitygw.Region), Endpoint: &endpoint}
	}

	first := startServer(t, checker, dir, "--dev", "--addr", "127.0.0.1:0")
	token, workspaceID := devCredentials(t, first)
	devPassword := devSignIn(t, first, checker)
	for _, file := range []string{"var/master.key", "var/fingerprint.key", "var/bucketd.db"} {
		info, err := os.Stat(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("dev mode did not create ./%s: %v", file, err)
		}
		if strings.HasSuffix(file, ".key") && info.Mode().Perm() != 0o600 {
			t.Errorf("./%s has mode %v, want 0600", file, info.Mode().Perm())
		}
	}
	req := request("Dev bucket")
	req.WorkspaceId = workspaceID
	firstID := wantCreated(t, create(t, first.Client(t, checker, token), req))
	if err := first.Stop(); err != nil {
		t.Fatalf("first dev server: %v\nstderr:\n%s", err, first.Stderr.String())
	}
	if n := devWarnings(t, first.Stderr.String()); n < 2 {
		t.Errorf("%d WARN log lines say what DEV MODE relaxed, want one for the key and one for loopback endpoints at least", n)
	}

	second := startServer(t, checker, dir, "--dev", "--addr", "127.0.0.1:0")
	// The restart repeats the workspace id and gives a command for a new token; the command
	// must work as printed, from the directory the server runs in.
	if !strings.Contains(second.Stdout.String(), "DEV workspaceId: "+workspaceID+"\n") {
		t.Errorf("the restarted dev server does not repeat the workspace id %s:\n%s", workspaceID, second.Stdout.String())
	}
	newToken := runTokenHint(t, dir, second.Stdout.String())
	wantStatus(t, "the token from the restart's hint", second.Client(t, checker, newToken), http.StatusOK)
	req = request("Dev bucket after restart")
	req.WorkspaceId = workspaceID
	secondClient := second.Client(t, checker, token)
	secondID := wantCreated(t, create(t, secondClient, req))
	// The dev fingerprint key is kept like the master key: the same secret, registered before
	// and after the restart, shows the same fingerprint.
	before, after := mustGetBucket(t, secondClient, firstID), mustGetBucket(t, secondClient, secondID)
	if before.SecretFingerprint == nil || after.SecretFingerprint == nil || *before.SecretFingerprint != *after.SecretFingerprint {
		t.Errorf("secretFingerprint %v before the restart, %v after; want one and the same", before.SecretFingerprint, after.SecretFingerprint)
	}
	if err := second.Stop(); err != nil {
		t.Fatalf("second dev server: %v\nstderr:\n%s", err, second.Stderr.String())
	}
	if out := second.Stdout.String(); !strings.Contains(out, "DEV email:       dev@localhost\n") ||
		!strings.Contains(out, "to set a new one run: "+bucketdBin+" admin user password --email dev@localhost") {
		t.Errorf("the restarted dev server does not repeat the email and the command that sets a new password:\n%s", out)
	}
	if out := second.Stdout.String(); strings.Contains(out, "DEV token:") || strings.Contains(out, "DEV password:") {
		t.Errorf("the restarted dev server printed a new token although the organization exists:\n%s", out)
	}
	fingerprintKey, err := os.ReadFile(filepath.Join(dir, "var/fingerprint.key"))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []*server{first, second} {
		for label, secret := range map[string]string{"the dev token": token, "the dev password": devPassword, "the gateway secret": gw.RootSecret,
			"the dev fingerprint key": strings.TrimSpace(string(fingerprintKey))} {
			if strings.Contains(s.Stderr.String(), secret) {
				t.Errorf("the log of dev server %d holds %s", i+1, label)
			}
		}
	}
}

// devSignIn signs in with the email and password a fresh dev server printed, and returns the
// password.
func devSignIn(t *testing.T, s *server, checker *contracttest.Checker) string {
	t.Helper()
	var email, password string
	for line := range strings.Lines(s.Stdout.String()) {
		if v, ok := strings.CutPrefix(line, "DEV email:"); ok {
			email = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "DEV password:"); ok {
			password = strings.TrimSpace(v)
		}
	}
	if email != "dev@localhost" || len(password) < 15 {
		t.Fatalf("the dev server printed DEV email %q and a password of %d characters; want dev@localhost and one of 15 or more:\n%s",
			email, len(password), s.Stdout.String())
	}
	res, err := s.Client(t, checker, "").UserLoginWithResponse(t.Context(), api.UserLoginJSONRequestBody{Email: email, Password: password})
	if err != nil || res.JSON200 == nil {
		t.Fatalf("signing in with the dev password: %v %s", err, res.Body)
	}
	return password
}

// runTokenHint runs, in dir, the command the restarted dev server printed for a new token, and
// returns the token it issued.
func runTokenHint(t *testing.T, dir, stdout string) string {
	t.Helper()
	_, hint, ok := strings.Cut(stdout, "for a new one run: ")
	hint, _, _ = strings.Cut(hint, "\n")
	words := strings.Fields(hint)
	if !ok || len(words) < 2 || words[0] != bucketdBin {
		t.Fatalf("the restarted dev server printed no command for a new token starting with the binary %s:\n%s", bucketdBin, stdout)
	}
	res := mustRunBucketd(t, dir, words[1:]...)
	for line := range strings.Lines(res.stdout) {
		if v, ok := strings.CutPrefix(line, "token"); ok && strings.HasPrefix(strings.TrimSpace(v), "bkd_") {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("%q printed no token:\n%s", hint, res.stdout)
	return ""
}

// devCredentials waits for the token and workspace id a fresh dev server prints on stdout.
func devCredentials(t *testing.T, s *server) (token, workspaceID string) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		for line := range strings.Lines(s.Stdout.String()) {
			if v, ok := strings.CutPrefix(line, "DEV token:"); ok {
				token = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "DEV workspaceId:"); ok {
				workspaceID = strings.TrimSpace(v)
			}
		}
		if token != "" && workspaceID != "" {
			if !domain.IsID(workspaceID) {
				t.Fatalf("DEV workspaceId %q is not a UUID", workspaceID)
			}
			return token, workspaceID
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dev server did not print \"DEV token:\" and \"DEV workspaceId:\" within %s; stdout:\n%s",
				startTimeout, s.Stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// devWarnings counts the WARN log lines that announce a DEV MODE relaxation.
func devWarnings(t *testing.T, log string) int {
	t.Helper()
	n := 0
	for line := range strings.Lines(log) {
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %q", err, line)
		}
		if rec.Level == "WARN" && strings.HasPrefix(rec.Msg, "DEV MODE") {
			n++
		}
	}
	return n
}

func TestServeRefusesWithoutMasterKeys(t *testing.T) {
	dir := t.TempDir()
	res := runBucketd(t, dir, "serve", "--addr", "127.0.0.1:0", "--database-url", storetest.SQLiteURL(t))
	if res.err == nil {
		t.Fatal("bucketd serve without master keys and without --dev exited 0, want a refusal")
	}
	if !strings.Contains(res.stderr, "BUCKETD_MASTER_KEYS") {
		t.Errorf("the refusal does not mention BUCKETD_MASTER_KEYS:\n%s", res.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "var")); err == nil {
		t.Error("the refused server created ./var, as only --dev may")
	}
}

func TestMigrate(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		for run := range 2 {
			res := mustRunBucketd(t, "", "migrate", "--database-url", dbURL)
			if res.stdout != "database schema is up to date\n" {
				t.Errorf("run %d of migrate printed %q, want that the schema is up to date", run+1, res.stdout)
			}
			if res.stderr != "" {
				t.Errorf("run %d of migrate logged below warn by default:\n%s", run+1, res.stderr)
			}
		}
		_, rows := allCells(t, dbURL)
		for _, table := range []string{"organizations", "workspaces", "users", "workspace_members", "api_tokens", "buckets"} {
			if n, ok := rows[table]; !ok || n != 0 {
				t.Errorf("after migrate, table %s: present %v with %d rows, want present and empty", table, ok, n)
			}
		}
	})
}
