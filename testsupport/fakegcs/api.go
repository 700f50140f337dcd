package fakegcs

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
)

// bucketsPrefix starts the JSON API path of a bucket: /storage/v1/b/{bucket}[/...].
const bucketsPrefix = "/storage/v1/b/"

// api wraps fake-gcs-server with what Google does and it does not: it refuses callers without
// a valid self-signed JWT or an access token issued here, refuses requests their scopes do not
// cover, and answers buckets.get and testIamPermissions from the caller's permissions and each
// bucket's own location.
func (s *Server) api(gcs http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, ok := s.caller(r)
		if !ok {
			return401(w, r)
			return
		}
		if !g.allows(r.Method) {
			writeAPIError(w, http.StatusForbidden, "forbidden", "Provided scope(s) are not authorized")
			return
		}
		acct := g.acct
		bucket, rest, isBucket := bucketRoute(r.URL.Path)
		switch {
		case isBucket && r.Method == http.MethodGet && rest == "iam/testPermissions":
			s.testPermissions(w, r, acct, bucket)
		case isBucket && r.Method == http.MethodGet && rest == "":
			s.getBucket(w, r, acct, bucket, gcs)
		default:
			gcs.ServeHTTP(w, r)
		}
	})
}

// bucketRoute splits /storage/v1/b/{bucket}[/rest] into the bucket and the rest.
func bucketRoute(path string) (bucket, rest string, ok bool) {
	tail, ok := strings.CutPrefix(path, bucketsPrefix)
	if !ok {
		return "", "", false
	}
	bucket, rest, _ = strings.Cut(tail, "/")
	return bucket, rest, bucket != ""
}

// caller returns what the request's bearer may do: the grant of an access token issued here,
// or of a valid self-signed JWT, which the API verifies itself as Google's does.
func (s *Server) caller(r *http.Request) (grant, bool) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return grant{}, false
	}
	s.mu.Lock()
	g, issued := s.tokens[bearer]
	s.mu.Unlock()
	if issued {
		return g, true
	}
	g, code, _ := s.verifyJWT(bearer, jwtUse{audiences: []string{"", storageAudience}, selfSigned: true})
	return g, code == ""
}

// return401 answers as Google does a request without valid credentials, whatever is wrong with
// them: an unknown, disabled or deleted key, a bad signature or claim, an unknown account.
func return401(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
	if r.Header.Get("Authorization") == "" {
		writeAPIError(w, http.StatusUnauthorized, "required",
			"Anonymous caller does not have storage.buckets.get access to the Google Cloud Storage bucket.")
		return
	}
	writeAPIError(w, http.StatusUnauthorized, "authError", "Invalid Credentials")
}

// getBucket serves buckets.get: 404 for an unknown bucket, 403 without storage.buckets.get, and
// otherwise fake-gcs-server's answer with the bucket's own location.
func (s *Server) getBucket(w http.ResponseWriter, r *http.Request, acct *account, bucket string, gcs http.Handler) {
	s.mu.Lock()
	location, exists := s.locations[bucket]
	s.mu.Unlock()
	if !exists {
		writeAPIError(w, http.StatusNotFound, "notFound", "The specified bucket does not exist.")
		return
	}
	if len(acct.granted([]string{"storage.buckets.get"})) == 0 {
		writeAPIError(w, http.StatusForbidden, "forbidden", acct.email+
			" does not have storage.buckets.get access to the Google Cloud Storage bucket. Permission 'storage.buckets.get' denied on resource (or it may not exist).")
		return
	}
	rec := httptest.NewRecorder()
	gcs.ServeHTTP(rec, r)
	var attrs map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &attrs) != nil {
		writeAPIError(w, http.StatusInternalServerError, "backendError", "fake-gcs-server answered buckets.get with "+rec.Body.String())
		return
	}
	attrs["location"] = location
	writeJSON(w, http.StatusOK, attrs)
}

// testPermissions serves testIamPermissions, which fake-gcs-server lacks: the permissions
// asked for that the caller holds.
func (s *Server) testPermissions(w http.ResponseWriter, r *http.Request, acct *account, bucket string) {
	if !s.bucketExists(bucket) {
		writeAPIError(w, http.StatusNotFound, "notFound", "The specified bucket does not exist.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind":        "storage#testIamPermissionsResponse",
		"permissions": acct.granted(r.URL.Query()["permissions"]),
	})
}

// writeAPIError writes the JSON API's error body.
func writeAPIError(w http.ResponseWriter, status int, reason, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code":    status,
		"message": message,
		"errors":  []map[string]string{{"message": message, "domain": "global", "reason": reason}},
	}})
}
