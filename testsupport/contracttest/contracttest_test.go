package contracttest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/testsupport/contracttest"
)

const bucketID = "0192f7a5-0e1f-7a2b-8c3d-4e5f60718293"

// failureRecorder is a testing.TB that notes failures instead of reporting them, so the checker
// itself can be shown to fail. The checker reports only through Errorf.
type failureRecorder struct {
	testing.TB

	mu     sync.Mutex
	failed bool
}

func (r *failureRecorder) Helper() {}

func (r *failureRecorder) Errorf(string, ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}

func (r *failureRecorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// answer is a canned HTTP answer.
type answer struct {
	status int
	header http.Header
	body   string
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// driftCases pair answers with whether the contract must reject them.
var driftCases = []struct {
	name   string
	method string
	path   string
	answer answer
	fails  bool
}{
	{"valid success", http.MethodPost, "/bucket", answer{200, jsonHeader, `{"success":true,"bucketId":"` + bucketID + `"}`}, false},
	{"valid error", http.MethodPost, "/bucket", answer{409, jsonHeader, `{"success":false,"message":"m","code":"NAME_ALREADY_USED"}`}, false},
	{"valid readiness", http.MethodGet, "/readyz", answer{200, jsonHeader, `{"success":true,"status":"ready"}`}, false},
	{"success without bucketId", http.MethodPost, "/bucket", answer{200, jsonHeader, `{"success":true}`}, true},
	{"bucketId not a UUID", http.MethodPost, "/bucket", answer{200, jsonHeader, `{"success":true,"bucketId":"b-1"}`}, true},
	{"error without code", http.MethodPost, "/bucket", answer{400, jsonHeader, `{"success":false,"message":"m"}`}, true},
	{"undocumented status", http.MethodPost, "/bucket", answer{418, jsonHeader, `{"success":false,"message":"m","code":"TEAPOT"}`}, true},
	{"not JSON", http.MethodPost, "/bucket", answer{400, http.Header{"Content-Type": {"text/plain"}}, `bad`}, true},
	{"unknown route answered 404", http.MethodGet, "/nope", answer{404, jsonHeader, `{"success":false,"message":"m","code":"NOT_FOUND"}`}, false},
	{"unknown route answered 200", http.MethodGet, "/nope", answer{200, jsonHeader, `{}`}, true},
	{"unknown route without code", http.MethodGet, "/nope", answer{404, jsonHeader, `{"success":false,"message":"m"}`}, true},
	{"unknown route not JSON", http.MethodGet, "/nope", answer{404, http.Header{"Content-Type": {"text/plain"}}, `404 page not found`}, true},
}

func TestCheckRejectsDrift(t *testing.T) {
	c := contracttest.New(t)
	for _, tc := range driftCases {
		t.Run(tc.name, func(t *testing.T) {
			r := &failureRecorder{TB: t}
			req := httptest.NewRequest(tc.method, tc.path, nil)
			c.Check(r, req, tc.answer.status, tc.answer.header, []byte(tc.answer.body))
			if r.Failed() != tc.fails {
				t.Errorf("Check failed = %v, want %v", r.Failed(), tc.fails)
			}
		})
	}
}

func TestRoundTripperChecksEveryResponse(t *testing.T) {
	c := contracttest.New(t)
	for _, tc := range driftCases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tc.answer.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tc.answer.status)
				_, _ = io.WriteString(w, tc.answer.body)
			}))
			defer srv.Close()
			r := &failureRecorder{TB: t}
			client := &http.Client{Transport: c.RoundTripper(r, srv.Client().Transport)}
			req, err := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.method, tc.path, err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("read body: %v", err)
			}
			if string(body) != tc.answer.body || resp.StatusCode != tc.answer.status {
				t.Errorf("client got %d %q, want the server's %d %q untouched", resp.StatusCode, body, tc.answer.status, tc.answer.body)
			}
			if r.Failed() != tc.fails {
				t.Errorf("check failed = %v, want %v", r.Failed(), tc.fails)
			}
		})
	}
}

func TestCheckUndocumented(t *testing.T) {
	c := contracttest.New(t)
	notFound := `{"success":false,"message":"m","code":"NOT_FOUND"}`
	tests := []struct {
		name   string
		status int
		body   string
		fails  bool
	}{
		{"undocumented status with an Error body", 404, notFound, false},
		{"undocumented status without code", 404, `{"success":false,"message":"m"}`, true},
		{"status the spec documents", 409, `{"success":false,"message":"m","code":"NAME_ALREADY_USED"}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &failureRecorder{TB: t}
			c.CheckUndocumented(r, httptest.NewRequest(http.MethodPost, "/bucket", strings.NewReader("{}")), tc.status, []byte(tc.body))
			if r.Failed() != tc.fails {
				t.Errorf("CheckUndocumented failed = %v, want %v", r.Failed(), tc.fails)
			}
		})
	}
}
