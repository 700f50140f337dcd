// Package s3validator proves that S3 credentials work before bucketd stores them: it asks the
// provider (AWS S3 or any S3-compatible endpoint) the read-only questions a bucket user needs
// answered (can these keys authenticate, does the bucket exist, may they list it, is it in the
// stated region) and, on request, writes and removes a probe object. It finds the addressing
// style that works (path-style first on a custom endpoint, virtual-hosted first on AWS, the
// other one when the first is refused) and reports it. Every failure is classified into a
// domain error whose message names the check and what to change, and shows the access key only
// as its hint.
package s3validator

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/adapters/s3validator/awsrole"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Config holds what a Validator needs: the settings every validator takes, documented on
// providercheck.Options; S3 needs nothing of its own.
type Config providercheck.Options

// Validator validates S3 credentials. It is safe for concurrent use.
type Validator struct {
	httpClient *http.Client
	allow      netguard.AllowList
	timeout    time.Duration
	log        *slog.Logger
	// roles assumes AWS_ROLE credentials' roles; nil refuses them.
	roles *awsrole.Assumer
}

// Option customizes a Validator built by New.
type Option func(*Validator)

// WithRoles lets the Validator accept AWS_ROLE credentials, assuming their roles through roles.
func WithRoles(roles *awsrole.Assumer) Option {
	return func(v *Validator) { v.roles = roles }
}

var _ ports.CredentialValidator = (*Validator)(nil)

// New returns a Validator, or an error when the configuration is unusable.
func New(cfg Config, options ...Option) (*Validator, error) {
	opts, err := providercheck.Options(cfg).Normalize("s3validator")
	if err != nil {
		return nil, err
	}
	v := &Validator{httpClient: opts.HTTPClient, allow: opts.AllowList, timeout: opts.Timeout, log: opts.Logger}
	for _, o := range options {
		o(v)
	}
	return v, nil
}

// Validate runs every check against the provider within the configured deadline (or ctx's, if
// sooner) and reports each one. The error is nil only when no check failed; otherwise it is the
// *domain.Error of the first failed check, in report order. A panic in the SDK is that error too.
func (v *Validator) Validate(ctx context.Context, target domain.ValidationTarget) (_ domain.ValidationReport, err error) {
	defer providercheck.RecoverValidation(ctx, v.log, "the S3 validation", &err)
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()

	if target.StorageType != domain.StorageS3 {
		return domain.ValidationReport{}, domain.Errorf(domain.KindInternal,
			"s3validator cannot validate %s buckets", target.StorageType)
	}
	var r *report
	endpoint := "(refused)"
	p, refusedCheck, err := v.newProbe(ctx, target)
	if err == nil {
		r, endpoint = p.run(ctx), aws.ToString(p.options.BaseEndpoint)
	} else {
		r = newReport(target.Mode)
		r.Fail(refusedCheck, "", err)
	}
	out := domain.ValidationReport{Checks: r.Finish(), Region: r.region, AddressingStyle: r.style, Latency: time.Since(start)}
	failure := r.Failure()
	v.logOutcome(ctx, target, endpoint, out, failure)
	if failure != nil {
		return out, failure
	}
	return out, nil
}

// newProbe checks the target and prepares the S3 client options for it; when the target is
// refused it names the check the refusal belongs to. The clients built from them are cheap:
// they share the HTTP client and so the connection pool; only the credentials and endpoint differ.
func (v *Validator) newProbe(ctx context.Context, t domain.ValidationTarget) (*probe, string, error) {
	region := t.Region
	if region == "" {
		region = unknownRegion
	} else if err := checkRegionName(region); err != nil {
		return nil, checkRegion, err
	}
	opts := s3.Options{
		Region:     region,
		HTTPClient: v.httpClient,
		// A wrong key must fail fast, and every failure is reported to a person who can retry.
		Retryer: aws.NopRetryer{},
		// Many S3-compatible services reject the optional CRC trailers newer SDKs send by default.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	p := &probe{target: t, kind: t.Credentials.Kind.OrDefault(), keyHint: t.Credentials.Key.Hint(), where: "AWS S3",
		timeout: v.timeout, log: v.log}
	var endpoint string
	if t.Endpoint != "" {
		u, err := netguard.CheckEndpoint(t.Endpoint, v.allow)
		if err != nil {
			return nil, checkConnect, providercheck.InCheck(checkConnect, err)
		}
		endpoint = u.String()
		opts.BaseEndpoint = aws.String(endpoint)
		p.custom, p.where = true, endpoint
	}
	creds, err := v.credentials(ctx, t)
	if err != nil {
		return nil, checkAuth, err
	}
	opts.Credentials = creds
	p.options, p.endpoint = opts, endpoint
	p.signFor(region)
	return p, "", nil
}

// logOutcome writes the validation's debug line. endpoint is the custom endpoint as checked
// (scheme, host and port), "" for AWS, so nothing a refused endpoint carried (user info, a
// query, a fragment) reaches the log.
func (v *Validator) logOutcome(ctx context.Context, t domain.ValidationTarget, endpoint string, r domain.ValidationReport, err *domain.Error) {
	attrs := []slog.Attr{
		slog.String("bucket", t.Bucket),
		slog.String("endpoint", endpoint),
		slog.String("region", t.Region),
		slog.String("key_hint", t.Credentials.Key.Hint()),
		slog.String("credential_kind", string(t.Credentials.Kind.OrDefault())),
		slog.Duration("latency", r.Latency),
	}
	if err != nil {
		attrs = append(attrs, slog.String("kind", err.Kind.String()), slog.String("error", err.Error()))
		v.log.LogAttrs(ctx, slog.LevelDebug, "s3 validation failed", attrs...)
		return
	}
	v.log.LogAttrs(ctx, slog.LevelDebug, "s3 validation passed", attrs...)
}
