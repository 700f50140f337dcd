package httpapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/labstack/echo/v4"
)

// flashbackFamilies are the first path segments of the routes Flashback's TypeScript client
// calls that bucketd serves none of: a request to any route of theirs is a Flashback app asking
// for something outside bucketd's job, which deserves a refusal that says so rather than a bare
// "not found".
var flashbackFamilies = map[string]bool{
	"adhoc-logs": true, "ai": true, "api": true, "auth": true, "budget": true,
	"chat": true, "conversation": true, "credits": true, "demo": true, "devices": true,
	"email": true, "links": true, "mfa": true, "node": true, "organization": true, "plan": true,
	"plans": true, "policy": true, "providers": true, "receipts": true, "register": true,
	"repo": true, "scheduled-tasks": true, "sessions": true, "settings": true, "snippets": true,
	"stats": true, "subscriptions": true, "systemevent": true, "templates": true, "tools": true,
	"unit": true, "unregister": true, "usage": true, "v2": true,
}

// flashbackRoutes are the routes of Flashback's client in the families bucketd serves in part
// (bucket, user), as path segments with "*" for one segment of any value. Only these are
// refused as Flashback's; any other unknown path of those families stays 404.
var flashbackRoutes = [][]string{
	{"bucket", "*", "status"},
	{"bucket", "*", "stats"},
	{"user", "*"},
	{"user", "*", "role"},
	{"user", "resend-verification", "*"},
}

// isFlashbackRoute reports whether path is one of Flashback's routes that bucketd does not
// serve. It is asked only about paths no operation of bucketd matched.
func isFlashbackRoute(path string) bool {
	segments := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if flashbackFamilies[segments[0]] {
		return true
	}
	return slices.ContainsFunc(flashbackRoutes, func(route []string) bool { return matches(route, segments) })
}

// matches reports whether path segments fit a route's, "*" fitting any segment but an empty one.
func matches(route, segments []string) bool {
	if len(route) != len(segments) {
		return false
	}
	for i, want := range route {
		if segments[i] == "" || (want != "*" && want != segments[i]) {
			return false
		}
	}
	return true
}

// refuseForeignRoutes turns the validator's "no such route" into 501 NOT_IMPLEMENTED naming the
// route, when the route is one of Flashback's. It only looks at requests the validator found no
// route for, so it costs the served routes nothing; any other unknown path stays 404 NOT_FOUND,
// and a served path called with another method stays 405.
func refuseForeignRoutes(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		var he *echo.HTTPError
		if err == nil || !errors.As(err, &he) || he.Code != http.StatusNotFound {
			return err
		}
		r := c.Request()
		if !isFlashbackRoute(r.URL.Path) {
			return err
		}
		return notImplemented(r.Method, r.URL.Path)
	}
}

// maxEchoedPath bounds how much of a caller's path a refusal repeats.
const maxEchoedPath = 200

// notImplemented is the refusal of a Flashback route bucketd does not serve. The path is the
// caller's, so it is quoted (no control characters reach a log or a terminal) and clipped.
func notImplemented(method, path string) error {
	if len(path) > maxEchoedPath {
		path = path[:maxEchoedPath] + "..."
	}
	return domain.Errorf(domain.KindNotImplemented,
		"%s %q is a Flashback route outside bucketd's job: bucketd registers buckets and proves their credentials; it keeps no repositories, nodes or traffic statistics",
		method, path)
}

// GetBucketStats is Flashback's traffic statistics of buckets. It is declared in openapi.yaml
// because its path would otherwise be read as the bucket id "stats".
func (s *Server) GetBucketStats(context.Context, api.GetBucketStatsRequestObject) (api.GetBucketStatsResponseObject, error) {
	return nil, notImplemented(http.MethodGet, "/bucket/stats")
}
