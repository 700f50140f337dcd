package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"time"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/ports"
	"github.com/prometheus/client_golang/prometheus"
)

var _ api.StrictServerInterface = (*Server)(nil)

// BucketService is the part of the application the HTTP adapter drives.
type BucketService interface {
	Create(ctx context.Context, p domain.Principal, in app.BucketInput) (app.CreateResult, error)
	Validate(ctx context.Context, p domain.Principal, in app.BucketInput) (app.ValidationOutcome, error)
	// GetAsHolder authenticates a bearer token and reads a bucket for its holder in one round
	// trip; the HTTP adapter calls it as it authenticates GET /bucket/{bucketId} (lookUp).
	GetAsHolder(ctx context.Context, token domain.Secret, bucketID string) (ports.HolderRead, error)
	List(ctx context.Context, p domain.Principal, in app.ListInput) (domain.BucketPage, error)
	Update(ctx context.Context, p domain.Principal, bucketID string, in app.UpdateInput) (app.UpdateResult, error)
	Delete(ctx context.Context, p domain.Principal, bucketID string) error
	Revalidate(ctx context.Context, p domain.Principal, bucketID string, in app.RevalidateInput) (app.RevalidateResult, error)
	Quota(ctx context.Context, p domain.Principal) (domain.Quota, error)
}

// Pinger reports whether the database answers; /readyz asks it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// readinessTimeout bounds /readyz so a hung database makes the probe fail rather than hang.
const readinessTimeout = 2 * time.Second

// Server implements the generated strict server interface on top of the application service.
type Server struct {
	buckets    BucketService
	signIn     SignInService
	auth       ports.Authenticator
	idem       ports.IdempotencyStore
	mac        ports.RequestMAC
	audit      ports.AuditLog
	db         Pinger
	log        *slog.Logger
	now        func() time.Time
	metrics    *Metrics
	workspaces WorkspaceService
	// credentials serves /apikeys.
	credentials CredentialService
	// awsTrust is nil on a server built without it (GetAwsTrust answers 404).
	awsTrust AWSTrustService
	// limiter is nil when rate limiting is off.
	limiter *rateLimiter[limiterKey]
	// failures limits the refused tokens of each client address; nil when that limit is off.
	failures *rateLimiter[netip.Prefix]
	refusals *refusalTally
	proxies  TrustedProxies
	// corsOrigins are the web origins whose pages may read answers; empty means none.
	corsOrigins CORSOrigins
	pages       []Pages
}

// Config carries the Server's dependencies. Logger defaults to slog.Default().
type Config struct {
	Buckets     BucketService
	SignIn      SignInService
	Workspaces  WorkspaceService
	Credentials CredentialService
	// AWSTrust answers GET /apikeys/aws-trust; nil leaves that route answering 404.
	AWSTrust      AWSTrustService
	Authenticator ports.Authenticator
	// Idempotency keeps the answers to requests sent with an Idempotency-Key; RequestMAC keys
	// the fingerprints that tell apart the requests sent with one key.
	Idempotency ports.IdempotencyStore
	RequestMAC  ports.RequestMAC
	Readiness   Pinger
	// Audit records the tallies of refused bearer tokens (AuditRefusedTokens).
	Audit  ports.AuditLog
	Logger *slog.Logger
	// Now is the clock for idempotency keys and rate limits; nil means the wall clock.
	Now func() time.Time
	// RateLimit is the steady number of requests per second each API token may send to this
	// process; 0 turns rate limiting off. RateBurst is how many requests a token may send at
	// once before the steady rate applies; it must be at least 1 when RateLimit is set.
	RateLimit float64
	RateBurst int
	// AuthFailureLimit is the steady number of refused bearer tokens per second each client
	// address (IPv6: /64 prefix) may send to this process; 0 turns the limit off.
	// AuthFailureBurst is how many it may send at once; at least 1 when AuthFailureLimit is
	// set. Over the limit, every request with a token is refused before the token is looked up.
	AuthFailureLimit float64
	AuthFailureBurst int
	// Metrics collects the HTTP series and serves its registry on GET /metrics. Nil gives the
	// server a registry of its own, without database pool statistics nor any other adapter's
	// series; the composition root passes the Metrics on the registry every adapter shares.
	Metrics *Metrics
	// TrustedProxies are the proxies whose X-Forwarded-For and X-Real-IP headers name the
	// client; nil trusts none, and the socket peer is the client.
	TrustedProxies TrustedProxies
	// CORSOrigins are the web origins whose pages may call the API from a browser.
	CORSOrigins CORSOrigins
	// Pages are served beside the API, outside its authentication (the console).
	Pages []Pages
}

// NewServer checks the dependencies and returns a Server.
func NewServer(cfg Config) (*Server, error) {
	switch {
	case cfg.Buckets == nil:
		return nil, errors.New("httpapi.NewServer: Buckets is nil")
	case cfg.SignIn == nil:
		return nil, errors.New("httpapi.NewServer: SignIn is nil")
	case cfg.Workspaces == nil:
		return nil, errors.New("httpapi.NewServer: Workspaces is nil")
	case cfg.Credentials == nil:
		return nil, errors.New("httpapi.NewServer: Credentials is nil")
	case cfg.Authenticator == nil:
		return nil, errors.New("httpapi.NewServer: Authenticator is nil")
	case cfg.Idempotency == nil:
		return nil, errors.New("httpapi.NewServer: Idempotency is nil")
	case cfg.RequestMAC == nil:
		return nil, errors.New("httpapi.NewServer: RequestMAC is nil")
	case cfg.Readiness == nil:
		return nil, errors.New("httpapi.NewServer: Readiness is nil")
	case cfg.Audit == nil:
		return nil, errors.New("httpapi.NewServer: Audit is nil")
	}
	if err := checkPages(cfg.Pages); err != nil {
		return nil, err
	}
	if err := checkRate("RateLimit", cfg.RateLimit, "RateBurst", cfg.RateBurst); err != nil {
		return nil, err
	}
	if err := checkRate("AuthFailureLimit", cfg.AuthFailureLimit, "AuthFailureBurst", cfg.AuthFailureBurst); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	metrics := cfg.Metrics
	if metrics == nil {
		var err error
		if metrics, err = NewMetrics(prometheus.NewRegistry(), nil); err != nil {
			return nil, err
		}
	}
	s := &Server{buckets: cfg.Buckets, signIn: cfg.SignIn, workspaces: cfg.Workspaces, credentials: cfg.Credentials, awsTrust: cfg.AWSTrust, auth: cfg.Authenticator, idem: cfg.Idempotency, mac: cfg.RequestMAC, audit: cfg.Audit, db: cfg.Readiness, log: log, now: now,
		metrics: metrics, refusals: newRefusalTally(maxTalliedAddresses), proxies: cfg.TrustedProxies, corsOrigins: cfg.CORSOrigins, pages: cfg.Pages}
	if cfg.RateLimit > 0 {
		s.limiter = newRateLimiter[limiterKey](cfg.RateLimit, cfg.RateBurst, metrics.rateLimiters)
	}
	if cfg.AuthFailureLimit > 0 {
		s.failures = newRateLimiter[netip.Prefix](cfg.AuthFailureLimit, cfg.AuthFailureBurst, metrics.authFailureLimiters)
	}
	return s, nil
}

// checkRate checks a rate limit's configuration: a finite rate, 0 for no limit, and a burst of
// at least 1 when the rate is set.
func checkRate(rateName string, perSecond float64, burstName string, burst int) error {
	switch {
	case perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0):
		return fmt.Errorf("httpapi.NewServer: %s %g: want a finite number per second, or 0 for no limit", rateName, perSecond)
	case perSecond > 0 && burst < 1:
		return fmt.Errorf("httpapi.NewServer: %s %d: want at least 1 when %s is set", burstName, burst, rateName)
	}
	return nil
}

// CreateBucket registers a bucket (POST /bucket).
func (s *Server) CreateBucket(ctx context.Context, req api.CreateBucketRequestObject) (api.CreateBucketResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if err := requireCredentials(b.Key, b.Secret, domain.CredentialKeySecret, b.ApiKeyUuid); err != nil {
		return nil, err
	}
	res, err := s.buckets.Create(ctx, p, app.BucketInput{
		Name:        b.Name,
		Bucket:      b.Bucket,
		StorageType: string(b.StorageType),
		Key:         domain.NewSecret(b.Key),
		Secret:      domain.NewSecret(b.Secret),
		Region:      string(deref(b.Region)),
		Endpoint:    deref(b.Endpoint),
		WorkspaceID: b.WorkspaceId,
		APIKeyID:    deref(b.ApiKeyUuid),
		Mode:        domain.ValidationMode(deref(b.Validation)),
	})
	if err != nil {
		return nil, err
	}
	return api.CreateBucket200JSONResponse{Success: true, BucketId: res.BucketID}, nil
}

// ValidateBucket runs the provider checks without storing anything (POST /bucket/validate).
func (s *Server) ValidateBucket(ctx context.Context, req api.ValidateBucketRequestObject) (api.ValidateBucketResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if err := requireCredentials(b.Key, b.Secret, domain.CredentialKind(deref(b.Kind)), b.ApiKeyUuid); err != nil {
		return nil, err
	}
	out, err := s.buckets.Validate(ctx, p, app.BucketInput{
		Name:         deref(b.Name),
		Bucket:       b.Bucket,
		StorageType:  string(b.StorageType),
		Kind:         string(deref(b.Kind)),
		Key:          domain.NewSecret(b.Key),
		Secret:       domain.NewSecret(b.Secret),
		SessionToken: domain.NewSecret(deref(b.SessionToken)),
		Region:       string(deref(b.Region)),
		Endpoint:     deref(b.Endpoint),
		WorkspaceID:  deref(b.WorkspaceId),
		APIKeyID:     deref(b.ApiKeyUuid),
		Mode:         domain.ValidationMode(deref(b.Validation)),
	})
	if err != nil {
		return nil, err
	}
	return api.ValidateBucket200JSONResponse(validationResult(out)), nil
}

// Healthz answers while the process runs (GET /healthz).
func (s *Server) Healthz(context.Context, api.HealthzRequestObject) (api.HealthzResponseObject, error) {
	return api.Healthz200JSONResponse{Success: true, Status: "ok"}, nil
}

// Readyz answers 200 only when the database answers (GET /readyz).
func (s *Server) Readyz(ctx context.Context, _ api.ReadyzRequestObject) (api.ReadyzResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, readinessTimeout)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		return nil, domain.Wrap(domain.KindUnavailable, err, "database unavailable; this instance cannot serve requests")
	}
	return api.Readyz200JSONResponse{Success: true, Status: "ready"}, nil
}
