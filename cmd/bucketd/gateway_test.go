package main_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// gatewayUser is an IAM user of the backend's gateway with a bucket of its own: credentials a
// scenario may change or revoke at the provider without disturbing the scenarios that share the
// gateway. The gateway's root account reaches the bucket too.
type gatewayUser struct {
	key, secret, bucket string
}

// newGatewayUser creates a user and a bucket it owns, and records the credentials as secrets
// that must never leak.
func (b *backend) newGatewayUser(t testing.TB, label string) gatewayUser {
	t.Helper()
	u := gatewayUser{
		key:    "E2EU" + strings.ToUpper(randomHex(8)),
		secret: "e2e-user-secret-" + randomHex(12),
		bucket: "e2e-user-" + randomHex(6),
	}
	b.secrets.Add(label+"'s access key", u.key)
	b.secrets.Add(label+"'s secret", u.secret)
	b.gw.CreateUser(t, u.key, u.secret)
	gatewayAdmin(t, b.gw, "create-bucket", "--owner", u.key, "--bucket", u.bucket)
	return u
}

// revoke deletes the user at the gateway, as a provider does when a key is revoked; the bucket
// stays, owned by the vanished key.
func (u gatewayUser) revoke(t testing.TB, gw *versitygw.Server) {
	t.Helper()
	gatewayAdmin(t, gw, "delete-user", "--access", u.key)
}

// restore creates the user again with the same credentials, which gives it its bucket back.
func (u gatewayUser) restore(t testing.TB, gw *versitygw.Server) {
	t.Helper()
	gw.CreateUser(t, u.key, u.secret)
}

// gatewayAdmin runs `versitygw admin args...` as the gateway's root account. A failure names
// only the sub-command: the arguments may hold a secret.
func gatewayAdmin(t testing.TB, gw *versitygw.Server, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, versitygw.Binary(t), append([]string{"admin",
		"--access", gw.RootKey, "--secret", gw.RootSecret, "--endpoint-url", gw.Endpoint}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("versitygw admin %s: %v\n%s", args[0], err, out)
	}
}
