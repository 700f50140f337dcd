// Package fakegcs runs a Google Cloud Storage stand-in on 127.0.0.1 for tests. It is a test
// helper: import it only from _test.go files.
//
// fake-gcs-server (in-process, no listener of its own) serves the JSON API, but it checks no
// credentials, keeps one location for every bucket and does not implement testIamPermissions.
// A thin layer in front of it does what Google does there: the API accepts a self-signed JWT
// (signed with the key of a service account the test registered, naming that key, and scoped)
// as the bearer, and the token endpoint issues access tokens for JWT assertions signed with
// such a key (the OAuth 2.0 JWT-bearer grant); the API refuses any other caller with Google's
// 401, and any request its scopes do not cover with Google's 403. It reports each bucket's own
// location, and answers buckets.get and testIamPermissions from the permissions the test
// granted the caller's service account. Like Google, it lists each account's public keys, by
// key id, without authentication (CertsURL). So the real client-email-plus-private-key paths
// run end to end without reaching Google. Other Google APIs' stand-ins (iampeer's IAM
// Credentials) authenticate their callers with TokenInfo and mint tokens for keyless accounts
// (NewKeylessServiceAccount) with IssueToken, which the API then accepts.
package fakegcs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// tokenPath is where the OAuth token endpoint listens.
const tokenPath = "/token"

// Server is a running GCS stand-in. Every bucket and service account a test needs is made
// through its methods; nothing is shared between servers.
type Server struct {
	// URL is the API endpoint, http://127.0.0.1:PORT: give it as a target's endpoint (the
	// JSON API lives under /storage/v1/ as at Google).
	URL string
	// TokenURL is the OAuth token endpoint that trades signed JWT assertions for access tokens
	// (self-signed JWTs need none).
	TokenURL string
	// CertsURL is the base URL of the public key lists: CertsURL + client email answers, as
	// https://www.googleapis.com/service_accounts/v1/metadata/jwk/ + client email does, with
	// the account's enabled keys as a JSON Web Key Set.
	CertsURL string

	gcs *fakestorage.Server

	mu        sync.Mutex
	accounts  map[string]*account // by client email
	tokens    map[string]grant    // by access token
	locations map[string]string   // bucket name -> location
	requests  []string
}

// Start runs a server for the duration of t and stops it in t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	gcs, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true})
	if err != nil {
		t.Fatalf("fakegcs: start fake-gcs-server: %v", err)
	}
	t.Cleanup(gcs.Stop)
	s := &Server{
		gcs:       gcs,
		accounts:  make(map[string]*account),
		tokens:    make(map[string]grant),
		locations: make(map[string]string),
	}
	api := s.api(gcs.HTTPHandler())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		switch {
		case r.URL.Path == tokenPath:
			s.issueToken(w, r)
		case strings.HasPrefix(r.URL.Path, keyListPath):
			s.serveKeyList(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	s.TokenURL = srv.URL + tokenPath
	s.CertsURL = srv.URL + keyListPath
	return s
}

// CreateBucket creates an empty bucket that reports location (e.g. "US", "EU", "US-EAST1").
func (s *Server) CreateBucket(t testing.TB, name, location string) {
	t.Helper()
	body := strings.NewReader(`{"name":"` + name + `"}`)
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/storage/v1/b?project=fakegcs", body)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.gcs.HTTPHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("fakegcs: create bucket %s: %d %s", name, rec.Code, rec.Body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locations[name] = location
}

// PutObject stores data as object name in bucket, which must exist.
func (s *Server) PutObject(t testing.TB, bucket, name string, data []byte) {
	t.Helper()
	if !s.bucketExists(bucket) {
		t.Fatalf("fakegcs: put %s/%s: no such bucket; create it first", bucket, name)
	}
	obj := fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: name}, Content: data}
	if err := s.gcs.CreateObjectStreaming(obj.StreamingObject()); err != nil {
		t.Fatalf("fakegcs: put %s/%s: %v", bucket, name, err)
	}
}

// Objects lists the names of every object in bucket, so tests can prove what it holds.
func (s *Server) Objects(t testing.TB, bucket string) []string {
	t.Helper()
	resp, err := s.gcs.ListObjectsWithOptionsPaginated(bucket, fakestorage.ListOptions{})
	if err != nil {
		t.Fatalf("fakegcs: list %s: %v", bucket, err)
	}
	names := make([]string, 0, len(resp.Objects))
	for _, o := range resp.Objects {
		names = append(names, o.Name)
	}
	return names
}

// Requests returns every request served so far as "METHOD /path", in arrival order: API
// requests, token requests ("POST /token") and key list requests ("GET
// /service_accounts/v1/metadata/jwk/{client_email}"), so tests can prove a check had no side
// effects and count what it asked.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *Server) bucketExists(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.locations[name]
	return ok
}
