package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	echomiddleware "github.com/oapi-codegen/echo-middleware"
)

// principalKey stores the authenticated principal, first in the Echo context (where the
// validator's authentication callback can reach) and then in the request context (where the
// strict handlers can).
type principalKey struct{}

// authenticate is the validator's AuthenticationFunc. It runs for every operation whose spec
// lists a security requirement, before the body is validated, so an anonymous caller learns
// nothing about the body rules.
//
// A client address over its budget of refused tokens is refused before its token is looked up
// (admitTokenLookup), so a flood of bogus tokens costs few database lookups; each refused token
// spends the budget and is tallied for the audit trail (refusalTally), never written there one
// by one.
func (s *Server) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	c := echomiddleware.GetEchoContext(ctx)
	if c == nil {
		return domain.Errorf(domain.KindInternal, "authentication ran outside an Echo request")
	}
	token, err := bearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
	if err != nil {
		return err
	}
	ctx = c.Request().Context()
	release, err := s.admitTokenLookup(c, failureKey(domain.ClientAddr(ctx)))
	if err != nil {
		return err
	}
	refused := false
	defer func() { release(refused, s.now()) }() // deferred, so a panic cannot keep the hold
	p, err := s.lookUp(c, in, token)
	refused = domain.IsKind(err, domain.KindUnauthenticated)
	if refused {
		// The token is unknown, revoked or expired, so nothing of it is recorded: not even its
		// digest, which would let a reader of the trail test guesses offline.
		s.metrics.authFailures.Inc()
		s.refusals.add(ctx, s.now().UTC(), err)
	}
	if err != nil {
		return err
	}
	if err := s.limitRate(c, p, token); err != nil {
		return err
	}
	c.Set(principalContextKey, p)
	return nil
}

const principalContextKey = "bucketd.principal"

// getBucketPath is the path of GET /bucket/{bucketId} in openapi.yaml.
const getBucketPath = "/bucket/{bucketId}"

// lookUp authenticates token for the request. GET /bucket/{bucketId}, the hottest request, has
// the store check the token and read the bucket in one round trip (app.Buckets.GetAsHolder):
// the read waits in the Echo context (heldReadContextKey) for the handler, which answers with it
// only once everything that follows authentication (the rate limit, the request's validation)
// has let the request through, so the answers and their order are those of any other request.
// Every other request authenticates alone (ports.Authenticator), and its handler reads what it
// needs afterwards.
func (s *Server) lookUp(c echo.Context, in *openapi3filter.AuthenticationInput, token domain.Secret) (domain.Principal, error) {
	ctx := c.Request().Context()
	if route := in.RequestValidationInput.Route; route.Method != http.MethodGet || route.Path != getBucketPath {
		return s.auth.Authenticate(ctx, token)
	}
	bucketID := pathParam(c, "bucketId")
	read, err := s.buckets.GetAsHolder(ctx, token, bucketID)
	if err != nil {
		return domain.Principal{}, err
	}
	c.Set(heldReadContextKey, &heldRead{bucketID: bucketID, read: read})
	return read.Principal, nil
}

// pathParam is a path parameter as the generated handler binds it: Echo's value, unescaped
// unless the router matched the path already unescaped. A value that does not unescape stays as
// it is (net/http refuses such a path before any handler, and the generated handler would too).
func pathParam(c echo.Context, name string) string {
	value := c.Param(name)
	if c.Request().URL.RawPath != "" {
		if unescaped, err := url.PathUnescape(value); err == nil {
			value = unescaped
		}
	}
	return value
}

// heldRead is a read that authentication made for the handler (lookUp), with the bucket id it
// was made for. It travels by pointer: the bucket is copied once, not at each context.
type heldRead struct {
	bucketID string
	read     ports.HolderRead
}

const heldReadContextKey = "bucketd.heldRead"

// heldReadKey stores a heldRead in the request context.
type heldReadKey struct{}

// heldReadFrom returns the read authentication made for the bucket the handler was asked for.
// Its absence, or a read of another id, means the handler and lookUp disagree: a server bug.
func heldReadFrom(ctx context.Context, bucketID string) (ports.HolderRead, error) {
	held, ok := ctx.Value(heldReadKey{}).(*heldRead)
	if !ok || held.bucketID != bucketID {
		return ports.HolderRead{}, domain.Errorf(domain.KindInternal, "no read of bucket %q made with the request's authentication", bucketID)
	}
	return held.read, nil
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header.
func bearerToken(header string) (domain.Secret, error) {
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return domain.Secret{}, domain.Errorf(domain.KindUnauthenticated,
			"send an API token as \"Authorization: Bearer <token>\"; an administrator issues one with `bucketd admin token create --email EMAIL`")
	}
	return domain.NewSecret(token), nil
}

// authenticatedToRequest moves the principal the validator authenticated, and the read made
// with the authentication (lookUp), into the request context, where the strict handlers look
// for them. It runs after the validator, which has by then restored the request body it read.
func authenticatedToRequest(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		if p, ok := c.Get(principalContextKey).(domain.Principal); ok {
			ctx = context.WithValue(ctx, principalKey{}, p)
		}
		if held, ok := c.Get(heldReadContextKey).(*heldRead); ok {
			ctx = context.WithValue(ctx, heldReadKey{}, held)
		}
		if ctx != c.Request().Context() {
			c.SetRequest(c.Request().WithContext(ctx))
		}
		return next(c)
	}
}

// principalFrom returns the caller of a secured operation. Its absence means the spec and the
// handler disagree about security: a server bug, never the caller's fault.
func principalFrom(ctx context.Context) (domain.Principal, error) {
	p, ok := ctx.Value(principalKey{}).(domain.Principal)
	if !ok {
		return domain.Principal{}, domain.Errorf(domain.KindInternal, "no authenticated principal on a secured operation")
	}
	return p, nil
}
