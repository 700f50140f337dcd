package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/bucketd/bucketd/adapters/console"
	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/requestmac"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/ports"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	var cfg serveConfig
	fs := newFlagSet("serve")
	cfg.register(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if cfg.limits.writeTimeout <= cfg.providers.timeout {
		return fmt.Errorf("--write-timeout %s must exceed --validation-timeout %s, or validations would be cut off unanswered",
			cfg.limits.writeTimeout, cfg.providers.timeout)
	}
	log, err := newLogger(cfg.logLevel, stderr)
	if err != nil {
		return err
	}
	if cfg.dev {
		if err := prepareDev(&cfg, log); err != nil {
			return err
		}
	}
	stopPprof, err := startPprof(ctx, cfg.pprof, log)
	if err != nil {
		return err
	}
	defer stopPprof()
	ring, err := loadKeyRing(cfg.masterKeyConfig)
	if errors.Is(err, errNoMasterKeys) {
		return fmt.Errorf("%w, or run with --dev for a local development key", err)
	}
	if err != nil {
		return err
	}
	allow, err := netguard.ParseAllowList(cfg.allowList)
	if err != nil {
		return fmt.Errorf("endpoint allow-list: %w", err)
	}
	store, err := openStore(ctx, cfg.storeConfig, log)
	if err != nil {
		return err
	}
	// A failed close (a connection lost, a WAL not checkpointed) is the command's failure too.
	defer func() { err = errors.Join(err, store.Close()) }()
	hasher, err := newPasswordHasher()
	if err != nil {
		return err
	}
	if cfg.dev {
		if err := bootstrapDev(ctx, store, hasher, cfg.databaseURL, stdout, log); err != nil {
			return err
		}
	}
	metrics, validations, err := newMetrics(store.PoolStats)
	if err != nil {
		return err
	}
	fingerprinter, err := cfg.fingerprint.fingerprinter(log)
	if err != nil {
		return err
	}
	buckets, roles, err := newBuckets(ctx, store, ring, fingerprinter, cfg.providers, allow, validations, log)
	if err != nil {
		return err
	}
	awsTrust, err := app.NewAWSTrust(store, roles)
	if err != nil {
		return err
	}
	workspaces, err := newWorkspaces(store, log)
	if err != nil {
		return err
	}
	requestMAC, err := requestmac.New(ring)
	if err != nil {
		return err
	}
	signIn, err := newSignIn(store, ring, hasher, cfg.signIn, log)
	if err != nil {
		return err
	}
	pages, err := console.New()
	if err != nil {
		return err
	}
	api, err := httpapi.NewServer(httpapi.Config{Buckets: buckets, SignIn: signIn, Workspaces: workspaces, Credentials: buckets, AWSTrust: awsTrust, Authenticator: store, Idempotency: store, RequestMAC: requestMAC, Readiness: store, Audit: store.Audit(),
		Logger: log, Metrics: metrics, RateLimit: cfg.limits.rateLimit, RateBurst: cfg.limits.rateBurst,
		AuthFailureLimit: cfg.clients.authFailureRate, AuthFailureBurst: cfg.clients.authFailureBurst, TrustedProxies: cfg.clients.trustedProxies,
		CORSOrigins: cfg.clients.corsOrigins, Pages: []httpapi.Pages{{Prefix: console.Path, Handler: pages}}})
	if err != nil {
		return err
	}
	// The refused tokens are recorded until the server has shut down, then once more, before
	// the store closes.
	refusalsCtx, stopRefusals := context.WithCancel(context.WithoutCancel(ctx))
	refusalsDone := make(chan struct{})
	go func() {
		defer close(refusalsDone)
		api.AuditRefusedTokens(refusalsCtx, refusalAuditInterval)
	}()
	defer func() {
		stopRefusals()
		<-refusalsDone
	}()
	handler, err := api.Handler()
	if err != nil {
		return err
	}
	ln, err := httpapi.ListenFrontDoor("tcp", cfg.addr, cfg.limits.maxHeaderBytes)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.limits.readHeaderTimeout,
		ReadTimeout:       cfg.limits.readTimeout,
		WriteTimeout:      cfg.limits.writeTimeout,
		IdleTimeout:       cfg.limits.idleTimeout,
		MaxHeaderBytes:    cfg.limits.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	log.Info("bucketd listening", slog.String("addr", ln.Addr().String()),
		slog.String("key_id", ring.ActiveID()), slog.Bool("dev", cfg.dev), slog.String("gogc", setGCPercent()))

	go purgeExpired(ctx, store, store.Audit(), store, cfg.audit.retention, log)
	if err := startHealthJob(ctx, cfg.health, store, buckets, log); err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", slog.Duration("deadline", cfg.shutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("bucketd stopped")
	return nil
}

// migrate brings the schema up to date, and reports on stdout the buckets whose names now
// compare equal (reportNameCollisions); nothing when there are none.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg storeConfig
	fs := newFlagSet("migrate")
	cfg.register(fs, "warn")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	log, err := newLogger(cfg.logLevel, stderr)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, "database schema is up to date")
	err = errors.Join(err, reportNameCollisions(ctx, store, stdout, log))
	return errors.Join(err, store.Close())
}

// purgeInterval is how often expired Idempotency-Key answers and audit events past their
// retention are deleted. Every process purges; the deletes are idempotent, so several
// processes doing it is harmless.
const purgeInterval = time.Hour

// refusalAuditInterval is how often the tally of refused tokens is written to the audit trail:
// one event per client address and minute.
const refusalAuditInterval = time.Minute

// purgeExpired deletes expired idempotency answers, audit events older than retention, expired
// session tokens and forgotten sign-in failures, now and then every purgeInterval, until ctx
// ends.
func purgeExpired(ctx context.Context, idem ports.IdempotencyStore, audit ports.AuditPurger, signIn ports.SignInPurger, retention time.Duration, log *slog.Logger) {
	tick := time.NewTicker(purgeInterval)
	defer tick.Stop()
	for {
		now := time.Now()
		purged(ctx, log, "expired idempotency keys", func() (int64, error) { return idem.Purge(ctx, now) })
		purged(ctx, log, "audit events past their retention", func() (int64, error) { return audit.Purge(ctx, now.Add(-retention)) })
		purged(ctx, log, "expired session tokens", func() (int64, error) { return signIn.PurgeSessions(ctx, now) })
		purged(ctx, log, "forgotten sign-in failures", func() (int64, error) { return signIn.PurgeFailures(ctx, now.Add(-signInForget)) })
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// purged runs one purge and logs what it deleted, or why it failed unless ctx ended.
func purged(ctx context.Context, log *slog.Logger, what string, purge func() (int64, error)) {
	n, err := purge()
	switch {
	case err != nil && ctx.Err() == nil:
		log.Warn("purge "+what, slog.String("error", err.Error()))
	case n > 0:
		log.Info("purged "+what, slog.Int64("count", n))
	}
}
