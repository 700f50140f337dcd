package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// CORSOrigins are the web origins (scheme, host and port) whose pages may call the API from a
// browser. The empty list, the default, lets no page on another origin read an answer.
type CORSOrigins map[string]bool

// ParseCORSOrigins reads a comma-separated list of origins such as
// "https://app.example.com, http://localhost:3000". Each must be an origin exactly as a browser
// sends it: a scheme, a host and an optional port, with no path, query, user or wildcard, so
// that the list says which pages may call bucketd and nothing matches by accident.
func ParseCORSOrigins(list string) (CORSOrigins, error) {
	out := CORSOrigins{}
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		u, err := url.Parse(item)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.Contains(u.Host, "*") || u.String() != item || strings.ToLower(item) != item {
			return nil, fmt.Errorf("CORS origin %q is not an origin such as https://app.example.com or http://localhost:3000 "+
				"(scheme, host and port only, lower case, no path or wildcard)", item)
		}
		out[item] = true
	}
	return out, nil
}

// The CORS answer: every method the API has, the request headers a client sends, and the
// response headers a client may want to read.
const (
	corsAllowMethods  = "GET, POST, PUT, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, Idempotency-Key"
	corsExposeHeaders = "X-Request-Id, Retry-After, Idempotent-Replayed"
	// corsMaxAge lets a browser reuse a preflight for ten minutes: long enough to spare a
	// round trip per call, short enough that a removed origin stops working soon.
	corsMaxAge = "600"
)

// allowOrigins answers CORS for the configured origins. A request from one of them gets
// Access-Control-Allow-Origin naming it (on errors too, so the page can read the error), and its
// preflight is answered 204 here, before authentication, which a preflight never carries. A
// request from any other origin gets no Access-Control-* header at all and goes on as from
// any client, which is what keeps a browser from letting that page read the answer. Vary: Origin
// tells caches that the answer depends on the Origin header.
func (s *Server) allowOrigins(next echo.HandlerFunc) echo.HandlerFunc {
	if len(s.corsOrigins) == 0 {
		return next
	}
	return func(c echo.Context) error {
		r, h := c.Request(), c.Response().Header()
		h.Add(echo.HeaderVary, echo.HeaderOrigin)
		origin := r.Header.Get(echo.HeaderOrigin)
		if !s.corsOrigins[origin] {
			return next(c)
		}
		h.Set(echo.HeaderAccessControlAllowOrigin, origin)
		if r.Method != http.MethodOptions || r.Header.Get(echo.HeaderAccessControlRequestMethod) == "" {
			h.Set(echo.HeaderAccessControlExposeHeaders, corsExposeHeaders)
			return next(c)
		}
		h.Add(echo.HeaderVary, echo.HeaderAccessControlRequestMethod)
		h.Add(echo.HeaderVary, echo.HeaderAccessControlRequestHeaders)
		h.Set(echo.HeaderAccessControlAllowMethods, corsAllowMethods)
		h.Set(echo.HeaderAccessControlAllowHeaders, corsAllowHeaders)
		h.Set(echo.HeaderAccessControlMaxAge, corsMaxAge)
		return c.NoContent(http.StatusNoContent)
	}
}
