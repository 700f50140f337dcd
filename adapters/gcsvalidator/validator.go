// Package gcsvalidator proves that Google Cloud Storage credentials work before bucketd stores
// them. The credentials are a service account's client email (key) and private key (secret),
// or its whole JSON key file in secret. The validator asks the JSON API, in two concurrent
// requests, whether the bucket exists, where it is, and which of the permissions a bucket user
// needs the account holds (testIamPermissions, so even a readwrite validation changes nothing).
//
// The requests carry a JWT the key signs itself, as Google's own clients do, so a validation
// costs one round trip; but such a JWT must name the key's id. A key file names it
// (private_key_id). A bare PEM key does not, so the first validation of one trades a signed
// assertion for an access token at Google's token endpoint and asks the API with that token
// (two round trips), while it reads, concurrently and at no cost in latency, the account's
// public key list, which Google publishes for every service account without authentication.
// When the list names the key and the token endpoint accepted it, the validator remembers the
// id in a small in-memory cache, keyed by client email and public key digest: every later
// validation of that key is signed like a key file's, one round trip. Should Google refuse
// such a JWT (the key was deleted, or the id is stale), the id is forgotten and the same
// validation starts again with the token exchange, whose verdict it reports, exactly as
// before the cache. So a cached id never makes a working key fail or a broken one pass, and a
// key list that is down, slow or garbled only leaves validations at two round trips. HMAC
// access ids (GOOG…) are validated through the S3-interoperable XML API by the S3 validator.
//
// Only the given credentials are ever used: never the server's own (application default)
// credentials. Every request, the token exchange and the key list included, goes through the
// one SSRF-guarded HTTP client, and no request is retried, so a bad key fails fast.
package gcsvalidator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Defaults for the Config fields left empty.
const (
	DefaultTokenURL    = "https://oauth2.googleapis.com/token" //nolint:gosec // G101: Google's public token endpoint, not a credential
	DefaultAPIEndpoint = "https://storage.googleapis.com"
	// DefaultCertsURL lists a service account's public keys as a JSON Web Key Set when the
	// client email is appended.
	DefaultCertsURL = "https://www.googleapis.com/service_accounts/v1/metadata/jwk/"
)

// Config holds what a Validator needs.
type Config struct {
	// HTTPClient carries every request, the OAuth token exchange included. Build it on
	// netguard.NewTransport so each connection passes the SSRF guard, and share it: it pools
	// connections. Required, with a non-nil Transport.
	HTTPClient *http.Client
	// AllowList is BUCKETD_ENDPOINT_ALLOWLIST; it decides which custom endpoints may use plain
	// http. Give the transport's dialer the same list.
	AllowList netguard.AllowList
	// Timeout bounds one whole validation; zero means providercheck.DefaultTimeout.
	Timeout time.Duration
	// TokenURL is the OAuth 2.0 token endpoint, asked for access tokens for bare PEM keys (key
	// files need none); empty means DefaultTokenURL. Only tests and private deployments change
	// it. The token_uri inside a caller's key file is never used: it would let a caller point
	// bucketd anywhere.
	TokenURL string
	// CertsURL is the base URL of the service accounts' public key lists: the client email,
	// path-escaped, is appended to it, and the answer must be a JSON Web Key Set naming each
	// key by its key id, as Google's is. A bare PEM key's id is looked up there, so that it
	// can be validated like a key file. Empty means DefaultCertsURL; a missing final slash is
	// added. Only tests and private deployments change it.
	CertsURL string
	// APIEndpoint is the Cloud Storage origin (scheme, host, port) used when a target names
	// none; empty means DefaultAPIEndpoint. It also serves the XML API that HMAC keys are
	// validated against.
	APIEndpoint string
	// HMAC validates GCS HMAC keys (access ids starting with GOOG) through the S3-interoperable
	// XML API; it is the S3 validator. Optional: without it such keys are refused with a
	// message saying what to use instead.
	HMAC ports.CredentialValidator
	// Identity is bucketd's own Google identity, a service-account JSON key file from the
	// server's configuration, never from a caller. With it, GCS_IMPERSONATION credentials (a
	// service account's email) are validated with a token bucketd's own account mints for
	// that account through the IAM Credentials API; without it they are refused.
	Identity domain.Secret
	// IAMCredentialsURL is the IAM Service Account Credentials API origin (scheme, host,
	// port) impersonation mints tokens at; empty means DefaultIAMCredentialsURL. Only tests
	// and private deployments change it. bucketd's own token comes from TokenURL.
	IAMCredentialsURL string
	// Logger receives one debug line per validation (the application logs the outcome at
	// info); nil discards them.
	Logger *slog.Logger
}

// Validator validates GCS credentials. It is safe for concurrent use.
type Validator struct {
	httpClient *http.Client
	allow      netguard.AllowList
	timeout    time.Duration
	tokenURL   string
	certsURL   string
	// tokenWhere and apiWhere name the default endpoints in messages.
	tokenWhere  string
	apiEndpoint string
	apiWhere    string
	hmac        ports.CredentialValidator
	log         *slog.Logger
	// keyIDs remembers the key ids of bare PEM keys; lookups tracks their background lookups,
	// so tests can wait for them.
	keyIDs  *keyIDCache
	lookups sync.WaitGroup
	// imp mints tokens for impersonated accounts; nil when the server has no identity of its
	// own. now is the clock its caches read.
	imp *impersonator
	now func() time.Time
}

var _ ports.CredentialValidator = (*Validator)(nil)

// New returns a Validator, or an error when the configuration is unusable.
func New(cfg Config) (*Validator, error) {
	if cfg.HTTPClient == nil || cfg.HTTPClient.Transport == nil {
		return nil, errors.New("gcsvalidator: Config.HTTPClient with a Transport is required (build it on netguard.NewTransport)")
	}
	opts, err := providercheck.Options{
		HTTPClient: cfg.HTTPClient, AllowList: cfg.AllowList, Timeout: cfg.Timeout, Logger: cfg.Logger,
	}.Normalize("gcsvalidator")
	if err != nil {
		return nil, err
	}
	v := &Validator{ //nolint:gosec // G101: tokenURL and tokenWhere name an endpoint, they hold no credential
		httpClient:  opts.HTTPClient,
		allow:       opts.AllowList,
		timeout:     opts.Timeout,
		tokenURL:    cmp.Or(cfg.TokenURL, DefaultTokenURL),
		certsURL:    cmp.Or(cfg.CertsURL, DefaultCertsURL),
		tokenWhere:  "Google's token endpoint",
		apiEndpoint: strings.TrimSuffix(cmp.Or(cfg.APIEndpoint, DefaultAPIEndpoint), "/"),
		apiWhere:    "Google Cloud Storage",
		hmac:        cfg.HMAC,
		log:         opts.Logger,
		keyIDs:      newKeyIDCache(),
		now:         time.Now,
	}
	if !cfg.Identity.IsZero() {
		if v.imp, err = newImpersonator(cfg.Identity, cmp.Or(cfg.IAMCredentialsURL, DefaultIAMCredentialsURL), func() time.Time { return v.now() }); err != nil {
			return nil, err
		}
	}
	if err := checkConfigURL("TokenURL", v.tokenURL, false); err != nil {
		return nil, err
	}
	if err := checkBaseURL("CertsURL", v.certsURL); err != nil {
		return nil, err
	}
	if !strings.HasSuffix(v.certsURL, "/") {
		v.certsURL += "/"
	}
	if err := checkConfigURL("APIEndpoint", v.apiEndpoint, true); err != nil {
		return nil, err
	}
	if v.tokenURL != DefaultTokenURL {
		v.tokenWhere = "the token endpoint " + v.tokenURL
	}
	if v.apiEndpoint != DefaultAPIEndpoint {
		v.apiWhere = v.apiEndpoint
	}
	return v, nil
}

// checkConfigURL refuses an operator-supplied URL that is not absolute http(s), or when origin
// is set, that has more than scheme, host and port.
func checkConfigURL(field, raw string, origin bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("gcsvalidator: Config.%s %q must be an absolute http(s) URL", field, raw)
	}
	if origin && (u.Path != "" || u.RawQuery != "" || u.User != nil) {
		return fmt.Errorf("gcsvalidator: Config.%s %q must be scheme, host and port only, e.g. %s", field, raw, DefaultAPIEndpoint)
	}
	return nil
}

// checkBaseURL refuses an operator-supplied base URL that is not absolute http(s) or that a
// path segment cannot be appended to: one with a query, a fragment or user info.
func checkBaseURL(field, raw string) error {
	if err := checkConfigURL(field, raw, false); err != nil {
		return err
	}
	if u, _ := url.Parse(raw); u.User != nil || strings.ContainsAny(raw, "?#") {
		return fmt.Errorf("gcsvalidator: Config.%s %q must be a base URL without user info, query or fragment, e.g. %s", field, raw, DefaultCertsURL)
	}
	return nil
}

// Validate runs every check against the provider within the configured deadline (or ctx's, if
// sooner) and reports each one. The error is nil only when no check failed; otherwise it is the
// *domain.Error of the first failed check, in report order. A panic in the SDK is that error too.
func (v *Validator) Validate(ctx context.Context, target domain.ValidationTarget) (_ domain.ValidationReport, err error) {
	defer providercheck.RecoverValidation(ctx, v.log, "the GCS validation", &err)
	if target.StorageType != domain.StorageGCS {
		return domain.ValidationReport{}, domain.Errorf(domain.KindInternal,
			"gcsvalidator cannot validate %s buckets", target.StorageType)
	}
	kind := target.Credentials.Kind.OrDefault()
	if kind == domain.CredentialKeySecret && isHMACAccessID(target.Credentials.Key.Reveal()) && v.hmac != nil {
		return v.validateHMAC(ctx, target)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()

	var r *report
	endpoint := "(refused)"
	p, refusedCheck, err := v.newProbe(target)
	if err == nil {
		r = p.run(ctx)
		endpoint = p.api
	} else {
		r = newReport()
		r.Fail(refusedCheck, "", err)
	}
	out := domain.ValidationReport{Checks: r.Finish(), Region: r.region, Latency: time.Since(start)}
	failure := r.Failure()
	v.logOutcome(ctx, target, endpoint, out, failure)
	if failure != nil {
		return out, failure
	}
	return out, nil
}

// newProbe checks the target and reads its credentials; when the target is refused it names
// the check the refusal belongs to.
func (v *Validator) newProbe(t domain.ValidationTarget) (*probe, string, error) {
	p := &probe{v: v, target: t, api: v.apiEndpoint, where: v.apiWhere}
	if t.Endpoint != "" {
		u, err := netguard.CheckEndpoint(t.Endpoint, v.allow)
		if err != nil {
			return nil, checkConnect, providercheck.InCheck(checkConnect, err)
		}
		p.api, p.where = u.String(), u.String()
	}
	if kind := t.Credentials.Kind.OrDefault(); kind != domain.CredentialKeySecret {
		if err := p.impersonate(kind); err != nil {
			return nil, checkAuth, err
		}
		return p, "", nil
	}
	sa, err := parseServiceAccount(t.Credentials)
	if err != nil {
		return nil, checkAuth, err
	}
	p.account = sa
	if sa.keyID == "" {
		if ref, err := refOf(sa); err == nil {
			p.ref = &ref
		}
	}
	return p, "", nil
}

// validateHMAC validates an HMAC key through the XML API, which speaks S3: the S3 validator
// does the work against the target's endpoint or Google's.
func (v *Validator) validateHMAC(ctx context.Context, t domain.ValidationTarget) (domain.ValidationReport, error) {
	s3Target := t
	s3Target.StorageType = domain.StorageS3
	s3Target.Endpoint = cmp.Or(t.Endpoint, v.apiEndpoint)
	return v.hmac.Validate(ctx, s3Target)
}

// logOutcome writes the validation's debug line. endpoint is the API endpoint as checked, so a
// password in a refused endpoint's user info never reaches the log.
func (v *Validator) logOutcome(ctx context.Context, t domain.ValidationTarget, endpoint string, r domain.ValidationReport, err *domain.Error) {
	attrs := []slog.Attr{
		slog.String("bucket", t.Bucket),
		slog.String("endpoint", endpoint),
		slog.String("region", t.Region),
		slog.String("key_hint", t.Credentials.Key.Hint()),
		slog.Duration("latency", r.Latency),
	}
	if err != nil {
		attrs = append(attrs, slog.String("kind", err.Kind.String()), slog.String("error", err.Error()))
		v.log.LogAttrs(ctx, slog.LevelDebug, "gcs validation failed", attrs...)
		return
	}
	v.log.LogAttrs(ctx, slog.LevelDebug, "gcs validation passed", attrs...)
}
