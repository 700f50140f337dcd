package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
)

// errorClass is what the caller sees of a failure: the status and the stable code.
type errorClass struct {
	status int
	code   string
}

// kindClasses is the one table from domain error kind to status and code (docs/api.md, errors).
var kindClasses = map[domain.Kind]errorClass{
	domain.KindInvalidInput:          {http.StatusBadRequest, "INVALID_REQUEST"},
	domain.KindWorkspaceNotFound:     {http.StatusBadRequest, "WORKSPACE_NOT_FOUND"},
	domain.KindInvalidCredentials:    {http.StatusBadRequest, "INVALID_CREDENTIALS"},
	domain.KindAccessDenied:          {http.StatusBadRequest, "ACCESS_DENIED"},
	domain.KindBucketNotFound:        {http.StatusBadRequest, "BUCKET_NOT_FOUND"},
	domain.KindRegionMismatch:        {http.StatusBadRequest, "REGION_MISMATCH"},
	domain.KindEndpointNotAllowed:    {http.StatusBadRequest, "ENDPOINT_NOT_ALLOWED"},
	domain.KindEndpointUnreachable:   {http.StatusBadRequest, "ENDPOINT_UNREACHABLE"},
	domain.KindUnauthenticated:       {http.StatusUnauthorized, "UNAUTHENTICATED"},
	domain.KindForbidden:             {http.StatusForbidden, "FORBIDDEN"},
	domain.KindNotFound:              {http.StatusNotFound, "NOT_FOUND"},
	domain.KindNameTaken:             {http.StatusConflict, "NAME_ALREADY_USED"},
	domain.KindIdempotencyInProgress: {http.StatusConflict, "IDEMPOTENCY_IN_PROGRESS"},
	domain.KindIdempotencyKeyReused:  {http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED"},
	domain.KindConflict:              {http.StatusConflict, "CONFLICT"},
	domain.KindQuotaExceeded:         {http.StatusTooManyRequests, "QUOTA_EXCEEDED"},
	domain.KindRateLimited:           {http.StatusTooManyRequests, "RATE_LIMITED"},
	domain.KindProviderError:         {http.StatusBadGateway, "PROVIDER_ERROR"},
	domain.KindProviderTimeout:       {http.StatusGatewayTimeout, "PROVIDER_TIMEOUT"},
	domain.KindUnavailable:           {http.StatusServiceUnavailable, "UNAVAILABLE"},
	domain.KindNotImplemented:        {http.StatusNotImplemented, "NOT_IMPLEMENTED"},
	domain.KindCredentialInUse:       {http.StatusConflict, "CREDENTIAL_IN_USE"},
	domain.KindRotationRefused:       {http.StatusConflict, "ROTATION_REFUSED"},
	domain.KindInternal:              {http.StatusInternalServerError, "INTERNAL"},
}

// ErrorCode is the stable code the API answers a failure of kind k with, for the other series
// that name failures the way callers see them (cmd/bucketd passes it to validationmetrics).
func ErrorCode(k domain.Kind) string { return classOf(k).code }

// classOf looks a kind up in the table; a kind missing from it is a server bug, answered as
// INTERNAL rather than guessed.
func classOf(k domain.Kind) errorClass {
	if class, ok := kindClasses[k]; ok {
		return class
	}
	return kindClasses[domain.KindInternal]
}

// transportClasses classifies the failures that arise in HTTP plumbing before any domain code
// runs: routing, body size and content type.
var transportClasses = map[int]errorClass{
	http.StatusNotFound:              {http.StatusNotFound, "NOT_FOUND"},
	http.StatusMethodNotAllowed:      {http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
	http.StatusRequestEntityTooLarge: {http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE"},
	http.StatusUnsupportedMediaType:  {http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"},
	http.StatusBadRequest:            {http.StatusBadRequest, "INVALID_REQUEST"},
}

// retryAfterSeconds is sent with UNAVAILABLE: long enough for a database failover to begin,
// short enough that clients come back soon.
const retryAfterSeconds = "2"

// problem is a failure ready to be written: class plus caller-facing message.
type problem struct {
	errorClass
	message string
}

// writeError renders err as the contract's error body. Internal failures are logged with the
// request id and answered with a generic message; everything else says what is wrong.
func (s *Server) writeError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := classify(err)
	rid := requestID(c)
	if p.status >= http.StatusInternalServerError && p.status != http.StatusNotImplemented {
		s.log.LogAttrs(c.Request().Context(), slog.LevelError, "request failed",
			slog.String("request_id", rid), slog.String("code", p.code), slog.String("error", err.Error()))
	}
	if p.code == "INTERNAL" {
		p.message = fmt.Sprintf("internal error; quote request id %s in a support request", rid)
	}
	s.metrics.countRefusal(p.code)
	h := c.Response().Header()
	var de *domain.Error
	if errors.As(err, &de) && de.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(de.RetryAfter.Seconds()))))
	}
	switch p.code {
	case "UNAVAILABLE":
		h.Set("Retry-After", retryAfterSeconds)
	case "UNAUTHENTICATED":
		h.Set("WWW-Authenticate", `Bearer realm="bucketd"`)
	}
	if werr := c.JSON(p.status, api.Error{Success: false, Message: p.message, Code: p.code}); werr != nil {
		s.log.LogAttrs(c.Request().Context(), slog.LevelWarn, "write error response",
			slog.String("request_id", rid), slog.String("error", werr.Error()))
	}
}

// classify finds the most specific explanation of err: a domain error anywhere in the chain
// (including inside the validator's security errors), then request validation errors, then
// Echo's own HTTP errors.
func classify(err error) problem {
	var de *domain.Error
	if errors.As(err, &de) {
		return problem{classOf(de.Kind), de.Message}
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return problem{transportClasses[http.StatusRequestEntityTooLarge], bodyTooLargeMessage}
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		return requestProblem(re)
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if class, ok := transportClasses[he.Code]; ok {
			return problem{class, transportMessage(he)}
		}
	}
	return problem{kindClasses[domain.KindInternal], ""}
}

var bodyTooLargeMessage = fmt.Sprintf("the request body is larger than %d KiB", maxBodyBytes/1024)

func transportMessage(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "no such endpoint; openapi.yaml describes the API"
	case http.StatusMethodNotAllowed:
		return "this endpoint does not accept that method"
	case http.StatusRequestEntityTooLarge:
		return bodyTooLargeMessage
	case http.StatusUnsupportedMediaType:
		return unsupportedMediaMessage
	}
	if msg, ok := he.Message.(string); ok && msg != "" {
		return msg
	}
	return http.StatusText(he.Code)
}

// requestProblem turns an OpenAPI validation failure into a message that names the field and
// the rule. It uses the schema's Reason only: the full error text can quote the offending
// value, which may be a secret.
func requestProblem(re *openapi3filter.RequestError) problem {
	bad := transportClasses[http.StatusBadRequest]
	if strings.HasPrefix(re.Reason, "header Content-Type has unexpected value") {
		return problem{transportClasses[http.StatusUnsupportedMediaType], unsupportedMediaMessage}
	}
	where := "request body"
	if re.Parameter != nil {
		where = fmt.Sprintf("%s parameter %q", re.Parameter.In, re.Parameter.Name)
	}
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		if ptr := se.JSONPointer(); len(ptr) > 0 {
			where += fmt.Sprintf(" at %q", strings.Join(ptr, "."))
		}
		return problem{bad, fmt.Sprintf("invalid %s: %s", where, se.Reason)}
	}
	if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
		return problem{bad, fmt.Sprintf("the %s is required", where)}
	}
	var pe *openapi3filter.ParseError
	if errors.As(re.Err, &pe) {
		return problem{bad, fmt.Sprintf("the %s is not valid JSON: %s", where, parseReason(pe))}
	}
	return problem{bad, fmt.Sprintf("invalid %s", where)}
}

// parseReason reports why JSON failed to parse without quoting the input.
func parseReason(pe *openapi3filter.ParseError) string {
	var syntax *json.SyntaxError
	switch cause := pe.RootCause(); {
	case errors.As(cause, &syntax):
		return fmt.Sprintf("%s (at byte %d)", syntax.Error(), syntax.Offset)
	case errors.Is(cause, io.ErrUnexpectedEOF), errors.Is(cause, io.EOF):
		return "it ends too early"
	}
	return "it cannot be decoded"
}
