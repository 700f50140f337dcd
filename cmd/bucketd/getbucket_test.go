package main_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
)

// testGetBucketChecksEveryRead proves that GET /bucket/{id}, which checks its token in the
// same database round trip as its read, answers as every other request: a token revoked,
// expired, or of a session signed out is refused with 401 on its very next read, by every
// server process, exactly like an unknown token; a deleted bucket, another organization's and
// an unknown id are one 404; a READ member reads its workspace's bucket, and a member of
// another workspace is refused 403.
func testGetBucketChecksEveryRead(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	admin := b.client(t, o)
	id := wantCreated(t, create(t, admin, b.request(o, "Read by id")))
	refused := wantAPIError(t, "GET /bucket/{id} with an unknown token",
		getBucket(t, b.servers[0].Client(t, b.checker, "bkd_"+randomHex(16)), id), http.StatusUnauthorized, "UNAUTHENTICATED")

	// onEveryServer reads the bucket with token through every server process.
	onEveryServer := func(token string) []*client.ClientWithResponses {
		clients := make([]*client.ClientWithResponses, len(b.servers))
		for i, s := range b.servers {
			clients[i] = s.Client(t, b.checker, token)
		}
		return clients
	}
	wantRefused := func(what string, clients []*client.ClientWithResponses) {
		t.Helper()
		for _, c := range clients {
			if e := wantAPIError(t, "GET /bucket/{id} with "+what, getBucket(t, c, id), http.StatusUnauthorized, "UNAUTHENTICATED"); e != refused {
				t.Errorf("GET /bucket/{id} with %s answered %+v, an unknown token %+v; want one answer", what, e, refused)
			}
		}
	}
	readAll := func(clients []*client.ClientWithResponses) {
		t.Helper()
		for _, c := range clients {
			mustGetBucket(t, c, id)
		}
	}

	revoked := b.createToken(t, o.Email)
	clients := onEveryServer(revoked.Token)
	readAll(clients)
	adminJSON[tokenOut](t, b, "token", "revoke", "--id", revoked.ID)
	wantRefused("a revoked token", clients)

	const ttl = 2 * time.Second
	expiring := b.createToken(t, o.Email, "--ttl", ttl.String())
	clients = onEveryServer(expiring.Token)
	if time.Until(*expiring.ExpiresAt) > time.Second { // a slow machine may have used up the lifetime
		readAll(clients)
	}
	time.Sleep(time.Until(*expiring.ExpiresAt))
	wantRefused("an expired token", clients)

	const password = "a passphrase for reading by id"
	setPassword(t, b.dbURL, o.Email, password+"\n")
	anonymous := b.servers[0].Client(t, b.checker, "")
	in, err := anonymous.UserLoginWithResponse(t.Context(), api.UserLoginJSONRequestBody{Email: o.Email, Password: password})
	if err != nil || in.JSON200 == nil {
		t.Fatalf("POST /user/login: %v %v", err, in.Body)
	}
	clients = onEveryServer(in.JSON200.AccessToken)
	readAll(clients)
	if out, err := anonymous.UserLogoutWithResponse(t.Context(), api.UserLogoutJSONRequestBody{RefreshToken: in.JSON200.RefreshToken}); err != nil || out.StatusCode() != http.StatusOK {
		t.Fatalf("POST /user/logout: %v", err)
	}
	wantRefused("the access token of a session signed out", clients)

	testGetBucketNotFound(t, b, o, admin)
	testGetBucketByRole(t, b, o, admin)
}

// testGetBucketNotFound reads a deleted bucket, another organization's and an unknown id: one
// 404, its message the same but for the id.
func testGetBucketNotFound(t *testing.T, b *backend, o org, admin *client.ClientWithResponses) {
	deleted := wantCreated(t, create(t, admin, b.request(o, "Deleted, then read")))
	if res := deleteBucket(t, admin, deleted); res.StatusCode() != http.StatusOK {
		t.Fatalf("DELETE /bucket/%s answered %d %s", deleted, res.StatusCode(), res.Body)
	}
	other := b.bootstrap(t, -1)
	foreign := wantCreated(t, create(t, b.client(t, other), b.request(other, "Another organization's")))
	unknown := domain.NewID()
	want := wantAPIError(t, "GET /bucket/{id} of an unknown id", getBucket(t, admin, unknown), http.StatusNotFound, "NOT_FOUND")
	for what, id := range map[string]string{"a deleted bucket": deleted, "another organization's bucket": foreign} {
		got := wantAPIError(t, "GET /bucket/{id} of "+what, getBucket(t, admin, id), http.StatusNotFound, "NOT_FOUND")
		if strings.ReplaceAll(got.Message, id, "<id>") != strings.ReplaceAll(want.Message, unknown, "<id>") {
			t.Errorf("GET /bucket/{id} of %s says %q, of an unknown id %q; want one answer", what, got.Message, want.Message)
		}
	}
}

// testGetBucketByRole reads as members: READ in the bucket's workspace reads it, a member of
// another workspace only is refused.
func testGetBucketByRole(t *testing.T, b *backend, o org, admin *client.ClientWithResponses) {
	id := wantCreated(t, create(t, admin, b.request(o, "Read by members")))
	elsewhere := b.addWorkspace(t, o, "Elsewhere")
	outsider := b.addMember(t, o, elsewhere)
	e := wantAPIError(t, "GET /bucket/{id} by a member of another workspace", getBucket(t, b.client(t, outsider), id), http.StatusForbidden, "FORBIDDEN")
	if !strings.Contains(e.Message, o.WorkspaceID) {
		t.Errorf("the refusal %q does not name the bucket's workspace %s", e.Message, o.WorkspaceID)
	}
	adminJSON[membershipOut](t, b, "member", "add", "--workspace", o.WorkspaceID, "--email", outsider.Email, "--role", "READ")
	mustGetBucket(t, b.client(t, outsider), id)
}
