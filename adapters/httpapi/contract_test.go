package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// contract checks answers against the embedded OpenAPI spec, so the adapter cannot drift from
// what clients were promised.
type contract struct {
	spec   *openapi3.T
	router routers.Router
}

func newContract(t testing.TB) *contract {
	t.Helper()
	spec, err := api.GetSpec()
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	spec.Servers = nil // match any host, as the server's validator does
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		t.Fatalf("build spec router: %v", err)
	}
	return &contract{spec: spec, router: router}
}

// check validates status, headers and body against the response the spec documents for the
// request's operation; an undocumented status fails. A request that matches no operation must
// have been answered 404 or 405 with the Error schema.
func (c *contract) check(t testing.TB, req *http.Request, res response) {
	t.Helper()
	route, _, err := c.router.FindRoute(req)
	if err != nil {
		if !errors.Is(err, routers.ErrPathNotFound) && !errors.Is(err, routers.ErrMethodNotAllowed) {
			t.Fatalf("find route of %s %s: %v", req.Method, req.URL.Path, err)
		}
		if res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s matches no operation but was answered %d", req.Method, req.URL.Path, res.status)
		}
		c.checkErrorSchema(t, res)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
		Status:                 res.status,
		Header:                 res.header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(res.body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d outside the contract: %v\nbody: %s", req.Method, req.URL.Path, res.status, err, res.body)
	}
}

// checkUndocumented is for a status the adapter can produce for an operation whose spec does not
// list it. It fails once the spec documents the status, so the exemption cannot outlive its
// reason, and still holds the body to the Error schema.
func (c *contract) checkUndocumented(t testing.TB, req *http.Request, res response) {
	t.Helper()
	route, _, err := c.router.FindRoute(req)
	if err != nil {
		t.Fatalf("find route of %s %s: %v", req.Method, req.URL.Path, err)
	}
	if route.Operation.Responses.Status(res.status) != nil {
		t.Errorf("the spec now documents %d for %s %s; check it with contract.check", res.status, req.Method, req.URL.Path)
	}
	c.checkErrorSchema(t, res)
}

// checkErrorSchema validates the body against components/schemas/Error.
func (c *contract) checkErrorSchema(t testing.TB, res response) {
	t.Helper()
	var body any
	if err := json.Unmarshal(res.body, &body); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, res.body)
	}
	if err := c.spec.Components.Schemas["Error"].Value.VisitJSON(body); err != nil {
		t.Errorf("body does not match the Error schema: %v\nbody: %s", err, res.body)
	}
}

// failureRecorder is a testing.TB that notes failures instead of reporting them, so the contract
// checker itself can be shown to fail.
type failureRecorder struct {
	testing.TB
	failed bool
}

// errFatal stops the checked code at a Fatalf, as testing.T's Fatalf would.
var errFatal = errors.New("fatal")

func (r *failureRecorder) Helper()               {}
func (r *failureRecorder) Errorf(string, ...any) { r.failed = true }
func (r *failureRecorder) Fatalf(string, ...any) { r.failed = true; panic(errFatal) }

// fails reports whether check records a failure.
func fails(t *testing.T, check func(testing.TB)) (failed bool) {
	r := &failureRecorder{TB: t}
	defer func() {
		if v := recover(); v != nil && v != errFatal {
			panic(v)
		}
		failed = r.failed
	}()
	check(r)
	return r.failed
}

func TestContractCheckRejectsDrift(t *testing.T) {
	c := newContract(t)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	create := httptest.NewRequest(http.MethodPost, "/bucket", nil)
	tests := []struct {
		name  string
		req   *http.Request
		res   response
		fails bool
	}{
		{"valid success", create, response{200, jsonHeader, []byte(`{"success":true,"bucketId":"` + newBucketID + `"}`)}, false},
		{"valid error", create, response{409, jsonHeader, []byte(`{"success":false,"message":"m","code":"NAME_ALREADY_USED"}`)}, false},
		{"success without bucketId", create, response{200, jsonHeader, []byte(`{"success":true}`)}, true},
		{"bucketId not a UUID", create, response{200, jsonHeader, []byte(`{"success":true,"bucketId":"b-1"}`)}, true},
		{"error without code", create, response{400, jsonHeader, []byte(`{"success":false,"message":"m"}`)}, true},
		{"undocumented status", create, response{418, jsonHeader, []byte(`{"success":false,"message":"m","code":"TEAPOT"}`)}, true},
		{"not JSON", create, response{400, http.Header{"Content-Type": {"text/plain"}}, []byte(`bad`)}, true},
		{"unknown route answered 200", httptest.NewRequest(http.MethodGet, "/nope", nil), response{200, jsonHeader, []byte(`{}`)}, true},
		{"unknown route without code", httptest.NewRequest(http.MethodGet, "/nope", nil), response{404, jsonHeader, []byte(`{"success":false,"message":"m"}`)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fails(t, func(tb testing.TB) { c.check(tb, tc.req, tc.res) }); got != tc.fails {
				t.Errorf("check failed = %v, want %v", got, tc.fails)
			}
		})
	}
}
