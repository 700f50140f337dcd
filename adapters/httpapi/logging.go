package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/labstack/echo/v4"
)

// newRequestID is a fresh random request id, for requests without a usable one and for the
// front door's answers, which have no request.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// identifyRequest gives every request an id and a client address, in the request context where
// log lines and audit events find them.
//
// The id is the caller's X-Request-Id when it is short and plain (so a proxy's id carries
// through), else a fresh random one; it goes back in the response header, and
// RequestIDHandler adds it to log lines and the use cases to the audit trail
// (domain.WithRequestID). The client address is the socket peer's, or what a trusted proxy
// forwarded (TrustedProxies.clientAddr); the access log, the limit on refused tokens and the
// audit trail all use it (domain.WithClientAddr).
func (s *Server) identifyRequest(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !plainID(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		r := c.Request()
		ctx := domain.WithClientAddr(domain.WithRequestID(r.Context(), id), s.proxies.clientAddr(r))
		c.SetRequest(r.WithContext(ctx))
		return next(c)
	}
}

func plainID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func requestID(c echo.Context) string { return domain.RequestID(c.Request().Context()) }

// RequestIDHandler wraps a slog.Handler so every record logged with a request's context carries
// that request's id, wherever in the hexagon it is logged.
func RequestIDHandler(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := domain.RequestID(ctx); id != "" && !hasAttr(r, "request_id") {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// hasAttr reports whether r already carries key, so a line that names its request id itself,
// or passes through this handler twice, does not repeat the key: log pipelines such as
// Elasticsearch reject a JSON document with a duplicate field.
func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// accessLog writes one line per request: never a body, never a header value, so neither
// secrets nor tokens can reach the log through it. Errors are rendered here (c.Error) so the
// line carries the final status.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		r, w := c.Request(), c.Response()
		level := slog.LevelInfo
		if w.Status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method),
			slog.String("route", c.Path()),
			slog.Int("status", w.Status),
			slog.Int64("bytes_in", r.ContentLength),
			slog.Int64("bytes_out", w.Size),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", domain.ClientAddr(r.Context())),
		)
		return nil
	}
}

// recoverPanics turns a panic into a 500 INTERNAL answer. It logs the stack and, for runtime
// errors only, the panic value: any other value could hold request data, secrets included.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			what := domain.PanicSummary(v)
			s.log.LogAttrs(c.Request().Context(), slog.LevelError, "panic serving request",
				slog.String("panic", what), slog.String("stack", string(debug.Stack())))
			err = domain.Errorf(domain.KindInternal, "panic: %s", what)
		}()
		return next(c)
	}
}
