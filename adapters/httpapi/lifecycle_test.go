package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
)

// bucketFields are the members of a rendered bucket (docs/api.md, the bucket lifecycle), for a bucket with a
// custom endpoint and a status time.
var bucketFields = []string{"id", "name", "bucket", "storageType", "region", "endpoint", "workspaceId", "status",
	"lastStatusAt", "keyHint", "secretFingerprint", "secretVersion", "credentialsUpdatedAt", "createdAt", "updatedAt"}

// wantRenderedBucket checks that raw renders storedBucket(): exactly the contract's fields with
// their values, no credential.
func wantRenderedBucket(t testing.TB, raw json.RawMessage) {
	t.Helper()
	wantFields(t, "bucket", fieldsOf(t, raw), bucketFields...)
	var got api.Bucket
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("decode bucket: %v: %s", err, raw)
	}
	b := storedBucket()
	want := api.Bucket{Id: b.ID, Name: b.Name, Bucket: b.Bucket, StorageType: api.CanonicalStorageTypeS3, Region: b.Region,
		Endpoint: &b.Endpoint, WorkspaceId: b.WorkspaceID, Status: api.ONLINE, LastStatusAt: b.LastStatusAt,
		KeyHint: b.KeyHint, SecretFingerprint: &b.SecretFingerprint, SecretVersion: b.SecretVersion,
		CredentialsUpdatedAt: b.CredentialsUpdatedAt, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bucket = %+v, want %+v", got, want)
	}
	wantNoCredential(t, raw)
}

// wantNoCredential fails if body carries the key or the secret in any form.
func wantNoCredential(t testing.TB, body []byte) {
	t.Helper()
	for _, s := range []string{testKey, testSecret, "sealed"} {
		if strings.Contains(string(body), s) {
			t.Errorf("the body reveals %q: %s", s, body)
		}
	}
}

func TestListBucketsPassesTheQueryThrough(t *testing.T) {
	tests := []struct {
		query string
		want  app.ListInput
	}{
		{"", app.ListInput{}},
		{"?workspaceId=" + workspaceID + "&limit=2&cursor=AZKl8dt6cYyEZ2r_fUHXZg",
			app.ListInput{WorkspaceID: workspaceID, Limit: 2, Cursor: "AZKl8dt6cYyEZ2r_fUHXZg"}},
		// Flashback's client sends the literal "undefined"; the service treats it as no filter.
		{"?workspaceId=undefined&walletAddress=undefined", app.ListInput{WorkspaceID: "undefined"}},
		{"?workspaceId=&walletAddress=0xabc", app.ListInput{}},
		{"?limit=1", app.ListInput{Limit: 1}},
		{"?limit=1000", app.ListInput{Limit: 1000}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			h := newHarness(t)
			res := h.serve(t, apiRequest(http.MethodGet, "/bucket"+tc.query, ""))
			wantStatus(t, res, http.StatusOK)
			call := h.buckets.onlyCall(t, "List")
			if call.list != tc.want {
				t.Errorf("list input = %+v, want %+v", call.list, tc.want)
			}
			if !reflect.DeepEqual(call.principal, testPrincipal) {
				t.Errorf("principal = %+v, want %+v", call.principal, testPrincipal)
			}
		})
	}
}

func TestListBucketsRendersAPage(t *testing.T) {
	for _, cursor := range []string{"", "AZKl8dt6cYyEZ2r_fUHXZg"} {
		t.Run("next cursor "+cursor, func(t *testing.T) {
			h := newHarness(t)
			h.buckets.list = func(app.ListInput) (domain.BucketPage, error) {
				return domain.BucketPage{Buckets: []domain.Bucket{storedBucket()}, NextCursor: cursor}, nil
			}
			res := h.serve(t, apiRequest(http.MethodGet, "/bucket", ""))
			wantStatus(t, res, http.StatusOK)
			wantJSONContentType(t, res)

			fields := fieldsOf(t, res.body)
			if cursor == "" {
				wantFields(t, "list", fields, "success", "buckets")
			} else {
				wantFields(t, "list", fields, "success", "buckets", "nextCursor")
				if got := string(fields["nextCursor"]); got != `"`+cursor+`"` {
					t.Errorf("nextCursor = %s, want %q", got, cursor)
				}
			}
			if string(fields["success"]) != "true" {
				t.Errorf("success = %s, want true", fields["success"])
			}
			var buckets []json.RawMessage
			if err := json.Unmarshal(fields["buckets"], &buckets); err != nil || len(buckets) != 1 {
				t.Fatalf("buckets = %s, want one bucket (%v)", fields["buckets"], err)
			}
			wantRenderedBucket(t, buckets[0])
		})
	}
}

func TestListBucketsRendersOptionalFieldsOnlyWhenSet(t *testing.T) {
	h := newHarness(t)
	b := storedBucket()
	b.Endpoint, b.LastStatusAt, b.Status = "", nil, domain.StatusUnknown
	b.SecretFingerprint, b.CredentialsUpdatedAt = "", nil // a bucket stored before fingerprints
	b.StorageType = domain.StorageAzure
	h.buckets.list = func(app.ListInput) (domain.BucketPage, error) {
		return domain.BucketPage{Buckets: []domain.Bucket{b}}, nil
	}
	res := h.serve(t, apiRequest(http.MethodGet, "/bucket", ""))
	wantStatus(t, res, http.StatusOK)
	var page struct{ Buckets []json.RawMessage }
	if err := json.Unmarshal(res.body, &page); err != nil || len(page.Buckets) != 1 {
		t.Fatalf("body %s: want one bucket (%v)", res.body, err)
	}
	fields := fieldsOf(t, page.Buckets[0])
	optional := []string{"endpoint", "lastStatusAt", "secretFingerprint", "credentialsUpdatedAt"}
	wantFields(t, "bucket", fields, slices.DeleteFunc(slices.Clone(bucketFields), func(f string) bool { return slices.Contains(optional, f) })...)
	if string(fields["status"]) != `"UNKNOWN"` || string(fields["storageType"]) != `"AZURE"` {
		t.Errorf("status %s, storageType %s; want UNKNOWN, AZURE", fields["status"], fields["storageType"])
	}
}

func TestListBucketsRendersAnEmptyPageAsAnEmptyArray(t *testing.T) {
	for _, path := range []string{"/bucket", "/bucket/available"} {
		t.Run(path, func(t *testing.T) {
			h := newHarness(t)
			h.buckets.list = func(app.ListInput) (domain.BucketPage, error) { return domain.BucketPage{}, nil }
			res := h.serve(t, apiRequest(http.MethodGet, path, ""))
			wantStatus(t, res, http.StatusOK)
			if body := string(res.body); !strings.Contains(body, "[]") || strings.Contains(body, "null") {
				t.Errorf("body = %s, want an empty array, not null", body)
			}
		})
	}
}

func TestListBucketsRefusesALimitOutsideTheSpec(t *testing.T) {
	for _, query := range []string{"limit=0", "limit=1001", "limit=-1", "limit=ten", "cursor=" + strings.Repeat("c", 129)} {
		t.Run(query, func(t *testing.T) {
			h := newHarness(t)
			res := h.serve(t, apiRequest(http.MethodGet, "/bucket?"+query, ""))
			e := wantError(t, res, http.StatusBadRequest, "INVALID_REQUEST")
			name, _, _ := strings.Cut(query, "=")
			if !strings.Contains(e.Message, `query parameter "`+name+`"`) {
				t.Errorf("message %q does not name the query parameter %q", e.Message, name)
			}
			h.wantNoCalls(t)
		})
	}
}

func TestListAvailableBucketsAnswersFlashbacksBareArray(t *testing.T) {
	h := newHarness(t)
	second := storedBucket()
	// Registered as BLOB, without a region or an endpoint: both are left out of its entry.
	second.ID, second.Name, second.StorageType = "0192f7a5-0e1f-7a2b-8c3d-4e5f60718294", "Blobs", domain.StorageAzure
	second.StorageTypeSpelling, second.Region, second.Endpoint = domain.BlobSpelling, "", ""
	h.buckets.list = func(app.ListInput) (domain.BucketPage, error) {
		return domain.BucketPage{Buckets: []domain.Bucket{storedBucket(), second}}, nil
	}
	res := h.serve(t, apiRequest(http.MethodGet, "/bucket/available?workspaceId=undefined&walletAddress=undefined", ""))
	wantStatus(t, res, http.StatusOK)
	wantJSONContentType(t, res)

	if call := h.buckets.onlyCall(t, "List"); call.list != (app.ListInput{WorkspaceID: "undefined"}) {
		t.Errorf("list input = %+v, want only the workspace filter", call.list)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(res.body, &entries); err != nil {
		t.Fatalf("body is not a JSON array: %v: %s", err, res.body)
	}
	if len(entries) != 2 {
		t.Fatalf("got %d entries, want 2: %s", len(entries), res.body)
	}
	first := storedBucket()
	wants := []struct {
		fields []string
		entry  api.AvailableBucket
	}{
		{[]string{"id", "name", "storageType", "bucket", "region", "endpoint", "status", "workspaceId", "createdAt"},
			api.AvailableBucket{Id: first.ID, Name: first.Name, StorageType: api.CanonicalStorageTypeS3, Bucket: first.Bucket,
				Region: &first.Region, Endpoint: &first.Endpoint, Status: api.ONLINE, WorkspaceId: first.WorkspaceID, CreatedAt: first.CreatedAt}},
		{[]string{"id", "name", "storageType", "bucket", "status", "workspaceId", "createdAt"},
			api.AvailableBucket{Id: second.ID, Name: second.Name, StorageType: api.CanonicalStorageTypeBLOB, Bucket: second.Bucket,
				Status: api.ONLINE, WorkspaceId: second.WorkspaceID, CreatedAt: second.CreatedAt}},
	}
	for i, raw := range entries {
		wantFields(t, "entry", fieldsOf(t, raw), wants[i].fields...)
		var got api.AvailableBucket
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, wants[i].entry) {
			t.Errorf("entry %d = %+v, want %+v", i, got, wants[i].entry)
		}
	}
	wantNoCredential(t, res.body)
}

func TestGetBucketAnswersTheBucket(t *testing.T) {
	h := newHarness(t)
	res := h.serve(t, apiRequest(http.MethodGet, "/bucket/"+newBucketID, ""))
	wantStatus(t, res, http.StatusOK)
	wantJSONContentType(t, res)
	if call := h.buckets.onlyCall(t, "Get"); call.bucketID != newBucketID || !reflect.DeepEqual(call.principal, testPrincipal) {
		t.Errorf("service got bucket %q for %+v", call.bucketID, call.principal)
	}
	fields := fieldsOf(t, res.body)
	wantFields(t, "answer", fields, "success", "bucket")
	if string(fields["success"]) != "true" {
		t.Errorf("success = %s, want true", fields["success"])
	}
	wantRenderedBucket(t, fields["bucket"])
}

// An OFFLINE bucket says why in statusMessage, and so does its entry in Flashback's short list.
func TestGetBucketSaysWhyItIsOffline(t *testing.T) {
	const why = "authenticate: the temporary credentials of key ASIA…MPLE expired (ExpiredToken); give new ones"
	h := newHarness(t)
	offline := storedBucket()
	offline.Status, offline.StatusMessage = domain.StatusOffline, why
	h.buckets.get = func(string) (domain.Bucket, error) { return offline, nil }
	h.buckets.list = func(app.ListInput) (domain.BucketPage, error) {
		return domain.BucketPage{Buckets: []domain.Bucket{offline}}, nil
	}
	res := h.serve(t, apiRequest(http.MethodGet, "/bucket/"+newBucketID, ""))
	wantStatus(t, res, http.StatusOK)
	var got api.BucketResponse
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Bucket.Status != api.OFFLINE || got.Bucket.StatusMessage == nil || *got.Bucket.StatusMessage != why {
		t.Errorf("GET /bucket/{id} of an OFFLINE bucket = %s; want OFFLINE with statusMessage %q", res.body, why)
	}
	res = h.serve(t, apiRequest(http.MethodGet, "/bucket/available", ""))
	wantStatus(t, res, http.StatusOK)
	var entries []api.AvailableBucket
	if err := json.Unmarshal(res.body, &entries); err != nil || len(entries) != 1 ||
		entries[0].StatusMessage == nil || *entries[0].StatusMessage != why {
		t.Errorf("GET /bucket/available = %s (%v); want the entry with statusMessage %q", res.body, err, why)
	}
}

// A bucket answers its storage type as it was registered: BLOB and AZURE are one provider, and
// a bucket stored before spellings were recorded answers the canonical name.
func TestGetBucketAnswersTheStorageTypeAsRegistered(t *testing.T) {
	for spelling, want := range map[string]api.CanonicalStorageType{"BLOB": api.CanonicalStorageTypeBLOB,
		"AZURE": api.CanonicalStorageTypeAZURE, "": api.CanonicalStorageTypeAZURE} {
		t.Run("spelled "+spelling, func(t *testing.T) {
			h := newHarness(t)
			h.buckets.get = func(string) (domain.Bucket, error) {
				b := storedBucket()
				b.StorageType, b.StorageTypeSpelling = domain.StorageAzure, spelling
				return b, nil
			}
			res := h.serve(t, apiRequest(http.MethodGet, "/bucket/"+newBucketID, ""))
			wantStatus(t, res, http.StatusOK)
			var got api.BucketResponse
			if err := json.Unmarshal(res.body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Bucket.StorageType != want {
				t.Errorf("storageType = %s, want %s", got.Bucket.StorageType, want)
			}
		})
	}
}

// bucketRoutes are the operations on one bucket, with a valid body where one is needed.
var bucketRoutes = []struct{ method, suffix, body string }{
	{http.MethodGet, "", ""},
	{http.MethodPut, "", `{"name": "Nightly backups"}`},
	{http.MethodDelete, "", ""},
	{http.MethodPost, "/validate", ""},
}

func TestBucketRoutesAnswerNotFound(t *testing.T) {
	const message = `bucket "0192f7a5-0e1f-7a2b-8c3d-4e5f60718293" not found in this organization`
	notFound := domain.Errorf(domain.KindNotFound, message)
	for _, route := range bucketRoutes {
		t.Run(route.method+route.suffix, func(t *testing.T) {
			h := newHarness(t)
			h.buckets.get = func(string) (domain.Bucket, error) { return domain.Bucket{}, notFound }
			h.buckets.update = func(string, app.UpdateInput) (app.UpdateResult, error) { return app.UpdateResult{}, notFound }
			h.buckets.delete = func(string) error { return notFound }
			h.buckets.revalidate = func(string, app.RevalidateInput) (app.RevalidateResult, error) {
				return app.RevalidateResult{}, notFound
			}
			res := h.serve(t, apiRequest(route.method, "/bucket/"+newBucketID+route.suffix, route.body))
			if e := wantError(t, res, http.StatusNotFound, "NOT_FOUND"); e.Message != message {
				t.Errorf("message = %q, want %q", e.Message, message)
			}
		})
	}
}

func TestBucketRoutesRequireABearerToken(t *testing.T) {
	for _, route := range bucketRoutes {
		t.Run(route.method+route.suffix, func(t *testing.T) {
			h := newHarness(t)
			req := apiRequest(route.method, "/bucket/"+newBucketID+route.suffix, route.body)
			req.Header.Del("Authorization")
			wantError(t, h.serve(t, req), http.StatusUnauthorized, "UNAUTHENTICATED")
			h.wantNoCalls(t)
		})
	}
}

func TestUpdateBucketPassesOnlyTheGivenFields(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		body string
		want app.UpdateInput // credentials compared separately
		key  *string
		sec  *string
	}{
		{
			name: "rename",
			body: `{"name": "Nightly backups"}`,
			want: app.UpdateInput{Name: str("Nightly backups"), Mode: domain.ValidateReadOnly},
		},
		{
			name: "rotate credentials",
			body: `{"key": "` + testKey + `", "secret": "` + testSecret + `", "validation": "readwrite"}`,
			want: app.UpdateInput{Mode: domain.ValidateReadWrite},
			key:  str(testKey),
			sec:  str(testSecret),
		},
		{
			name: "remove the endpoint",
			body: `{"endpoint": ""}`,
			want: app.UpdateInput{Endpoint: str(""), Mode: domain.ValidateReadOnly},
		},
		{
			name: "every location field",
			body: `{"bucket": "b2", "storageType": "BLOB", "region": "westeurope", "endpoint": "https://acct.blob.core.windows.net",
				"workspaceId": "` + workspaceID + `", "walletAddress": "0xabc"}`,
			want: app.UpdateInput{Bucket: str("b2"), StorageType: str("BLOB"), Region: str("westeurope"),
				Endpoint: str("https://acct.blob.core.windows.net"), WorkspaceID: str(workspaceID), Mode: domain.ValidateReadOnly},
		},
		{
			name: "nothing",
			body: `{}`,
			want: app.UpdateInput{Mode: domain.ValidateReadOnly},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			res := h.serve(t, apiRequest(http.MethodPut, "/bucket/"+newBucketID, tc.body))
			wantStatus(t, res, http.StatusOK)
			call := h.buckets.onlyCall(t, "Update")
			if call.bucketID != newBucketID {
				t.Errorf("bucket id = %q, want %q", call.bucketID, newBucketID)
			}
			got := call.update
			wantSecret(t, "key", got.Key, tc.key)
			wantSecret(t, "secret", got.Secret, tc.sec)
			got.Key, got.Secret = nil, nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("update input = %s, want %s", describeUpdate(got), describeUpdate(tc.want))
			}
		})
	}
}

// wantSecret checks an optional credential: absent stays nil, given arrives wrapped.
func wantSecret(t *testing.T, field string, got *domain.Secret, want *string) {
	t.Helper()
	switch {
	case want == nil && got != nil:
		t.Errorf("%s reached the service although the request had none", field)
	case want != nil && got == nil:
		t.Errorf("%s did not reach the service", field)
	case want != nil && got.Reveal() != *want:
		t.Errorf("%s reached the service changed", field)
	}
}

// describeUpdate shows the optional fields of an update input by value.
func describeUpdate(in app.UpdateInput) string {
	show := func(p *string) string {
		if p == nil {
			return "nil"
		}
		return `"` + *p + `"`
	}
	return "{name " + show(in.Name) + ", bucket " + show(in.Bucket) + ", storageType " + show(in.StorageType) +
		", region " + show(in.Region) + ", endpoint " + show(in.Endpoint) + ", workspaceId " + show(in.WorkspaceID) +
		", mode " + string(in.Mode) + "}"
}

func TestUpdateBucketAnswersTheOutcome(t *testing.T) {
	h := newHarness(t)
	h.buckets.update = func(id string, _ app.UpdateInput) (app.UpdateResult, error) {
		return app.UpdateResult{BucketID: id, Status: domain.StatusOnline, Latency: 184*time.Millisecond + 900*time.Microsecond}, nil
	}
	res := h.serve(t, apiRequest(http.MethodPut, "/bucket/"+newBucketID, `{"secret": "`+testSecret+`"}`))
	wantStatus(t, res, http.StatusOK)
	wantJSONContentType(t, res)
	wantFields(t, "answer", fieldsOf(t, res.body), "success", "bucketId", "status", "latency_ms")
	var got api.UpdateBucketResponse
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	if want := (api.UpdateBucketResponse{Success: true, BucketId: newBucketID, Status: api.ONLINE, LatencyMs: 184}); got != want {
		t.Errorf("answer = %+v, want %+v", got, want)
	}
	wantNoCredential(t, res.body)
}

func TestUpdateBucketRejectsInvalidFields(t *testing.T) {
	tests := []struct{ name, body, field string }{
		{"empty name", `{"name": ""}`, "name"},
		{"storage type outside the enum", `{"storageType": "FTP"}`, "storageType"},
		{"empty secret", `{"secret": ""}`, "secret"},
		{"workspace id is not a UUID", `{"workspaceId": "ws-1"}`, "workspaceId"},
		{"validation outside the enum", `{"validation": "write"}`, "validation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			res := h.serve(t, apiRequest(http.MethodPut, "/bucket/"+newBucketID, tc.body))
			e := wantError(t, res, http.StatusBadRequest, "INVALID_REQUEST")
			if !strings.Contains(e.Message, `"`+tc.field+`"`) {
				t.Errorf("message %q does not name the field %q", e.Message, tc.field)
			}
			h.wantNoCalls(t)
		})
	}
}

func TestDeleteBucketAnswersSuccess(t *testing.T) {
	h := newHarness(t)
	res := h.serve(t, apiRequest(http.MethodDelete, "/bucket/"+newBucketID, ""))
	wantStatus(t, res, http.StatusOK)
	wantJSONContentType(t, res)
	if body := strings.TrimSpace(string(res.body)); body != `{"success":true}` {
		t.Errorf("body = %s, want {\"success\":true}", body)
	}
	if call := h.buckets.onlyCall(t, "Delete"); call.bucketID != newBucketID || !reflect.DeepEqual(call.principal, testPrincipal) {
		t.Errorf("service deleted %q for %+v", call.bucketID, call.principal)
	}
}

func TestRevalidateBucketPassesTheBodyThrough(t *testing.T) {
	bucket := "other-bucket"
	tests := []struct {
		name, body string
		want       app.RevalidateInput // credentials compared separately
		key        *string
	}{
		// Without a body there is nothing to fill the spec's default into: the service picks it.
		{name: "no body", body: "", want: app.RevalidateInput{}},
		{name: "empty object", body: `{}`, want: app.RevalidateInput{Mode: domain.ValidateReadOnly}},
		{
			name: "bucket and key, as Flashback's client sends them",
			body: `{"bucket": "other-bucket", "key": "` + testKey + `", "walletAddress": "0xabc"}`,
			want: app.RevalidateInput{Bucket: &bucket, Mode: domain.ValidateReadOnly},
			key:  &[]string{testKey}[0],
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			res := h.serve(t, apiRequest(http.MethodPost, "/bucket/"+newBucketID+"/validate", tc.body))
			wantStatus(t, res, http.StatusOK)
			call := h.buckets.onlyCall(t, "Revalidate")
			if call.bucketID != newBucketID {
				t.Errorf("bucket id = %q, want %q", call.bucketID, newBucketID)
			}
			got := call.revalidate
			wantSecret(t, "key", got.Key, tc.key)
			wantSecret(t, "secret", got.Secret, nil)
			got.Key = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("revalidate input = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRevalidateBucketReportsStatusAndChecks(t *testing.T) {
	h := newHarness(t)
	h.buckets.revalidate = func(string, app.RevalidateInput) (app.RevalidateResult, error) {
		return app.RevalidateResult{
			ValidationOutcome: app.ValidationOutcome{
				Report: domain.ValidationReport{
					Checks: []domain.Check{
						{Name: "connect", Status: domain.CheckPass, Message: "reached"},
						{Name: "authenticate", Status: domain.CheckFail, Message: "rejected", ProviderCode: "InvalidAccessKeyId"},
					},
					Latency: 96 * time.Millisecond,
				},
				Failure: domain.Errorf(domain.KindInvalidCredentials, "authenticate: rejected; check the key"),
			},
			Status: domain.StatusOffline,
		}, nil
	}
	res := h.serve(t, apiRequest(http.MethodPost, "/bucket/"+newBucketID+"/validate", ""))
	wantStatus(t, res, http.StatusOK)
	wantJSONContentType(t, res)
	wantFields(t, "answer", fieldsOf(t, res.body), "success", "message", "code", "checks", "latency_ms", "status")
	var got api.RevalidationResult
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Success || got.Status != api.OFFLINE || got.Message != "authenticate: rejected; check the key" ||
		got.Code == nil || *got.Code != "INVALID_CREDENTIALS" || got.LatencyMs != 96 {
		t.Errorf("answer = %s", res.body)
	}
	if len(got.Checks) != 2 || got.Checks[1].Status != api.Fail || got.Checks[1].ProviderCode == nil ||
		*got.Checks[1].ProviderCode != "InvalidAccessKeyId" {
		t.Errorf("checks = %+v", got.Checks)
	}
}

func TestRevalidateBucketRefusesABodyThatIsNotJSON(t *testing.T) {
	h := newHarness(t)
	req := apiRequest(http.MethodPost, "/bucket/"+newBucketID+"/validate", `{"bucket": `)
	wantError(t, h.serve(t, req), http.StatusBadRequest, "INVALID_REQUEST")
	h.wantNoCalls(t)
}

func TestGetQuotaAnswersFlashbacksShape(t *testing.T) {
	tests := []struct {
		quota      domain.Quota
		name, desc string
		percentage string
	}{
		{domain.Quota{Plan: domain.PlanFreeTrial, Used: 3, Limit: 10}, "Free trial", "Up to 10 buckets", "30"},
		{domain.Quota{Plan: domain.PlanTeam, Used: 1, Limit: 3}, "Team", "Up to 3 buckets", "33.33"},
		{domain.Quota{Plan: domain.PlanEnterprise, Used: 2, Limit: 3}, "Enterprise", "Up to 3 buckets", "66.67"},
		{domain.Quota{Plan: domain.PlanTeam, Used: 0, Limit: 0}, "Team", "Up to 0 buckets", "0"},
		{domain.Quota{Plan: "CUSTOM", Used: 12, Limit: 10}, "CUSTOM", "Up to 10 buckets", "120"},
	}
	for _, tc := range tests {
		t.Run(string(tc.quota.Plan)+" "+tc.percentage, func(t *testing.T) {
			h := newHarness(t)
			h.buckets.quota = func() (domain.Quota, error) { return tc.quota, nil }
			res := h.serve(t, apiRequest(http.MethodGet, "/user/quota", ""))
			wantStatus(t, res, http.StatusOK)
			wantJSONContentType(t, res)
			if call := h.buckets.onlyCall(t, "Quota"); !reflect.DeepEqual(call.principal, testPrincipal) {
				t.Errorf("principal = %+v", call.principal)
			}

			// Numbers are compared as written, so 33.33 cannot pass as 33.33000183105469.
			var got map[string]any
			dec := json.NewDecoder(bytes.NewReader(res.body))
			dec.UseNumber()
			if err := dec.Decode(&got); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"success": true,
				"subscription": map[string]any{
					"id": string(tc.quota.Plan), "name": tc.name, "description": tc.desc,
				},
				"quotaUsage": []any{map[string]any{
					"capability": map[string]any{
						"id": "BUCKETS", "code": "BUCKETS", "description": "Registered buckets", "type": "COUNT", "periodType": "ALL_TIME",
					},
					"usage": map[string]any{
						"current":    json.Number(strconv.Itoa(tc.quota.Used)),
						"max":        json.Number(strconv.Itoa(tc.quota.Limit)),
						"percentage": json.Number(tc.percentage),
					},
				}},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("answer = %s\nwant %v", res.body, want)
			}
		})
	}
}

func TestGetQuotaMapsServiceErrors(t *testing.T) {
	h := newHarness(t)
	h.buckets.quota = func() (domain.Quota, error) {
		return domain.Quota{}, domain.Errorf(domain.KindUnavailable, "database unavailable; retry shortly")
	}
	res := h.serve(t, apiRequest(http.MethodGet, "/user/quota", ""))
	wantError(t, res, http.StatusServiceUnavailable, "UNAVAILABLE")
	wantStatusHeaders(t, res)
}
