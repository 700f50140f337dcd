package iampeer_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/fakegcs"
	"github.com/bucketd/bucketd/testsupport/iampeer"
)

const (
	callerEmail = "bucketd@ops.iam.gserviceaccount.com"
	targetEmail = "reader@customer.iam.gserviceaccount.com"
	ghostEmail  = "ghost@customer.iam.gserviceaccount.com"
	readOnly    = "https://www.googleapis.com/auth/devstorage.read_only"
	platform    = "https://www.googleapis.com/auth/cloud-platform"
)

// world is a fake GCS with a caller and a keyless target that may read bucket "data", and an
// IAM Credentials peer on it where the caller may impersonate the target.
type world struct {
	gcs  *fakegcs.Server
	iam  *iampeer.Peer
	auth string // the caller's access token, as the token endpoint issues it
}

func newWorld(t *testing.T) world {
	t.Helper()
	gcs := fakegcs.Start(t)
	gcs.NewServiceAccount(t, callerEmail)
	gcs.NewKeylessServiceAccount(t, targetEmail, "storage.buckets.get", "storage.objects.list", "storage.objects.get")
	gcs.CreateBucket(t, "data", "EU")
	iam := iampeer.Start(t, gcs)
	iam.Allow(callerEmail, targetEmail)
	iam.Allow(callerEmail, ghostEmail) // a grant on an account since deleted
	auth, _ := gcs.IssueToken(callerEmail, []string{platform})
	return world{gcs: gcs, iam: iam, auth: auth}
}

// send sends a request with bearer and returns its status and body.
func send(t *testing.T, method, url, bearer, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// generate calls generateAccessToken for account with body, as bearer, and returns the status
// and decoded answer.
func (w world) generate(t *testing.T, bearer, account, body string) (int, map[string]any) {
	t.Helper()
	status, raw := send(t, http.MethodPost, w.iam.URL+"/v1/projects/-/serviceAccounts/"+account+":generateAccessToken", bearer, body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return status, out
}

// apiStatus is the fake GCS API's status for method on path with bearer.
func (w world) apiStatus(t *testing.T, method, path, bearer string) int {
	t.Helper()
	status, _ := send(t, method, w.gcs.URL+path, bearer, "")
	return status
}

func TestMintedTokenActsAsTheTargetWithinItsScope(t *testing.T) {
	w := newWorld(t)
	before := time.Now()
	status, out := w.generate(t, w.auth, targetEmail, `{"scope":["`+readOnly+`"],"lifetime":"900s"}`)
	if status != http.StatusOK {
		t.Fatalf("generateAccessToken: %d %v", status, out)
	}
	token, _ := out["accessToken"].(string)
	expiry, err := time.Parse(time.RFC3339, out["expireTime"].(string))
	if token == "" || err != nil {
		t.Fatalf("answer %v lacks a token or an RFC 3339 expireTime", out)
	}
	if d := expiry.Sub(before); d < 899*time.Second || d > 901*time.Second {
		t.Errorf("the token expires %s after the request, want the 900s asked for", d)
	}
	email, scopes, ok := w.gcs.TokenInfo(token)
	if !ok || email != targetEmail || len(scopes) != 1 || scopes[0] != readOnly {
		t.Errorf("the fake GCS knows the minted token as %q %v (known %v), want %s with %s alone", email, scopes, ok, targetEmail, readOnly)
	}
	if got := w.apiStatus(t, http.MethodGet, "/storage/v1/b/data", token); got != http.StatusOK {
		t.Errorf("buckets.get with the minted token: %d, want 200", got)
	}
	if got := w.apiStatus(t, http.MethodDelete, "/storage/v1/b/data/o/x", token); got != http.StatusForbidden {
		t.Errorf("a delete with a read-only minted token: %d, want 403", got)
	}
	mints := w.iam.Mints()
	if len(mints) != 1 || mints[0].Caller != callerEmail || mints[0].Target != targetEmail || mints[0].Lifetime != 900*time.Second {
		t.Errorf("mints %+v, want the one of %s for %s, 900s", mints, callerEmail, targetEmail)
	}
}

func TestRefusalsAreGooglesErrors(t *testing.T) {
	w := newWorld(t)
	narrow, _ := w.gcs.IssueToken(callerEmail, []string{readOnly})
	stranger := "stranger@ops.iam.gserviceaccount.com"
	w.gcs.NewServiceAccount(t, stranger)
	strangerAuth, _ := w.gcs.IssueToken(stranger, []string{platform})
	good := `{"scope":["` + readOnly + `"]}`
	for _, tc := range []struct {
		name, bearer, account, body string
		status                      int
		googleStatus, reason        string
	}{
		{"no valid bearer", "ya29.forged", targetEmail, good, 401, "UNAUTHENTICATED", ""},
		{"bearer without the cloud-platform scope", narrow, targetEmail, good, 403, "PERMISSION_DENIED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"},
		{"caller without the role", strangerAuth, targetEmail, good, 403, "PERMISSION_DENIED", "IAM_PERMISSION_DENIED"},
		{"no role on an unknown account", strangerAuth, ghostEmail, good, 403, "PERMISSION_DENIED", "IAM_PERMISSION_DENIED"},
		{"role on an unknown account", w.auth, ghostEmail, good, 404, "NOT_FOUND", ""},
		{"malformed account", w.auth, "not an email", good, 400, "INVALID_ARGUMENT", ""},
		{"no scope", w.auth, targetEmail, `{"lifetime":"900s"}`, 400, "INVALID_ARGUMENT", ""},
		{"lifetime over an hour", w.auth, targetEmail, `{"scope":["` + readOnly + `"],"lifetime":"7200s"}`, 400, "INVALID_ARGUMENT", ""},
		{"body not JSON", w.auth, targetEmail, `scope=x`, 400, "INVALID_ARGUMENT", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := w.generate(t, tc.bearer, strings.ReplaceAll(tc.account, " ", "%20"), tc.body)
			e, _ := out["error"].(map[string]any)
			if status != tc.status || e == nil || e["status"] != tc.googleStatus || e["code"] != float64(tc.status) {
				t.Fatalf("got %d %v, want %d %s", status, out, tc.status, tc.googleStatus)
			}
			if tc.reason != "" && !strings.Contains(mustJSON(t, e["details"]), `"reason":"`+tc.reason+`"`) {
				t.Errorf("details %v, want reason %s", e["details"], tc.reason)
			}
		})
	}
	if mints := w.iam.Mints(); len(mints) != 0 {
		t.Errorf("refused requests minted %+v", mints)
	}
}

func TestRevokedTokensNoLongerReachTheAPI(t *testing.T) {
	w := newWorld(t)
	_, out := w.generate(t, w.auth, targetEmail, `{"scope":["`+readOnly+`"]}`)
	token, _ := out["accessToken"].(string)
	w.gcs.RevokeTokens(targetEmail)
	if got := w.apiStatus(t, http.MethodGet, "/storage/v1/b/data", token); got != http.StatusUnauthorized {
		t.Errorf("buckets.get with a revoked token: %d, want 401", got)
	}
	if _, _, ok := w.gcs.TokenInfo(w.auth); !ok {
		t.Error("revoking the target's tokens revoked the caller's too")
	}
}

func TestRevokedGrantRefusesTheNextMintOnly(t *testing.T) {
	w := newWorld(t)
	body := `{"scope":["` + readOnly + `"]}`
	_, out := w.generate(t, w.auth, targetEmail, body)
	before, _ := out["accessToken"].(string)
	w.iam.Revoke(callerEmail, targetEmail)
	if status, out := w.generate(t, w.auth, targetEmail, body); status != http.StatusForbidden || !strings.Contains(mustJSON(t, out), "IAM_PERMISSION_DENIED") {
		t.Errorf("a mint after the grant was revoked: %d %v, want 403 IAM_PERMISSION_DENIED", status, out)
	}
	if got := w.apiStatus(t, http.MethodGet, "/storage/v1/b/data", before); got != http.StatusOK {
		t.Errorf("buckets.get with a token minted before the revocation: %d, want 200 until it expires", got)
	}
	w.iam.Allow(callerEmail, targetEmail)
	if status, out := w.generate(t, w.auth, targetEmail, body); status != http.StatusOK {
		t.Errorf("a mint after the grant was given back: %d %v, want 200", status, out)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
