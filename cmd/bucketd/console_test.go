package main_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/storetest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// chromiumVariable names the Chromium the console's browser tests drive; unset, Debian's
// package's binary is used.
const (
	chromiumVariable = "BUCKETD_CHROMIUM"
	defaultChromium  = "/usr/bin/chromium"
)

// consoleAccessTTL is how long the access tokens of the browser tests' server last: short, so
// that the console must renew a session within a test.
const consoleAccessTTL = 2 * time.Second

// TestConsole runs the console's browser tests (node/console.browser.mjs and
// node/console-admin.browser.mjs): playwright-core drives Chromium through /console on the real
// binary, signing in with a password and with an API token, reading a bucket registered through
// the API, renewing an expired session, registering an S3 bucket on versitygw after its dry run,
// editing it, having a wrong secret refused, re-validating and deleting it, adding, rotating and
// deleting an Azure credential at Azurite, a rotation of an S3 credential refused for its
// bucket, reading the quota, revoking an API token, and scanning each page with axe-core.
// Afterwards the server's log must hold none of the credentials.
func TestConsole(t *testing.T) {
	dir := nodeTestsDir(t)
	chromium := chromiumBinary(t)
	b := newBackendWith(t, storetest.SQLiteURL(t), 1, nil, []string{"--access-token-ttl", consoleAccessTTL.String()})
	o := b.bootstrap(t, -1)
	password := "console " + randomHex(16)
	b.secrets.Add("the admin's password", password)
	setPassword(t, b.dbURL, o.Email, password+"\n")
	spare := b.createToken(t, o.Email)
	env := []string{
		chromiumVariable + "=" + chromium,
		"BUCKETD_URL=" + b.servers[0].URL,
		"BUCKETD_TOKEN=" + o.Token,
		"BUCKETD_WORKSPACE_ID=" + o.WorkspaceID,
		"BUCKETD_EMAIL=" + o.Email,
		"BUCKETD_PASSWORD=" + password,
		"BUCKETD_S3_ENDPOINT=" + b.gw.Endpoint,
		"BUCKETD_S3_REGION=" + versitygw.Region,
		"BUCKETD_S3_BUCKET=" + providerBucket,
		"BUCKETD_S3_KEY=" + b.gw.RootKey,
		"BUCKETD_S3_SECRET=" + b.gw.RootSecret,
		"BUCKETD_S3_OTHER_KEY=" + nonOwnerKey,
		"BUCKETD_S3_OTHER_SECRET=" + nonOwnerSecret,
		"BUCKETD_AZURE_ENDPOINT=" + b.cloud.azure.URL,
		"BUCKETD_AZURE_ACCOUNT=" + b.cloud.azure.Account,
		"BUCKETD_AZURE_KEY=" + b.cloud.azureKey,
		"BUCKETD_AZURE_WRONG_KEY=" + b.cloud.wrongAzureKey,
		// A token of the admin's own for the console to revoke; BUCKETD_TOKEN must outlive it.
		"BUCKETD_SPARE_TOKEN=" + spare.Token,
		"BUCKETD_SPARE_TOKEN_ID=" + spare.ID,
	}
	// The file's tests run in order; the wrong password comes last, as it counts against the
	// sign-in back-off of the person the first test signs in as.
	runNodeTests(t, dir, env, "console.browser.mjs", "console-admin.browser.mjs")
	for _, f := range b.secrets.forms() {
		if strings.Contains(b.servers[0].Stderr.String(), f.value) {
			t.Errorf("the server's log holds %s", f.label)
		}
	}
}

// chromiumBinary returns the Chromium to drive, failing t with how to install it when there is
// none: a browser test that cannot run must not pass.
func chromiumBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv(chromiumVariable)
	if path == "" {
		path = defaultChromium
	}
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("the console's browser tests need Chromium at %s (%v): apt-get install chromium, or set %s", path, err, chromiumVariable)
	}
	return path
}
