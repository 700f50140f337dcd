package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// createBody is the body of a typical POST /bucket: every documented member, once.
const createBody = `{"name":"My S3 Bucket","bucket":"my-bucket-name","storageType":"S3","key":"AKIAIOSFODNN7EXAMPLE",` +
	`"secret":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","region":"us-east-1","endpoint":"https://minio.example.com",` +
	`"workspaceId":"0192f7a4-5b6c-7d8e-9f01-23456789abcd"}`

// nested is n objects, each the only member of the one around it: valid JSON as deep as n.
func nested(n int) string {
	return strings.Repeat(`{"a":`, n-1) + "{}" + strings.Repeat("}", n-1)
}

// createSchema is the schema the validator hands the decoder for a POST /bucket body.
func createSchema(b *testing.B) *openapi3.SchemaRef {
	b.Helper()
	spec, err := embeddedSpec()
	if err != nil {
		b.Fatal(err)
	}
	return spec.Paths.Find("/bucket").Post.RequestBody.Value.Content.Get(echo.MIMEApplicationJSON).Schema
}

// BenchmarkStrictJSONBodyDecoder measures the validator's decoder on a create body, and on
// hostile bodies it refuses: a member sent twice, and objects nested as deep as encoding/json
// allows in a body the size limit lets through.
func BenchmarkStrictJSONBodyDecoder(b *testing.B) {
	schema := createSchema(b)
	for _, bc := range []struct {
		name, body string
		refusal    string // part of the INVALID_REQUEST message; "" when the body is accepted
	}{
		{"valid create", createBody, ""},
		{"duplicate key", strings.TrimSuffix(createBody, "}") + `,"secret":"other"}`, `repeats the member "secret"`},
		{"nesting 9999 deep", nested(9999), "nests objects and arrays more than 64 levels deep"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if len(bc.body) > maxBodyBytes {
				b.Fatalf("the body is %d bytes, more than the limit of %d", len(bc.body), maxBodyBytes)
			}
			body := []byte(bc.body)
			checkDecoded(b, body, schema, bc.refusal)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = strictJSONBodyDecoder(bytes.NewReader(body), nil, schema, nil)
			}
		})
	}
}

// checkDecoded fails unless the decoder accepts body (refusal is "") or refuses it as an
// INVALID_REQUEST whose message contains refusal.
func checkDecoded(b *testing.B, body []byte, schema *openapi3.SchemaRef, refusal string) {
	b.Helper()
	v, err := strictJSONBodyDecoder(bytes.NewReader(body), nil, schema, nil)
	if refusal == "" {
		if obj, ok := v.(map[string]any); err != nil || !ok || obj["name"] != "My S3 Bucket" {
			b.Fatalf("decoded %#v, %v; want the create request", v, err)
		}
		return
	}
	if !domain.IsKind(err, domain.KindInvalidInput) || !strings.Contains(err.Error(), refusal) {
		b.Fatalf("error = %v, want an invalid input saying %q", err, refusal)
	}
}

// validatorError is the error the request validator returns for a POST /bucket with body.
func validatorError(b *testing.B, body string) error {
	b.Helper()
	spec, err := embeddedSpec()
	if err != nil {
		b.Fatal(err)
	}
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/bucket", strings.NewReader(body))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	route, params, err := router.FindRoute(req)
	if err != nil {
		b.Fatal(err)
	}
	err = openapi3filter.ValidateRequest(b.Context(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		b.Fatalf("the validator answered %v, want a request error", err)
	}
	return err
}

// BenchmarkWriteError measures Echo's error handler, classifying the error and writing the
// JSON error body, for the three ways a request typically fails: a domain error wrapped by the
// use case, a body the request validator refuses, and a route Echo does not have.
func BenchmarkWriteError(b *testing.B) {
	metrics, err := NewMetrics(prometheus.NewRegistry(), nil)
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{log: slog.New(slog.DiscardHandler), metrics: metrics}
	e := echo.New()
	for _, bc := range []struct {
		name string
		err  error
		want errorClass
	}{
		{"domain", fmt.Errorf("create bucket: %w", domain.Errorf(domain.KindNameTaken, "a bucket named %q already exists", "My S3 Bucket")),
			errorClass{http.StatusConflict, "NAME_ALREADY_USED"}},
		{"validator", validatorError(b, strings.Replace(createBody, `"S3"`, `"FTP"`, 1)),
			errorClass{http.StatusBadRequest, "INVALID_REQUEST"}},
		{"transport", echo.ErrNotFound, errorClass{http.StatusNotFound, "NOT_FOUND"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodPost, "/bucket", nil)
			rec := httptest.NewRecorder()
			s.writeError(bc.err, e.NewContext(req, rec))
			var got api.Error
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != bc.want.status || got.Code != bc.want.code || got.Message == "" {
				b.Fatalf("answer %d %s (%v), want %d %s with a message", rec.Code, rec.Body, err, bc.want.status, bc.want.code)
			}
			// Echo reuses its contexts from request to request, resetting them; so does the loop.
			c, w := e.NewContext(req, nil), discardWriter{http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				c.Reset(req, w)
				s.writeError(bc.err, c)
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps the header and drops the rest, so that a
// benchmark counts the handler's allocations and not a recorder's.
type discardWriter struct{ header http.Header }

func (w discardWriter) Header() http.Header       { return w.header }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}

// A body the strict rules refuse is refused before encoding/json builds its values: what is
// allocated is bounded by the depth limit (a set of member names per open object, and the
// error), not by the 9999 levels of the body, as when its maps were built first.
func TestDecodeStrictJSONRefusesBeforeDecoding(t *testing.T) {
	body := []byte(nested(9999))
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := decodeStrictJSON(body); err == nil {
			t.Fatal("a body 9999 levels deep was accepted")
		}
	})
	if limit := float64(2 * maxJSONDepth); allocs > limit {
		t.Errorf("refusing a body 9999 levels deep allocated %.0f times, want at most %.0f", allocs, limit)
	}
}
