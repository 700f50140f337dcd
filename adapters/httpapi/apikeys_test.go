package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
)

// fakeCredentials records the /apikeys calls and answers with stored or err.
type fakeCredentials struct {
	mu      sync.Mutex
	created []app.CredentialInput
	updated []app.CredentialUpdate
	listed  []app.CredentialListInput
	deleted []string
	stored  []domain.StoredCredential
	err     error
}

func (f *fakeCredentials) ListCredentials(_ context.Context, _ domain.Principal, in app.CredentialListInput) ([]domain.StoredCredential, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listed = append(f.listed, in)
	return f.stored, f.err
}

func (f *fakeCredentials) CreateCredential(_ context.Context, _ domain.Principal, in app.CredentialInput) (domain.StoredCredential, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, in)
	return domain.StoredCredential{ID: apiKeyID}, f.err
}

func (f *fakeCredentials) UpdateCredential(_ context.Context, _ domain.Principal, _ string, in app.CredentialUpdate) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updated = append(f.updated, in)
	return f.err
}

func (f *fakeCredentials) DeleteCredential(_ context.Context, _ domain.Principal, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, id)
	return f.err
}

const apiKeyID = "0192f7a6-1a2b-7c3d-8e4f-506172839405"

// TestListApiKeysShowsHintsNeverSecrets checks GET /apikeys against the contract: the key is
// its hint, the secret appears nowhere, and the filters reach the use case.
func TestListApiKeysShowsHintsNeverSecrets(t *testing.T) {
	h := newHarness(t)
	at := time.Date(2026, 11, 26, 22, 10, 24, 0, time.UTC)
	h.apiKeys.stored = []domain.StoredCredential{{ID: apiKeyID, WorkspaceID: workspaceID, StorageType: domain.StorageS3,
		ProviderSpelling: "AWS", Kind: domain.CredentialKeySecret, KeyHint: "AKIA…MPLE", SecretVersion: 2, BucketCount: 3,
		SealedKey: []byte(testKey), SealedSecret: []byte(testSecret), CreatedAt: at, UpdatedAt: at}}

	res := h.serve(t, apiRequest(http.MethodGet, "/apikeys?workspaceId="+workspaceID+"&provider=AWS&capability=1", ""))

	wantStatus(t, res, http.StatusOK)
	var got api.ApiKeyList
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.ApiKeys) != 1 || got.ApiKeys[0].Key != "AKIA…MPLE" || got.ApiKeys[0].BucketCount != 3 || got.ApiKeys[0].Provider != "AWS" {
		t.Fatalf("answer = %s", res.body)
	}
	if strings.Contains(string(res.body), testSecret) || strings.Contains(string(res.body), testKey) {
		t.Fatalf("answer shows a credential: %s", res.body)
	}
	if in := h.apiKeys.listed[0]; in.WorkspaceID != workspaceID || in.Provider != "AWS" {
		t.Errorf("list input = %+v", in)
	}

	res = h.serve(t, apiRequest(http.MethodGet, "/apikeys?capability=2", ""))
	wantStatus(t, res, http.StatusOK)
	if err := json.Unmarshal(res.body, &got); err != nil || len(got.ApiKeys) != 0 {
		t.Errorf("an AI-only capability listed %s; want none: every API key here is a storage credential", res.body)
	}
}

// TestCreateApiKeyPassesBucketdExtensions checks that kind and sessionToken reach the use case
// and that secret is optional in the contract.
func TestCreateApiKeyPassesBucketdExtensions(t *testing.T) {
	h := newHarness(t)
	body := `{"provider":"AWS","key":"` + testKey + `","secret":"` + testSecret + `","kind":"AWS_SESSION","sessionToken":"tok-en",` +
		`"workspaceId":"` + workspaceID + `","subscriptionId":"ignored"}`

	res := h.serve(t, apiRequest(http.MethodPost, "/apikeys", body))

	wantStatus(t, res, http.StatusOK)
	var got api.CreateApiKeyResponse
	if err := json.Unmarshal(res.body, &got); err != nil || !got.Success || got.ApiKeyId != apiKeyID {
		t.Fatalf("answer = %s", res.body)
	}
	in := h.apiKeys.created[0]
	if in.Kind != "AWS_SESSION" || in.SessionToken.Reveal() != "tok-en" || in.Secret.Reveal() != testSecret || in.Provider != "AWS" {
		t.Errorf("input = %+v", in)
	}
}

// TestUpdateApiKeyRefusedRotationListsBuckets checks the 409 of a refused rotation: the code,
// and each bucket with its own code and reason.
func TestUpdateApiKeyRefusedRotationListsBuckets(t *testing.T) {
	h := newHarness(t)
	h.apiKeys.err = &app.RotationRefused{CredentialID: apiKeyID, Failures: []app.RotationFailure{
		{BucketID: newBucketID, Name: "Backups", Failure: domain.Errorf(domain.KindInvalidCredentials, "authenticate: the secret does not match")},
	}}

	res := h.serve(t, apiRequest(http.MethodPut, "/apikeys/"+apiKeyID, `{"secret":"new-secret-value"}`))

	wantStatus(t, res, http.StatusConflict)
	var got api.RotationRefused
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Code != "ROTATION_REFUSED" || got.FailedBuckets == nil || len(*got.FailedBuckets) != 1 {
		t.Fatalf("answer = %s", res.body)
	}
	if f := (*got.FailedBuckets)[0]; f.BucketId != newBucketID || f.Code != "INVALID_CREDENTIALS" || f.Name != "Backups" {
		t.Errorf("failure = %+v", f)
	}
	if strings.Contains(string(res.body), "new-secret-value") {
		t.Errorf("answer shows the secret: %s", res.body)
	}
}

// TestDeleteApiKeyInUseIsConflict checks the 409 CREDENTIAL_IN_USE of a credential in use.
func TestDeleteApiKeyInUseIsConflict(t *testing.T) {
	h := newHarness(t)
	h.apiKeys.err = domain.Errorf(domain.KindCredentialInUse, "API key is used by 2 bucket(s)")

	res := h.serve(t, apiRequest(http.MethodDelete, "/apikeys/"+apiKeyID, ""))

	wantError(t, res, http.StatusConflict, "CREDENTIAL_IN_USE")
}

// TestCreateBucketPassesApiKeyUuid checks that a bucket by reference needs no key or secret in
// the contract and that apiKeyUuid reaches the use case.
func TestCreateBucketPassesApiKeyUuid(t *testing.T) {
	h := newHarness(t)
	req := validRequest()
	delete(req, "key")
	delete(req, "secret")
	req["apiKeyUuid"] = apiKeyID

	res := h.serve(t, createRequest(strings.NewReader(mustJSON(t, req))))

	wantStatus(t, res, http.StatusOK)
	calls := h.buckets.received()
	if len(calls) != 1 || calls[0].cmd.APIKeyID != apiKeyID || !calls[0].cmd.Key.IsZero() {
		t.Fatalf("calls = %+v; want one create with apiKeyUuid and no key", calls)
	}
}
