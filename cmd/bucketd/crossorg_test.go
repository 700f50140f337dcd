package main_test

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
)

// bucketOperation is one call on a bucket by id, for the scenarios that try every operation.
type bucketOperation struct {
	name string
	call func(t *testing.T, c *client.ClientWithResponses, id string) answer
}

// bucketOperations are every operation on one bucket, those that would change it or reach the
// provider included.
func bucketOperations(b *backend) []bucketOperation {
	return []bucketOperation{
		{"get", func(t *testing.T, c *client.ClientWithResponses, id string) answer { return getBucket(t, c, id) }},
		{"rename", func(t *testing.T, c *client.ClientWithResponses, id string) answer {
			return updateBucket(t, c, id, "", api.UpdateBucketRequest{Name: ptr("Taken over")})
		}},
		{"change credentials", func(t *testing.T, c *client.ClientWithResponses, id string) answer {
			return updateBucket(t, c, id, "", api.UpdateBucketRequest{Key: &b.gw.RootKey, Secret: &b.gw.RootSecret})
		}},
		{"delete", func(t *testing.T, c *client.ClientWithResponses, id string) answer { return deleteBucket(t, c, id) }},
		{"revalidate", func(t *testing.T, c *client.ClientWithResponses, id string) answer {
			return revalidateBucket(t, c, id, api.RevalidateBucketRequest{})
		}},
		{"revalidate with other credentials", func(t *testing.T, c *client.ClientWithResponses, id string) answer {
			return revalidateBucket(t, c, id, api.RevalidateBucketRequest{Key: &b.gw.RootKey, Secret: &b.gw.RootSecret})
		}},
	}
}

// testCrossOrganization proves that another organization's bucket does not exist for a caller:
// every operation answers 404 exactly as for an id nobody has, no list shows it, and nothing
// the caller tried changed it.
func testCrossOrganization(t *testing.T, b *backend) {
	owner, intruder := b.bootstrap(t, -1), b.bootstrap(t, -1)
	oc, ic := b.client(t, owner), b.client(t, intruder)
	id := wantCreated(t, create(t, oc, b.request(owner, "Not yours")))
	before := mustGetBucket(t, oc, id)
	own := wantCreated(t, create(t, ic, b.request(intruder, "Yours")))
	unknown := domain.NewID()

	for _, op := range bucketOperations(b) {
		t.Run(op.name, func(t *testing.T) {
			foreign := wantAPIError(t, op.name+" of another organization's bucket", op.call(t, ic, id), http.StatusNotFound, "NOT_FOUND")
			nobodys := wantAPIError(t, op.name+" of an unknown id", op.call(t, ic, unknown), http.StatusNotFound, "NOT_FOUND")
			if strings.ReplaceAll(foreign.Message, id, "<id>") != strings.ReplaceAll(nobodys.Message, unknown, "<id>") {
				t.Errorf("messages differ for a foreign and an unknown id: %q and %q", foreign.Message, nobodys.Message)
			}
		})
	}
	if got := listedIDs(t, ic, nil); !slices.Equal(got, []string{own}) {
		t.Errorf("the intruder's GET /bucket = %v, want only its own [%s]", got, own)
	}
	if got := availableIDs(t, ic, nil); !slices.Equal(got, []string{own}) {
		t.Errorf("the intruder's GET /bucket/available = %v, want only its own [%s]", got, own)
	}
	wantAPIError(t, "GET /bucket of another organization's workspace",
		listBuckets(t, ic, api.ListBucketsParams{WorkspaceId: &owner.WorkspaceID}), http.StatusBadRequest, "WORKSPACE_NOT_FOUND")
	wantAPIError(t, "GET /bucket/available of another organization's workspace",
		listAvailable(t, ic, &owner.WorkspaceID), http.StatusBadRequest, "WORKSPACE_NOT_FOUND")
	if after := mustGetBucket(t, oc, id); !reflect.DeepEqual(after, before) {
		t.Errorf("the intruder changed the bucket: %+v, was %+v", after, before)
	}
	wantUsage(t, oc, 1, freeTrialLimit)
}

// testMemberWorkspaces proves that a member reaches only the workspaces it belongs to: 403 for
// every operation in another workspace of its organization, lists limited to its own.
func testMemberWorkspaces(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	admin := b.client(t, o)
	restricted := b.addWorkspace(t, o, "Restricted")
	member := b.addMember(t, o, o.WorkspaceID)
	mc := b.client(t, member)
	mine := wantCreated(t, create(t, mc, b.request(o, "The member's")))
	hidden := b.request(o, "Restricted")
	hidden.WorkspaceId = restricted
	hiddenID := wantCreated(t, create(t, admin, hidden))
	before := mustGetBucket(t, admin, hiddenID)

	req := b.request(o, "Sneaked in")
	req.WorkspaceId = restricted
	wantAPIError(t, "POST /bucket in another workspace", create(t, mc, req), http.StatusForbidden, "FORBIDDEN")
	dryRun, err := mc.ValidateBucketWithResponse(t.Context(), dryRunOf(req))
	if err != nil {
		t.Fatalf("POST /bucket/validate: %v", err)
	}
	wantAPIError(t, "POST /bucket/validate in another workspace", dryRun, http.StatusForbidden, "FORBIDDEN")
	wantAPIError(t, "GET /bucket of another workspace",
		listBuckets(t, mc, api.ListBucketsParams{WorkspaceId: &restricted}), http.StatusForbidden, "FORBIDDEN")
	wantAPIError(t, "GET /bucket/available of another workspace", listAvailable(t, mc, &restricted), http.StatusForbidden, "FORBIDDEN")
	for _, op := range bucketOperations(b) {
		t.Run(op.name, func(t *testing.T) {
			wantAPIError(t, op.name+" of a bucket in another workspace", op.call(t, mc, hiddenID), http.StatusForbidden, "FORBIDDEN")
		})
	}

	for name, got := range map[string][]string{
		"GET /bucket":                   listedIDs(t, mc, nil),
		"GET /bucket of its workspace":  listedIDs(t, mc, &o.WorkspaceID),
		"GET /bucket/available":         availableIDs(t, mc, ptr("undefined")),
		"GET /bucket/available for one": availableIDs(t, mc, &o.WorkspaceID),
	} {
		if !slices.Equal(got, []string{mine}) {
			t.Errorf("the member's %s = %v, want only its workspace's [%s]", name, got, mine)
		}
	}
	if got := listedIDs(t, admin, nil); !slices.Equal(got, []string{mine, hiddenID}) {
		t.Errorf("the admin's GET /bucket = %v, want both workspaces' [%s %s]", got, mine, hiddenID)
	}
	if after := mustGetBucket(t, admin, hiddenID); !reflect.DeepEqual(after, before) {
		t.Errorf("the member changed a bucket it may not reach: %+v, was %+v", after, before)
	}
}
