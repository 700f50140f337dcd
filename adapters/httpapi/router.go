package httpapi

import (
	"fmt"
	"mime"
	"net/http"
	"sync"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	echomiddleware "github.com/oapi-codegen/echo-middleware"
)

// maxBodyBytes is the largest request body accepted. The biggest legitimate body, a GCS
// service-account JSON in `secret`, is under 4 KiB.
const maxBodyBytes = 64 << 10

const unsupportedMediaMessage = "send the body as JSON with Content-Type: application/json"

// Handler builds the Echo instance serving the whole API.
func (s *Server) Handler() (http.Handler, error) {
	spec, err := embeddedSpec()
	if err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.writeError
	// Echo's default would believe X-Forwarded-For and X-Real-IP from anyone.
	e.IPExtractor = s.proxies.clientAddr
	pages := mountPages(e, s.pages)
	e.Use(
		s.identifyRequest,
		s.observeRequests,
		s.accessLog,
		s.recoverPanics,
		s.allowOrigins,
		limitBody,
		requireJSON,
		refuseForeignRoutes,
		echomiddleware.OapiRequestValidatorWithOptions(spec, &echomiddleware.Options{
			Options: openapi3filter.Options{AuthenticationFunc: s.authenticate},
			// The pages are no part of the API: no operation of the spec describes them.
			Skipper: func(c echo.Context) bool { return pages[c.Path()] },
		}),
		authenticatedToRequest,
		s.idempotency,
	)
	api.RegisterHandlers(e, api.NewStrictHandler(s, nil))
	return e, nil
}

// embeddedSpec loads the spec once per process; the validator only reads it.
var embeddedSpec = sync.OnceValues(func() (*openapi3.T, error) {
	spec, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load embedded OpenAPI spec: %w", err)
	}
	// The validator would otherwise match the Host header against the spec's servers.
	spec.Servers = nil
	return spec, nil
})

// limitBody answers 413 for a declared oversized body and caps the reader for an undeclared
// (chunked) one; the cap surfaces as *http.MaxBytesError, which writeError also maps to 413.
func limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > maxBodyBytes {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, maxBodyBytes)
		return next(c)
	}
}

// requireJSON answers 415 for a body that is not declared as JSON. A request without a body
// passes, so the validator can say which body is missing.
func requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
			return next(c)
		}
		mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		if err != nil || mt != echo.MIMEApplicationJSON {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType)
		}
		// Media types are case-insensitive, but Echo's binder matches "application/json"
		// case-sensitively: hand it the canonical, lowercased form.
		r.Header.Set(echo.HeaderContentType, mime.FormatMediaType(mt, params))
		return next(c)
	}
}
