package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/delayproxy"
)

// lifecycle is the state a walk through every bucket operation carries from step to step.
type lifecycle struct {
	b    *backend
	o    org
	c    *client.ClientWithResponses
	user gatewayUser
	// otherWorkspace is a second workspace of the organization.
	otherWorkspace string
	// first holds the ids of the buckets in the organization's first workspace, oldest first;
	// first[0] is the bucket the walk renames, re-keys, validates and deletes.
	first []string
	// other is the id of the one bucket in otherWorkspace.
	other string
	// last is the walked bucket as the previous step left it.
	last api.Bucket
}

// testLifecycle walks one organization through every bucket operation in the order a user
// meets them, each step building on the one before; the first failing step ends the walk.
func testLifecycle(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	l := &lifecycle{b: b, o: o, c: b.client(t, o), user: b.newGatewayUser(t, "the lifecycle user"),
		otherWorkspace: b.addWorkspace(t, o, "Second")}
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"create then get", l.createThenGet},
		{"list in pages and by workspace", l.listInPages},
		{"available", l.available},
		{"rename", l.rename},
		{"new credentials are validated and applied", l.newCredentials},
		{"refused credentials change nothing", l.refusedCredentials},
		{"stored credentials stay where they were registered", l.credentialsStayPut},
		{"revalidate", l.revalidate},
		{"delete", l.delete},
		{"the freed name is free again", l.reuseName},
	}
	for _, step := range steps {
		if !t.Run(step.name, step.run) {
			return
		}
	}
}

func (l *lifecycle) createThenGet(t *testing.T) {
	wantUsage(t, l.c, 0, freeTrialLimit)
	req := l.b.request(l.o, "Lifecycle 1")
	req.Bucket = l.user.bucket
	before := time.Now().Truncate(time.Second)
	id := wantCreated(t, create(t, l.c, req))
	after := time.Now()
	l.first = []string{id}

	res := getBucket(t, l.c, id)
	read := wantOK(t, "GET /bucket/{id}", res, res.JSON200)
	if !read.Success {
		t.Errorf("GET /bucket/{id} answered success false")
	}
	got := read.Bucket
	want := api.Bucket{
		Id: id, Name: "Lifecycle 1", Bucket: l.user.bucket, StorageType: api.CanonicalStorageTypeS3,
		Region: string(*req.Region), Endpoint: req.Endpoint, WorkspaceId: l.o.WorkspaceID, Status: api.ONLINE,
		KeyHint: hintOf(req.Key), LastStatusAt: got.LastStatusAt, CreatedAt: got.CreatedAt, UpdatedAt: got.UpdatedAt,
	}
	if diff := bucketDiff(got, want); diff != "" {
		t.Errorf("GET /bucket/{id} after the create: %s", diff)
	}
	for name, at := range map[string]*time.Time{"createdAt": &got.CreatedAt, "updatedAt": &got.UpdatedAt, "lastStatusAt": got.LastStatusAt} {
		if at == nil || at.Before(before) || at.After(after) {
			t.Errorf("%s = %v, want the time of the create, between %v and %v", name, at, before, after)
		}
	}
	wantNoCredentials(t, res.Body, req.Key, req.Secret)
	l.last = got
}

// listInPages creates six more buckets in the first workspace and one in the other, then reads
// them back in pages of three and by workspace.
func (l *lifecycle) listInPages(t *testing.T) {
	for i := 2; i <= 7; i++ {
		l.first = append(l.first, wantCreated(t, create(t, l.c, l.b.request(l.o, fmt.Sprintf("Lifecycle %d", i)))))
	}
	var pages [][]string
	var cursor *string
	for range 4 {
		page := mustList(t, l.c, api.ListBucketsParams{Limit: ptr(3), Cursor: cursor})
		ids := make([]string, len(page.Buckets))
		for i, bkt := range page.Buckets {
			ids[i] = bkt.Id
		}
		pages = append(pages, ids)
		if cursor = page.NextCursor; cursor == nil {
			break
		}
	}
	if want := [][]string{l.first[:3], l.first[3:6], l.first[6:]}; !slices.EqualFunc(pages, want, slices.Equal) {
		t.Fatalf("pages of 3 = %v, want %v with a nextCursor on all but the last", pages, want)
	}

	other := l.b.request(l.o, "Lifecycle elsewhere")
	other.WorkspaceId = l.otherWorkspace
	l.other = wantCreated(t, create(t, l.c, other))
	all := append(slices.Clone(l.first), l.other)
	for _, tc := range []struct {
		name   string
		filter *string
		want   []string
	}{
		{"no filter", nil, all},
		{"empty filter", ptr(""), all},
		{"Flashback's undefined", ptr("undefined"), all},
		{"first workspace", &l.o.WorkspaceID, l.first},
		{"second workspace", &l.otherWorkspace, []string{l.other}},
	} {
		if got := listedIDs(t, l.c, tc.filter); !slices.Equal(got, tc.want) {
			t.Errorf("GET /bucket with %s = %v, want %v", tc.name, got, tc.want)
		}
	}
	wantUsage(t, l.c, len(all), freeTrialLimit)
}

// available checks Flashback's bare array against the full list, entry by entry.
func (l *lifecycle) available(t *testing.T) {
	full := mustList(t, l.c, api.ListBucketsParams{}).Buckets
	res := listAvailable(t, l.c, ptr("undefined"))
	entries := wantOK(t, "GET /bucket/available", res, res.JSON200)
	if len(entries) != len(full) {
		t.Fatalf("GET /bucket/available has %d entries, GET /bucket %d", len(entries), len(full))
	}
	for i, e := range entries {
		f := full[i]
		want := api.AvailableBucket{Id: f.Id, Name: f.Name, StorageType: f.StorageType, Bucket: f.Bucket,
			Region: ptr(f.Region), Endpoint: f.Endpoint, Status: f.Status, WorkspaceId: f.WorkspaceId, CreatedAt: f.CreatedAt}
		if e.Id != want.Id || e.Name != want.Name || e.StorageType != want.StorageType || e.Bucket != want.Bucket ||
			deref(e.Region) != deref(want.Region) || endpointOf(e.Endpoint) != endpointOf(want.Endpoint) ||
			e.Status != want.Status || e.WorkspaceId != want.WorkspaceId || !e.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("available entry %d = %+v, want %+v", i, e, want)
		}
	}
	if !strings.HasPrefix(strings.TrimSpace(string(res.Body)), "[") {
		t.Errorf("GET /bucket/available answered %s, want a bare JSON array", res.Body)
	}
	if got := availableIDs(t, l.c, &l.otherWorkspace); !slices.Equal(got, []string{l.other}) {
		t.Errorf("GET /bucket/available of the second workspace = %v, want [%s]", got, l.other)
	}
}

// rename changes the name alone: no provider validation, the status untouched.
func (l *lifecycle) rename(t *testing.T) {
	id := l.first[0]
	wantAPIError(t, "PUT /bucket/{id} with a used name", updateBucket(t, l.c, id, "", api.UpdateBucketRequest{Name: ptr("LIFECYCLE 2")}),
		http.StatusConflict, "NAME_ALREADY_USED")
	res := mustUpdate(t, l.c, id, api.UpdateBucketRequest{Name: ptr("  Lifecycle renamed ")})
	if res.Status != api.ONLINE || res.LatencyMs != 0 {
		t.Errorf("rename answered status %s, latency_ms %d; want ONLINE and 0 (no validation)", res.Status, res.LatencyMs)
	}
	got := mustGetBucket(t, l.c, id)
	want := l.last
	want.Name, want.UpdatedAt = "Lifecycle renamed", got.UpdatedAt
	if diff := bucketDiff(got, want); diff != "" {
		t.Errorf("after the rename: %s", diff)
	}
	if !got.UpdatedAt.After(l.last.UpdatedAt) {
		t.Errorf("updatedAt = %v, want after %v", got.UpdatedAt, l.last.UpdatedAt)
	}
	l.last = got
}

// newCredentials moves the bucket from the gateway root's credentials to the user's: the
// change is validated, applied, and a revalidation then checks with the user's key.
func (l *lifecycle) newCredentials(t *testing.T) {
	id := l.first[0]
	res := mustUpdate(t, l.c, id, api.UpdateBucketRequest{Key: &l.user.key, Secret: &l.user.secret})
	if res.Status != api.ONLINE {
		t.Errorf("the credentials update answered status %s, want ONLINE", res.Status)
	}
	got := mustGetBucket(t, l.c, id)
	want := l.last
	want.KeyHint, want.UpdatedAt, want.LastStatusAt = hintOf(l.user.key), got.UpdatedAt, got.LastStatusAt
	if diff := bucketDiff(got, want); diff != "" {
		t.Errorf("after the credentials update: %s", diff)
	}
	if !got.UpdatedAt.After(l.last.UpdatedAt) || !laterThan(got.LastStatusAt, l.last.LastStatusAt) {
		t.Errorf("updatedAt %v and lastStatusAt %v, want both after the previous %v and %v",
			got.UpdatedAt, got.LastStatusAt, l.last.UpdatedAt, l.last.LastStatusAt)
	}
	wantPassedWithKey(t, mustRevalidate(t, l.c, id, api.RevalidateBucketRequest{}), l.user.key)
	l.last = mustGetBucket(t, l.c, id)
}

// refusedCredentials tries changes the provider refuses: each answers 400 with the check's code
// and leaves the bucket exactly as it was, its stored credentials still valid.
func (l *lifecycle) refusedCredentials(t *testing.T) {
	id := l.first[0]
	wrongSecret := "e2e-lifecycle-wrong-" + randomHex(12)
	l.b.secrets.Add("the lifecycle's wrong secret", wrongSecret)
	for _, tc := range []struct {
		name string
		body api.UpdateBucketRequest
		code string
	}{
		{"wrong secret", api.UpdateBucketRequest{Secret: &wrongSecret}, "INVALID_CREDENTIALS"},
		{"credentials without access", api.UpdateBucketRequest{Key: ptr(nonOwnerKey), Secret: ptr(nonOwnerSecret)}, "ACCESS_DENIED"},
		{"missing bucket", api.UpdateBucketRequest{Bucket: ptr(missingBucket), Name: ptr("Lifecycle moved")}, "BUCKET_NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, "PUT /bucket/{id}", updateBucket(t, l.c, id, "", tc.body), http.StatusBadRequest, tc.code)
			if diff := bucketDiff(mustGetBucket(t, l.c, id), l.last); diff != "" {
				t.Errorf("a refused update changed the bucket: %s", diff)
			}
		})
	}
	wantPassedWithKey(t, mustRevalidate(t, l.c, id, api.RevalidateBucketRequest{}), l.user.key)
	l.last = mustGetBucket(t, l.c, id)
}

// credentialsStayPut points the bucket at another endpoint, a proxy standing for a server of
// the caller's choosing (it forwards to the gateway, so a signed request that reached it would
// even pass): without both key and secret in the request the change is refused before any
// provider request and changes nothing; with them, a revalidation there is a dry run. The
// stored endpoint itself, however spelled, needs no credentials.
func (l *lifecycle) credentialsStayPut(t *testing.T) {
	id := l.first[0]
	collector := delayproxy.Start(t, l.b.gw.Endpoint, 0)
	refused := func(t *testing.T, op string, send func() answer) {
		t.Helper()
		if n := providerRequests(collector, func() {
			e := wantAPIError(t, op, send(), http.StatusBadRequest, "INVALID_REQUEST")
			if !strings.Contains(e.Message, "key and secret") {
				t.Errorf("%s: message %q does not say that key and secret are needed", op, e.Message)
			}
		}); n != 0 {
			t.Errorf("%s sent the other endpoint %d requests, want none", op, n)
		}
		if diff := bucketDiff(mustGetBucket(t, l.c, id), l.last); diff != "" {
			t.Errorf("%s changed the bucket: %s", op, diff)
		}
	}
	for name, body := range map[string]api.UpdateBucketRequest{
		"endpoint alone":           {Endpoint: &collector.URL},
		"endpoint and key":         {Endpoint: &collector.URL, Key: &l.user.key},
		"endpoint and secret":      {Endpoint: &collector.URL, Secret: &l.user.secret},
		"endpoint and a new name":  {Endpoint: &collector.URL, Name: ptr("Lifecycle collected")},
		"storage type AZURE alone": {StorageType: ptr(api.StorageTypeAZURE)},
	} {
		t.Run("PUT "+name, func(t *testing.T) {
			refused(t, "PUT /bucket/{id}", func() answer { return updateBucket(t, l.c, id, "", body) })
		})
	}
	t.Run("revalidate elsewhere without credentials", func(t *testing.T) {
		refused(t, "POST /bucket/{id}/validate", func() answer {
			return revalidateBucket(t, l.c, id, api.RevalidateBucketRequest{Endpoint: &collector.URL, Bucket: &l.user.bucket})
		})
	})
	t.Run("revalidate elsewhere with key and secret", func(t *testing.T) {
		var res api.RevalidationResult
		if n := providerRequests(collector, func() {
			res = mustRevalidate(t, l.c, id, api.RevalidateBucketRequest{Endpoint: &collector.URL, Key: &l.user.key, Secret: &l.user.secret})
		}); n == 0 {
			t.Errorf("the dry run sent the given endpoint no request")
		}
		wantPassedWithKey(t, res, l.user.key)
		if diff := bucketDiff(mustGetBucket(t, l.c, id), l.last); diff != "" {
			t.Errorf("a dry run changed the bucket: %s", diff)
		}
	})
	t.Run("the stored endpoint needs no credentials", func(t *testing.T) {
		stored := " " + endpointOf(l.last.Endpoint) + " "
		if res := mustUpdate(t, l.c, id, api.UpdateBucketRequest{Endpoint: &stored}); res.Status != api.ONLINE {
			t.Errorf("PUT with the stored endpoint answered status %s, want ONLINE", res.Status)
		}
		got := mustGetBucket(t, l.c, id)
		want := l.last
		want.UpdatedAt, want.LastStatusAt = got.UpdatedAt, got.LastStatusAt
		if diff := bucketDiff(got, want); diff != "" {
			t.Errorf("PUT with the stored endpoint changed more than its times: %s", diff)
		}
		l.last = got
	})
}

// revalidate re-checks the stored credentials and records a later lastStatusAt.
func (l *lifecycle) revalidate(t *testing.T) {
	id := l.first[0]
	wantPassedWithKey(t, mustRevalidate(t, l.c, id, api.RevalidateBucketRequest{}), l.user.key)
	got := wantStatusMoved(t, l.c, id, api.ONLINE, l.last.LastStatusAt)
	want := l.last
	want.LastStatusAt = got.LastStatusAt
	if diff := bucketDiff(got, want); diff != "" {
		t.Errorf("a revalidation changed more than lastStatusAt: %s", diff)
	}
	l.last = got
}

// delete soft-deletes the walked bucket: it is gone from every read and operation, a second
// delete answers 404, and the quota drops by one.
func (l *lifecycle) delete(t *testing.T) {
	id := l.first[0]
	res := deleteBucket(t, l.c, id)
	if got := wantOK(t, "DELETE /bucket/{id}", res, res.JSON200); !got.Success {
		t.Fatalf("DELETE /bucket/%s answered %s, want success", id, res.Body)
	}
	for op, res := range map[string]answer{
		"GET after the delete":      getBucket(t, l.c, id),
		"second DELETE":             deleteBucket(t, l.c, id),
		"PUT after the delete":      updateBucket(t, l.c, id, "", api.UpdateBucketRequest{Name: ptr("Lifecycle ghost")}),
		"validate after the delete": revalidateBucket(t, l.c, id, api.RevalidateBucketRequest{}),
	} {
		wantAPIError(t, op, res, http.StatusNotFound, "NOT_FOUND")
	}
	l.first = l.first[1:]
	if got, want := listedIDs(t, l.c, &l.o.WorkspaceID), l.first; !slices.Equal(got, want) {
		t.Errorf("GET /bucket after the delete = %v, want %v", got, want)
	}
	if got := availableIDs(t, l.c, nil); slices.Contains(got, id) {
		t.Errorf("GET /bucket/available still lists the deleted bucket %s", id)
	}
	wantUsage(t, l.c, len(l.first)+1, freeTrialLimit)
}

// reuseName registers a new bucket under the deleted bucket's name, which takes the freed place
// in the quota.
func (l *lifecycle) reuseName(t *testing.T) {
	id := wantCreated(t, create(t, l.c, l.b.request(l.o, l.last.Name)))
	if id == l.last.Id {
		t.Fatalf("the new bucket got the deleted bucket's id %s", id)
	}
	if got := mustGetBucket(t, l.c, id); got.Name != l.last.Name {
		t.Errorf("the new bucket is named %q, want %q", got.Name, l.last.Name)
	}
	wantUsage(t, l.c, len(l.first)+2, freeTrialLimit)
}

// wantPassedWithKey wants a passing revalidation, status ONLINE, whose checks name the key by
// its hint: proof of which stored credentials were used.
func wantPassedWithKey(t testing.TB, res api.RevalidationResult, key string) {
	t.Helper()
	if !res.Success || res.Code != nil || res.Status != api.ONLINE || res.Message != "all checks passed" {
		t.Errorf("revalidation = %+v, want success and status ONLINE", res)
	}
	named := false
	for _, check := range res.Checks {
		if check.Status == api.Fail {
			t.Errorf("check %s failed: %s", check.Name, check.Message)
		}
		named = named || strings.Contains(check.Message, hintOf(key))
	}
	if !named {
		t.Errorf("no check names the key %s: %+v", hintOf(key), res.Checks)
	}
}

// wantNoCredentials fails if a bucket's JSON has a property named like a credential or holds
// the key or secret it was registered with.
func wantNoCredentials(t testing.TB, body []byte, key, secret string) {
	t.Helper()
	var got struct {
		Bucket map[string]json.RawMessage `json:"bucket"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("decode bucket: %v", err)
	}
	for _, name := range []string{"key", "secret", "sealedKey", "sealedSecret"} {
		if _, ok := got.Bucket[name]; ok {
			t.Errorf("the bucket has a %q property", name)
		}
	}
	if strings.Contains(string(body), key) || strings.Contains(string(body), secret) {
		t.Error("the bucket's JSON holds its key or secret")
	}
}

// hintOf is the keyHint the API shows for a key of 16 characters or more.
func hintOf(key string) string { return key[:4] + "…" + key[len(key)-4:] }

// laterThan reports whether a is set and after b, which must be set.
func laterThan(a, b *time.Time) bool { return a != nil && b != nil && a.After(*b) }

// bucketDiff describes how got differs from want, comparing times as instants; "" if not.
func bucketDiff(got, want api.Bucket) string {
	var diffs []string
	field := func(name string, g, w any) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", name, g, w))
		}
	}
	field("id", got.Id, want.Id)
	field("name", got.Name, want.Name)
	field("bucket", got.Bucket, want.Bucket)
	field("storageType", got.StorageType, want.StorageType)
	field("region", got.Region, want.Region)
	field("endpoint", endpointOf(got.Endpoint), endpointOf(want.Endpoint))
	field("workspaceId", got.WorkspaceId, want.WorkspaceId)
	field("status", got.Status, want.Status)
	field("keyHint", got.KeyHint, want.KeyHint)
	if !sameTime(got.LastStatusAt, want.LastStatusAt) {
		diffs = append(diffs, fmt.Sprintf("lastStatusAt = %v, want %v", got.LastStatusAt, want.LastStatusAt))
	}
	for name, pair := range map[string][2]time.Time{"createdAt": {got.CreatedAt, want.CreatedAt}, "updatedAt": {got.UpdatedAt, want.UpdatedAt}} {
		if !pair[0].Equal(pair[1]) {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", name, pair[0], pair[1]))
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}

// endpointOf prints an optional endpoint.
func endpointOf(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}
