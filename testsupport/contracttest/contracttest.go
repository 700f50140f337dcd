// Package contracttest holds HTTP answers to the OpenAPI contract in tests, so neither the
// adapter's in-process tests nor the end-to-end tests of the real binary can drift from what
// clients were promised. It is a test helper: import it only from _test.go files.
//
//	checker := contracttest.New(t)
//	httpClient := &http.Client{Transport: checker.RoundTripper(t, http.DefaultTransport)}
package contracttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/bucketd/bucketd/gen/api"
)

// Checker validates answers against the embedded openapi.yaml. It holds no test state, so one
// Checker may serve many tests at once.
type Checker struct {
	spec   *openapi3.T
	router routers.Router
}

// New loads the embedded spec, failing t when it does not load.
func New(t testing.TB) *Checker {
	t.Helper()
	c, err := sharedChecker()
	if err != nil {
		t.Fatalf("contracttest: %v", err)
	}
	return c
}

// sharedChecker loads the spec and builds its router once per test binary: both are read-only
// afterwards, and loading them for every test would dominate the run time.
var sharedChecker = sync.OnceValues(func() (*Checker, error) {
	// kin-openapi decodes JSON and YAML bodies itself; the reference page is checked as text.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
	spec, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load spec: %w", err)
	}
	spec.Servers = nil // match any host, as the server's validator does
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		return nil, fmt.Errorf("build spec router: %w", err)
	}
	return &Checker{spec: spec, router: router}, nil
})

// Check validates status, headers and body against the response the spec documents for the
// request's operation; an undocumented status fails. A request that matches no operation must
// have been answered 404 or 405 with the Error schema. It reports through t.Errorf only, so it
// is safe to call from any goroutine.
func (c *Checker) Check(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if err := c.validate(req, status, header, body); err != nil {
		t.Errorf("%s %s answered %d outside the contract: %v\nbody: %s", req.Method, req.URL.Path, status, err, body)
	}
}

// CheckUndocumented is for a status the server can produce for an operation whose spec does not
// list it. It fails once the spec documents the status, so the exemption cannot outlive its
// reason, and still holds the body to the Error schema.
func (c *Checker) CheckUndocumented(t testing.TB, req *http.Request, status int, body []byte) {
	t.Helper()
	route, _, err := c.router.FindRoute(req)
	if err != nil {
		t.Errorf("find route of %s %s: %v", req.Method, req.URL.Path, err)
		return
	}
	if route.Operation.Responses.Status(status) != nil {
		t.Errorf("the spec now documents %d for %s %s; check it with Check", status, req.Method, req.URL.Path)
	}
	if err := c.validateErrorBody(body); err != nil {
		t.Errorf("%s %s answered %d: %v\nbody: %s", req.Method, req.URL.Path, status, err, body)
	}
}

// RoundTripper returns a transport that sends requests through base (http.DefaultTransport when
// nil) and checks every response it carries, so a client built on it cannot see an answer the
// contract does not allow without failing t. The response body is read in full and handed on
// unchanged.
func (c *Checker) RoundTripper(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &checkingTransport{t: t, checker: c, base: base}
}

type checkingTransport struct {
	t       testing.TB
	checker *Checker
	base    http.RoundTripper
}

func (ct *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := ct.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("contracttest: read response body of %s %s: %w", req.Method, req.URL.Path, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ct.checker.Check(ct.t, req, resp.StatusCode, resp.Header, body)
	return resp, nil
}

// isPreflight reports whether req is a browser's CORS preflight, which the protocol answers
// rather than an operation.
func isPreflight(req *http.Request) bool {
	return req.Method == http.MethodOptions && req.Header.Get("Origin") != "" && req.Header.Get("Access-Control-Request-Method") != ""
}

// validate returns why the answer breaks the contract, or nil.
func (c *Checker) validate(req *http.Request, status int, header http.Header, body []byte) error {
	route, _, err := c.router.FindRoute(req)
	if err != nil {
		if !errors.Is(err, routers.ErrPathNotFound) && !errors.Is(err, routers.ErrMethodNotAllowed) {
			return fmt.Errorf("find route: %w", err)
		}
		// 501 is the answer the spec's description promises to Flashback's routes that bucketd
		// does not serve, which no operation describes.
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed && status != http.StatusNotImplemented {
			if isPreflight(req) && status == http.StatusNoContent && len(body) == 0 {
				return nil
			}
			return errors.New("the request matches no operation, so only 404, 405 or 501 may answer it, or 204 a CORS preflight")
		}
		return c.validateErrorBody(body)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// validateErrorBody checks body against components/schemas/Error.
func (c *Checker) validateErrorBody(body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body is not JSON: %w", err)
	}
	if err := c.spec.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
		return fmt.Errorf("body does not match the Error schema: %w", err)
	}
	return nil
}
