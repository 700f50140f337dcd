package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Pages is a handler of paths outside the API (the console at /console): Prefix and every path
// under it. Its requests go through the same middleware as the API's for request ids, metrics,
// the access log and panics, but not through the API's authentication and request validation:
// what it serves is public, and its own pages call the API like any other client.
type Pages struct {
	Prefix  string
	Handler http.Handler
}

// checkPages refuses a Pages without a handler, or with a prefix that is not a plain path.
func checkPages(pages []Pages) error {
	for _, p := range pages {
		if p.Handler == nil || !strings.HasPrefix(p.Prefix, "/") || strings.HasSuffix(p.Prefix, "/") || strings.ContainsAny(p.Prefix, ":*") {
			return fmt.Errorf("httpapi.NewServer: pages at %q: want a handler and a prefix such as /console", p.Prefix)
		}
	}
	return nil
}

// mountPages routes GET and HEAD of each Pages' prefix, and of every path under it, to its
// handler, and returns the route templates so mounted, for the validator to skip.
func mountPages(e *echo.Echo, pages []Pages) map[string]bool {
	routes := map[string]bool{}
	for _, p := range pages {
		h := echo.WrapHandler(p.Handler)
		for _, route := range []string{p.Prefix, p.Prefix + "/*"} {
			e.Match([]string{http.MethodGet, http.MethodHead}, route, h)
			routes[route] = true
		}
	}
	return routes
}
