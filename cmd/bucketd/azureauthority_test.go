package main_test

import (
	"strings"
	"testing"

	"github.com/bucketd/bucketd/testsupport/storetest"
)

// The Entra authority host comes from the server's configuration only, and one that could send
// client secrets in clear or to a path MSAL would read as a tenant stops the server at start-up.
func TestServeRefusesAnUnusableAzureAuthorityHost(t *testing.T) {
	for _, host := range []string{"http://login.microsoftonline.com/", "https://login.example.com/tenant", "not a url"} {
		res := runBucketd(t, t.TempDir(), "serve", "--addr", "127.0.0.1:0", "--database-url", storetest.SQLiteURL(t),
			"--master-keys", masterKeyID+":"+randomBase64(32), "--azure-authority-host", host)
		if res.err == nil {
			t.Errorf("serve with --azure-authority-host %q exited 0, want a refusal", host)
			continue
		}
		if !strings.Contains(res.stderr, "AuthorityHost") || !strings.Contains(res.stderr, "https origin") {
			t.Errorf("the refusal of %q does not say what the authority host must be:\n%s", host, res.stderr)
		}
	}
}
