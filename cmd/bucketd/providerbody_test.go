package main_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

// TestProviderMaxBody runs bucketd with --provider-max-body 65536 against S3, GCS and Azure
// endpoints whose every answer declares and sends 100000 bytes: under the default cap of 1 MiB
// they would be read, under 64 KiB each dry run fails with PROVIDER_ERROR naming the limit, so
// the flag reaches the client every validator shares.
func TestProviderMaxBody(t *testing.T) {
	const size = 100000
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(strings.Repeat("x", size)))
		}
	}))
	defer provider.Close()

	dbURL := storetest.SQLiteURL(t)
	b := &backend{dbURL: dbURL, checker: contracttest.New(t), secrets: &secretSet{}}
	masterKey := randomBase64(32)
	b.servers = append(b.servers, startServer(t, b.checker, "",
		"--addr", "127.0.0.1:0", "--database-url", dbURL, "--master-keys", masterKeyID+":"+masterKey,
		"--endpoint-allowlist", "127.0.0.0/8", "--provider-max-body", "65536",
		"--gcs-token-url", provider.URL+"/token", "--gcs-certs-url", provider.URL+"/jwk/"))
	c := b.client(t, b.bootstrap(t, -1))

	endpoint := provider.URL
	for _, req := range []api.ValidateBucketRequest{
		{Bucket: "capped", StorageType: api.StorageTypeS3, Key: "AKIAEXAMPLE", Secret: "example-secret", Region: ptr[api.Region]("us-east-1")},
		{Bucket: "capped", StorageType: api.StorageTypeGCS, Key: "capped@example.iam.gserviceaccount.com",
			Secret: serviceAccountKeyFile(t, "capped@example.iam.gserviceaccount.com"), Region: ptr[api.Region]("us-east1")},
		{Bucket: "capped", StorageType: api.StorageTypeAZURE, Key: "cappedaccount", Secret: randomBase64(64), Region: ptr[api.Region]("eastus")},
	} {
		t.Run(string(req.StorageType), func(t *testing.T) {
			req.Endpoint = &endpoint
			got := validate(t, c, req)
			const want = "answered with more than 64 KiB; bucketd reads at most 64 KiB of a provider's answer (--provider-max-body)"
			if got.Success || got.Code == nil || *got.Code != "PROVIDER_ERROR" || !strings.Contains(got.Message, want) {
				t.Errorf("dry run = code %v, message %q; want PROVIDER_ERROR saying %q", got.Code, got.Message, want)
			}
		})
	}
}

// serviceAccountKeyFile is a JSON key file of email, with a fresh 1024-bit key: its size does
// not matter where it goes, and a small one is quick to make.
func serviceAccountKeyFile(t *testing.T, email string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	file, err := json.Marshal(map[string]string{"type": "service_account", "client_email": email, "private_key_id": randomHex(20),
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))})
	if err != nil {
		t.Fatal(err)
	}
	return string(file)
}

// TestServeRejectsBadProviderMaxBody: a cap below 64 KiB, or not a number, from the flag or the
// environment, stops the command with a message naming the setting.
func TestServeRejectsBadProviderMaxBody(t *testing.T) {
	for name, c := range map[string]struct {
		args []string
		env  string
		want string
	}{
		"below 64 KiB":          {[]string{"--provider-max-body", "65535"}, "", "provider-max-body"},
		"not a number":          {[]string{"--provider-max-body", "1MiB"}, "", "provider-max-body"},
		"malformed environment": {nil, "BUCKETD_PROVIDER_MAX_BODY=lots", "BUCKETD_PROVIDER_MAX_BODY"},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
			defer cancel()
			dir := t.TempDir()
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--database-url", "sqlite://" + dir + "/never.db"}, c.args...)
			cmd := exec.CommandContext(ctx, bucketdBin, args...)
			cmd.Dir, cmd.Env = dir, bucketdEnv()
			if c.env != "" {
				cmd.Env = append(cmd.Env, c.env)
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("bucketd serve %v (env %q) started; want it refused\n%s", c.args, c.env, out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("the refusal does not name %s:\n%s", c.want, out)
			}
		})
	}
}
