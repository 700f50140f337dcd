package app

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// healthLease names the lease that lets one server process at a time run the health job.
const healthLease = "health-revalidation"

// healthBatch bounds the buckets one round re-checks, so a round ends in bounded time; buckets
// left over are still due at the next round, which comes after a fraction of the interval.
const healthBatch = 500

// HealthJobConfig tunes the background re-validation of stored credentials.
type HealthJobConfig struct {
	Buckets *Buckets
	Source  ports.StatusSource
	Leases  ports.Leases
	// Interval is how old a bucket's status may grow before it is checked again (default 6 h).
	Interval time.Duration
	// Concurrency bounds the validations in flight at once (default 4).
	Concurrency int
	// Holder identifies this process in the lease; it must differ between processes.
	Holder string
	Logger *slog.Logger
	Now    func() time.Time
}

// HealthJob re-validates stored credentials in the background, so credentials revoked at the
// provider show up as OFFLINE before a customer notices. One process at a time runs it (a
// lease in the database); a provider that fails with a server error, a timeout or an
// unreachable endpoint is backed off rather than hammered, and such transient failures do not
// change a bucket's status.
type HealthJob struct {
	buckets     *Buckets
	source      ports.StatusSource
	leases      ports.Leases
	interval    time.Duration
	concurrency int
	holder      string
	log         *slog.Logger
	now         func() time.Time

	mu      sync.Mutex
	backoff map[string]backoffState // by provider: storage type and endpoint
}

// backoffState is how long a failing provider is left alone, and until when.
type backoffState struct {
	wait  time.Duration
	until time.Time
}

// HealthRound counts what one round did.
type HealthRound struct {
	Checked, Online, Offline, Transient, BackedOff int
}

// NewHealthJob checks the configuration.
func NewHealthJob(cfg HealthJobConfig) (*HealthJob, error) {
	switch {
	case cfg.Buckets == nil:
		return nil, errors.New("app.NewHealthJob: Buckets is nil")
	case cfg.Source == nil:
		return nil, errors.New("app.NewHealthJob: Source is nil")
	case cfg.Leases == nil:
		return nil, errors.New("app.NewHealthJob: Leases is nil")
	case cfg.Holder == "":
		return nil, errors.New("app.NewHealthJob: Holder is empty")
	case cfg.Interval < 0 || cfg.Concurrency < 0:
		return nil, errors.New("app.NewHealthJob: Interval and Concurrency must not be negative")
	}
	if cfg.Interval == 0 {
		cfg.Interval = 6 * time.Hour
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	logger, now := withDefaults(cfg.Logger, cfg.Now)
	return &HealthJob{buckets: cfg.Buckets, source: cfg.Source, leases: cfg.Leases, interval: cfg.Interval,
		concurrency: cfg.Concurrency, holder: cfg.Holder, log: logger, now: now, backoff: map[string]backoffState{}}, nil
}

// Run runs rounds until ctx ends. Rounds come every sixth of the interval, jittered by ±20% so
// processes started together do not keep meeting at the lease; each round checks the buckets
// whose status is older than the interval.
func (j *HealthJob) Run(ctx context.Context) {
	for {
		period := j.interval / 6
		period += time.Duration((rand.Float64()*0.4 - 0.2) * float64(period)) //nolint:gosec // G404: jitter, not a secret
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
		if _, err := j.RunOnce(ctx); err != nil && ctx.Err() == nil {
			j.log.LogAttrs(ctx, slog.LevelWarn, "health round failed", slog.String("error", err.Error()))
		}
	}
}

// RunOnce runs one round if this process holds the lease: it re-checks the buckets whose status
// is due, at most Concurrency at a time.
func (j *HealthJob) RunOnce(ctx context.Context) (HealthRound, error) {
	now := j.now()
	held, err := j.leases.TryAcquire(ctx, healthLease, j.holder, now, j.interval)
	if err != nil || !held {
		return HealthRound{}, err
	}
	due, err := j.source.DueForCheck(ctx, now.Add(-j.interval), healthBatch)
	if err != nil {
		return HealthRound{}, err
	}
	var (
		round HealthRound
		mu    sync.Mutex
		wg    sync.WaitGroup
		slots = make(chan struct{}, j.concurrency)
	)
	for _, b := range due {
		provider := string(b.StorageType) + " " + b.Endpoint
		if j.backingOff(provider, now) {
			round.BackedOff++
			continue
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			outcome := j.checkSafely(ctx, b, provider)
			mu.Lock()
			defer mu.Unlock()
			round.Checked++
			switch outcome {
			case domain.StatusOnline:
				round.Online++
			case domain.StatusOffline:
				round.Offline++
			default:
				round.Transient++
			}
		})
	}
	wg.Wait()
	j.log.LogAttrs(ctx, slog.LevelInfo, "health round", slog.Int("checked", round.Checked), slog.Int("online", round.Online),
		slog.Int("offline", round.Offline), slog.Int("transient", round.Transient), slog.Int("backed_off", round.BackedOff))
	return round, nil
}

// checkSafely is check on a goroutine of the job's own, where nothing else would stop a panic
// from ending the process, with no request in sight: a panic (a bug; the validators already
// turn their SDKs' panics into errors) is logged once with its stack, and its value only when
// it is a runtime error, since any other value could hold a bucket's credentials. The check
// counts as transient.
func (j *HealthJob) checkSafely(ctx context.Context, b domain.Bucket, provider string) (status domain.Status) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		j.log.LogAttrs(ctx, slog.LevelError, "panic in health check", slog.String("bucket_id", b.ID),
			slog.String("panic", domain.PanicSummary(v)), slog.String("stack", string(debug.Stack())))
		status = ""
	}()
	return j.check(ctx, b, provider)
}

// check validates one bucket's stored credentials and records the status it proves, with the
// failed check's message when there is one. A transient failure records nothing and backs the
// provider off; the result is then "".
func (j *HealthJob) check(ctx context.Context, b domain.Bucket, provider string) domain.Status {
	out, err := j.buckets.validateStored(ctx, b)
	if err == nil && out.Failure != nil && transient(out.Failure.Kind) {
		j.failed(provider)
		return ""
	}
	if err != nil {
		j.log.LogAttrs(ctx, slog.LevelWarn, "health check failed", slog.String("bucket_id", b.ID), slog.String("error", err.Error()))
		return ""
	}
	j.recovered(provider)
	status := out.Status()
	if err := j.buckets.recordStatus(ctx, b, out.StatusRecord(j.now())); err != nil {
		// A conflict means the bucket changed since it was read: its new values are checked later.
		if !domain.IsKind(err, domain.KindConflict) {
			j.log.LogAttrs(ctx, slog.LevelWarn, "health check failed", slog.String("bucket_id", b.ID), slog.String("error", err.Error()))
		}
		return ""
	}
	// Only a change is audited: a bucket re-checked every few hours would otherwise fill the
	// trail with the same verdict.
	if status != b.Status {
		var failure error
		if out.Failure != nil {
			failure = out.Failure
			// The bucket answers why in its status message; the operator's log says it too, in
			// the same caller-facing words a validation answers (hints, never a secret).
			j.log.LogAttrs(ctx, slog.LevelWarn, "bucket offline", slog.String("bucket_id", b.ID),
				slog.String("kind", out.Failure.Kind.String()), slog.String("reason", out.Failure.Message))
		}
		recordAudit(ctx, j.buckets.audit, j.log, domain.NewAuditEvent(ctx, j.now(), domain.AuditHealthCheck, b.OrgID, "", b.ID, failure))
	}
	return status
}

// transient kinds say the provider is struggling, not that the credentials are wrong.
func transient(k domain.Kind) bool {
	return k == domain.KindProviderError || k == domain.KindProviderTimeout
}

func (j *HealthJob) backingOff(provider string, now time.Time) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return now.Before(j.backoff[provider].until)
}

// failed doubles the provider's back-off, from a minute up to the interval.
func (j *HealthJob) failed(provider string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	b := j.backoff[provider]
	b.wait = min(max(2*b.wait, time.Minute), j.interval)
	b.until = j.now().Add(b.wait)
	j.backoff[provider] = b
}

func (j *HealthJob) recovered(provider string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.backoff, provider)
}

// validateStored runs the provider checks on a bucket's stored values, read-only.
func (s *Buckets) validateStored(ctx context.Context, b domain.Bucket) (ValidationOutcome, error) {
	creds, err := s.credentials(ctx, b, nil, nil)
	if err != nil {
		return ValidationOutcome{}, err
	}
	return s.validateWith(ctx, b, creds)
}
