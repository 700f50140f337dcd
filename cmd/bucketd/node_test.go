package main_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/storetest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// The Node tests live in nodeDir, with their dependencies installed from its lock file.
const (
	nodeDir            = "node"
	nodeInstallCommand = "make test-peers (or: npm ci --prefix cmd/bucketd/node) from the repository root"
	// nodeTimeout bounds a whole `node` run; each Node test has its own, shorter limit.
	nodeTimeout     = 5 * time.Minute
	nodeTestTimeout = 2 * time.Minute
)

// TestNodeTypes type-checks the Node tests against the TypeScript SDK's types generated from
// openapi.yaml (gen/ts/schema.d.ts), so a test that sends or reads a shape the spec does not
// have fails here, before it runs.
func TestNodeTypes(t *testing.T) {
	dir := nodeTestsDir(t)
	out, err := runNode(t, dir, []string{flashbackClientEnv(t)}, filepath.Join("node_modules", "typescript", "bin", "tsc"), "--project", ".")
	if err != nil {
		t.Fatalf("tsc --project %s: %v\n%s", dir, err, out)
	}
}

// TestNode runs `node --test` in cmd/bucketd/node against the real binary on SQLite and on
// PostgreSQL, with an S3 gateway and an Azure emulator: sdk.test.mjs drives a bucket's life
// through the generated TypeScript SDK, flashback.test.mjs replays Flashback's client's
// requests verbatim. Afterwards the server's log must hold none of the credentials.
func TestNode(t *testing.T) {
	dir := nodeTestsDir(t)
	sp := startAzurePeers(t)
	storetest.ForEachBackend(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		b := newBackendWith(t, dbURL, 1, []string{sp.ca.SSLCertFileEnv()}, []string{"--azure-authority-host", sp.authority.URL})
		az := b.cloud.azure
		spTenant, spSecret, spContainer := randomGUID(), "node-sp-secret-"+randomHex(12), "node-sp-"+randomHex(6)
		b.secrets.Add("the service principal's client secret", spSecret)
		sp.authority.AddApp(spTenant, azClientID, spSecret)
		sp.storage.CreateContainer(t, spContainer)
		o := b.bootstrap(t, -1)
		member := b.addMember(t, o, o.WorkspaceID)
		spare := b.createToken(t, o.Email) // for the Node tests to revoke
		password := "node " + randomHex(16)
		b.secrets.Add("the admin's password", password)
		setPassword(t, dbURL, o.Email, password+"\n")
		env := []string{
			flashbackClientEnv(t),
			"BUCKETD_URL=" + b.servers[0].URL,
			"BUCKETD_TOKEN=" + o.Token,
			"BUCKETD_WORKSPACE_ID=" + o.WorkspaceID,
			"BUCKETD_EMAIL=" + o.Email,
			"BUCKETD_PASSWORD=" + password,
			"BUCKETD_MEMBER_ID=" + member.UserID,
			"BUCKETD_MEMBER_TOKEN=" + member.Token,
			"BUCKETD_SPARE_TOKEN_ID=" + spare.ID,
			"BUCKETD_S3_ENDPOINT=" + b.gw.Endpoint,
			"BUCKETD_S3_REGION=" + versitygw.Region,
			"BUCKETD_S3_BUCKET=" + providerBucket,
			"BUCKETD_S3_KEY=" + b.gw.RootKey,
			"BUCKETD_S3_SECRET=" + b.gw.RootSecret,
			"BUCKETD_AZURE_ENDPOINT=" + az.Endpoint(az.Account),
			"BUCKETD_AZURE_ACCOUNT=" + az.Account,
			"BUCKETD_AZURE_KEY=" + az.Key,
			"BUCKETD_AZURE_CONTAINER=" + azureContainer,
			"BUCKETD_AZURE_SP_ENDPOINT=" + sp.storage.Endpoint(sp.storage.Account),
			"BUCKETD_AZURE_SP_TENANT=" + spTenant,
			"BUCKETD_AZURE_SP_CLIENT_ID=" + azClientID,
			"BUCKETD_AZURE_SP_SECRET=" + spSecret,
			"BUCKETD_AZURE_SP_CONTAINER=" + spContainer,
		}
		// Every test file: they use the same organization, and the quota test counts its buckets.
		runNodeTests(t, dir, env)
		for _, f := range b.secrets.forms() {
			if strings.Contains(b.servers[0].Stderr.String(), f.value) {
				t.Errorf("the server's log holds %s", f.label)
			}
		}
	})
}

// runNodeTests runs `node --test` in dir on files, or on every test file when none is named,
// one file at a time, and fails t with what node printed unless every test passed.
func runNodeTests(t *testing.T, dir string, env []string, files ...string) {
	t.Helper()
	args := append([]string{"--test", "--test-concurrency=1",
		fmt.Sprintf("--test-timeout=%d", nodeTestTimeout.Milliseconds()), "--test-reporter=spec"}, files...)
	out, err := runNode(t, dir, env, args...)
	if err != nil {
		t.Fatalf("node %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	t.Logf("node %s:\n%s", strings.Join(args, " "), out)
}

// flashbackClientVariable names the folder of Flashback's TypeScript client (the one that
// holds dist/api), which the Node tests import and read the types of. Unset, the client is
// looked for as shared/flashback-client beside the repository (../shared/flashback-client) or
// beside any folder above it, and likewise above the repository this one was cloned from, so
// that a clean clone of a checkout finds it too.
const flashbackClientVariable = "BUCKETD_FLASHBACK_CLIENT"

// flashbackClientEnv returns flashbackClientVariable=<folder> for the Node tests, failing t
// with where it looked when the client is nowhere: a test that cannot run must not pass.
func flashbackClientEnv(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv(flashbackClientVariable)}
	if candidates[0] == "" {
		candidates = candidates[:0]
		for _, repo := range []string{"../..", cloneOrigin(t)} {
			if repo == "" {
				continue
			}
			abs, err := filepath.Abs(repo)
			if err != nil {
				t.Fatal(err)
			}
			for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
				candidates = append(candidates, filepath.Join(dir, "shared", "flashback-client"))
				if dir == filepath.Dir(dir) {
					break
				}
			}
		}
	}
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "dist", "api", "index.js")); err == nil {
			abs, err := filepath.Abs(dir)
			if err != nil {
				t.Fatal(err)
			}
			return flashbackClientVariable + "=" + abs
		}
	}
	t.Fatalf("Flashback's TypeScript client (a folder holding dist/api/index.js) is not in %q: set %s to its folder",
		candidates, flashbackClientVariable)
	return ""
}

// cloneOrigin returns the folder of the repository this checkout was cloned from, when that is
// a local path, or "".
func cloneOrigin(t *testing.T) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "git", "config", "--get", "remote.origin.url").Output()
	origin := strings.TrimPrefix(strings.TrimSpace(string(out)), "file://")
	if err != nil || !filepath.IsAbs(origin) {
		return ""
	}
	return origin
}

// nodeTestsDir returns the Node tests' folder, failing t with the install command unless their
// dependencies are installed from the current lock file: a test that cannot run must not pass.
func nodeTestsDir(t *testing.T) string {
	t.Helper()
	lock, err := os.Stat(filepath.Join(nodeDir, "package-lock.json"))
	if err != nil {
		t.Fatalf("the Node tests' lock file: %v", err)
	}
	installed, err := os.Stat(filepath.Join(nodeDir, "node_modules", ".package-lock.json"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		t.Fatalf("the Node tests' dependencies are not installed in %s/node_modules: run %s", nodeDir, nodeInstallCommand)
	case err != nil:
		t.Fatalf("the Node tests' dependencies: %v", err)
	case installed.ModTime().Before(lock.ModTime()):
		t.Fatalf("%s/package-lock.json changed after its dependencies were installed: run %s", nodeDir, nodeInstallCommand)
	}
	return nodeDir
}

// runNode runs node with args in dir, with the test process's environment less any BUCKETD_
// variable plus env, and returns everything it printed. A missing node fails t.
func runNode(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node (Node.js 20 or later) is needed to run the Node tests: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), nodeTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir, cmd.Env = dir, append(bucketdEnv(), env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("node %s did not finish within %s\n%s", strings.Join(args, " "), nodeTimeout, out.String())
	}
	return out.String(), err
}
