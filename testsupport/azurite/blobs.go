package azurite

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// opTimeout bounds every helper call, so a wedged emulator fails the test instead of hanging it.
const opTimeout = 10 * time.Second

// containerClient returns a client of the built-in account's container name.
func (s *Server) containerClient(t testing.TB, name string) *container.Client {
	t.Helper()
	cred, err := container.NewSharedKeyCredential(s.Account, s.Key)
	if err != nil {
		t.Fatalf("azurite: shared key: %v", err)
	}
	c, err := container.NewClientWithSharedKeyCredential(s.Endpoint(s.Account)+"/"+name, cred, &container.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: s.client, Retry: policy.RetryOptions{MaxRetries: -1}},
	})
	if err != nil {
		t.Fatalf("azurite: client for container %s: %v", name, err)
	}
	return c
}

// CreateContainer creates an empty container in the built-in account.
func (s *Server) CreateContainer(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := s.containerClient(t, name).Create(ctx, nil); err != nil {
		t.Fatalf("azurite: create container %s: %v", name, err)
	}
}

// PutBlob stores data as the block blob name in container.
func (s *Server) PutBlob(t testing.TB, container, name string, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := s.containerClient(t, container).NewBlockBlobClient(name).UploadBuffer(ctx, data, nil); err != nil {
		t.Fatalf("azurite: put %s/%s: %v", container, name, err)
	}
}

// Blobs lists the name of every blob in container, so tests can prove what it holds.
func (s *Server) Blobs(t testing.TB, container string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var names []string
	pages := s.containerClient(t, container).NewListBlobsFlatPager(nil)
	for pages.More() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("azurite: list %s: %v", container, err)
		}
		for _, b := range page.Segment.BlobItems {
			names = append(names, *b.Name)
		}
	}
	return names
}

// SetAccessPolicies replaces the stored access policies of container name (its ACL, as Set Container
// ACL does) with one per id, each allowing read and list for an hour from now. A SAS signed
// through a policy (its si parameter) takes its window and permissions from it, and is refused
// once its policy is gone: calling it with no id revokes every such SAS of the container.
func (s *Server) SetAccessPolicies(t testing.TB, name string, ids ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	start, expiry, permissions := time.Now().Add(-time.Minute).UTC(), time.Now().Add(time.Hour).UTC(), "rl"
	acl := []*container.SignedIdentifier{}
	for _, id := range ids {
		acl = append(acl, &container.SignedIdentifier{ID: &id, AccessPolicy: &container.AccessPolicy{Start: &start, Expiry: &expiry, Permission: &permissions}})
	}
	if _, err := s.containerClient(t, name).SetAccessPolicy(ctx, &container.SetAccessPolicyOptions{ContainerACL: acl}); err != nil {
		t.Fatalf("azurite: set the access policies of %s: %v", name, err)
	}
}
