package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/labstack/echo/v4"
)

// flashbackFamilies are the first path segments of the routes Flashback's TypeScript client
// calls. bucketd serves some routes of some of them (bucket, user, workspace, token); a request
// to any other route of these families is a Flashback app asking for something outside
// bucketd's job, which deserves a refusal that says so rather than a bare "not found".
var flashbackFamilies = map[string]bool{
	"adhoc-logs": true, "ai": true, "api": true, "apikeys": true, "auth": true, "bucket": true,
	"budget": true, "chat": true, "conversation": true, "credits": true, "demo": true,
	"devices": true, "email": true, "links": true, "mfa": true, "node": true,
	"organization": true, "plan": true, "plans": true, "policy": true, "providers": true,
	"receipts": true, "register": true, "repo": true, "scheduled-tasks": true, "sessions": true,
	"settings": true, "snippets": true, "stats": true, "subscriptions": true,
	"systemevent": true, "templates": true, "token": true, "tools": true, "unit": true,
	"unregister": true, "usage": true, "user": true, "v2": true, "workspace": true,
}

// refuseForeignRoutes turns the validator's "no such route" into 501 NOT_IMPLEMENTED naming the
// route, when the route belongs to one of Flashback's families. It only looks at requests the
// validator found no route for, so it costs the served routes nothing; a path of no Flashback
// family stays 404 NOT_FOUND, and a served path called with another method stays 405.
func refuseForeignRoutes(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		var he *echo.HTTPError
		if err == nil || !errors.As(err, &he) || he.Code != http.StatusNotFound {
			return err
		}
		r := c.Request()
		family, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if !flashbackFamilies[family] {
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
