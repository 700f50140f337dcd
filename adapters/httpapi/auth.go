package httpapi

import (
	"context"
	"strings"

	"github.com/bucketd/bucketd/domain"
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
	p, err := s.auth.Authenticate(ctx, token)
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

// principalToRequest moves the principal the validator authenticated into the request context,
// where the strict handlers look for it. It runs after the validator, which has by then
// restored the request body it read.
func principalToRequest(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p, ok := c.Get(principalContextKey).(domain.Principal); ok {
			r := c.Request()
			c.SetRequest(r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
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
