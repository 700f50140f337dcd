package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/fakegcs"
)

// bucketd's own Google identity is a key file the server reads at start: a usable one lets it
// serve, anything else stops it with a message that names the file and never shows the key.
// (What it does with a usable one: testGCSImpersonationAPIKey.)
func TestServeReadsItsGoogleIdentityAtStart(t *testing.T) {
	_, keyFile := fakegcs.Start(t).NewServiceAccount(t, "bucketd@operator.iam.gserviceaccount.com")
	privateKey := keyFile[strings.Index(keyFile, "MII"):][:64]
	write := func(t *testing.T, content string, mode os.FileMode) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "identity.json")
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}

	t.Run("a key file", func(t *testing.T) {
		path := write(t, keyFile, 0o600)
		startServer(t, contracttest.New(t), t.TempDir(), "--dev", "--addr", "127.0.0.1:0", "--gcs-identity-file", path,
			"--gcs-iam-endpoint", "http://127.0.0.1:9")
	})
	for name, tc := range map[string]struct {
		path func(t *testing.T) string
		args []string
		want string
	}{
		"missing":             {func(t *testing.T) string { return filepath.Join(t.TempDir(), "absent.json") }, nil, "no such file"},
		"readable by others":  {func(t *testing.T) string { return write(t, keyFile, 0o644) }, nil, "chmod 600"},
		"not a key file":      {func(t *testing.T) string { return write(t, "-----BEGIN PRIVATE KEY-----\n", 0o600) }, nil, "must be a service-account JSON key file"},
		"empty":               {func(t *testing.T) string { return write(t, "", 0o600) }, nil, "is empty"},
		"IAM endpoint a path": {func(t *testing.T) string { return write(t, keyFile, 0o600) }, []string{"--gcs-iam-endpoint", "https://iam.example/v1"}, "Config.IAMCredentialsURL"},
		"damaged key in file": {func(t *testing.T) string { return write(t, strings.Replace(keyFile, "MII", "XYZ", 1), 0o600) }, nil, "Config.Identity"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"serve", "--dev", "--addr", "127.0.0.1:0", "--database-url", "sqlite://" + filepath.Join(t.TempDir(), "db"),
				"--gcs-identity-file", tc.path(t)}, tc.args...)
			res := runBucketd(t, t.TempDir(), args...)
			if res.err == nil {
				t.Fatalf("bucketd serve started with a bad identity; stderr:\n%s", res.stderr)
			}
			if !strings.Contains(res.stderr, tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, res.stderr)
			}
			if strings.Contains(res.stderr, privateKey) {
				t.Errorf("stderr shows the key:\n%s", res.stderr)
			}
		})
	}
}
