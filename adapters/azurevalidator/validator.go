// Package azurevalidator proves that Azure Blob Storage credentials work before bucketd stores
// them: a storage account name and its account key, a service principal (an Entra application's
// client secret, exchanged for a storage token at the configured authority), or a shared access
// signature for a container or the account. It asks the blob service the read-only
// questions a container user needs answered (is the service reachable, does it accept the key,
// does the container exist, may the account list it) and, on request, writes and removes a
// probe blob. It speaks to Azure, Azure Stack Hub and the Azurite emulator alike; see
// serviceURL for how a custom endpoint is read. The target's region is not compared: the blob
// service does not report an account's location. Every failure is classified into a domain error
// whose message names the check and what to change, and never shows the account key, the client
// secret, a token or the SAS.
package azurevalidator

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// DefaultAuthorityHost is Microsoft Entra ID's authority host in Azure's public cloud, where
// service principals get their tokens unless Config.AuthorityHost names another.
const DefaultAuthorityHost = "https://login.microsoftonline.com/"

// Config holds what a Validator needs.
type Config struct {
	// HTTPClient carries every request, the token requests to the authority included. Build it
	// on netguard.NewTransport so each connection passes the SSRF guard, and share it: it pools
	// connections. Required.
	HTTPClient *http.Client
	// AllowList is BUCKETD_ENDPOINT_ALLOWLIST; it decides which custom endpoints may use plain
	// http. Give the transport's dialer the same list.
	AllowList netguard.AllowList
	// Timeout bounds one whole validation, a token request included; zero means
	// providercheck.DefaultTimeout.
	Timeout time.Duration
	// AuthorityHost is the Microsoft Entra ID authority host (scheme and host only, https)
	// that service principals get their tokens from: the sovereign clouds' and private
	// deployments' differ. Empty means DefaultAuthorityHost. It comes from the server's
	// configuration only, never from a caller, who would otherwise choose where bucketd sends
	// client secrets.
	AuthorityHost string
	// Logger receives one debug line per validation (the application logs the outcome at
	// info); nil discards them.
	Logger *slog.Logger
}

// Validator validates Azure Blob Storage credentials. It is safe for concurrent use.
type Validator struct {
	clientOptions container.ClientOptions
	httpClient    *http.Client
	allow         netguard.AllowList
	timeout       time.Duration
	// authority is the Entra authority host, with a final slash; authorityWhere names it in
	// messages.
	authority      string
	authorityWhere string
	tokens         *tokenCache
	log            *slog.Logger
}

var _ ports.CredentialValidator = (*Validator)(nil)

// New returns a Validator, or an error when the configuration is unusable.
func New(cfg Config) (*Validator, error) {
	opts, err := providercheck.Options{
		HTTPClient: cfg.HTTPClient, AllowList: cfg.AllowList, Timeout: cfg.Timeout, Logger: cfg.Logger,
	}.Normalize("azurevalidator")
	if err != nil {
		return nil, err
	}
	authority, err := checkAuthorityHost(cmp.Or(cfg.AuthorityHost, DefaultAuthorityHost))
	if err != nil {
		return nil, err
	}
	v := &Validator{
		clientOptions: container.ClientOptions{ClientOptions: azcore.ClientOptions{
			Transport: opts.HTTPClient,
			// A wrong key must fail fast, and every failure is reported to a person who can retry.
			Retry: policy.RetryOptions{MaxRetries: -1},
		}},
		httpClient:     opts.HTTPClient,
		allow:          opts.AllowList,
		timeout:        opts.Timeout,
		authority:      authority,
		authorityWhere: "Microsoft Entra ID",
		tokens:         newTokenCache(maxCachedTokens, time.Now),
		log:            opts.Logger,
	}
	if authority != DefaultAuthorityHost {
		v.authorityWhere = "the Entra authority " + strings.TrimSuffix(authority, "/")
	}
	return v, nil
}

// checkAuthorityHost accepts an authority host that is https and nothing but an origin (MSAL
// reads the first path segment as the tenant), and returns it with a final slash.
func checkAuthorityHost(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.Trim(u.Path, "/") != "" ||
		u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(raw, "?#") {
		return "", fmt.Errorf("azurevalidator: Config.AuthorityHost %q must be an https origin (scheme and host only), e.g. %s", raw, DefaultAuthorityHost)
	}
	return "https://" + strings.ToLower(u.Host) + "/", nil
}

// Validate runs every check against the blob service within the configured deadline (or
// ctx's, if sooner) and reports each one. The error is nil only when no check failed;
// otherwise it is the *domain.Error of the first failed check, in report order. A panic in the
// SDK is that error too.
func (v *Validator) Validate(ctx context.Context, target domain.ValidationTarget) (_ domain.ValidationReport, err error) {
	defer providercheck.RecoverValidation(ctx, v.log, "the Azure validation", &err)
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()

	if target.StorageType != domain.StorageAzure {
		return domain.ValidationReport{}, domain.Errorf(domain.KindInternal,
			"azurevalidator cannot validate %s buckets", target.StorageType)
	}
	var r *providercheck.Report
	where := "(refused)"
	p, refusedCheck, err := v.newProbe(ctx, target)
	if err == nil {
		r, where = p.run(ctx), p.where
	} else {
		r = refusedReport(target.Mode, refusedCheck, err)
	}
	out := domain.ValidationReport{Checks: r.Finish(), Latency: time.Since(start)}
	failure := r.Failure()
	v.logOutcome(ctx, target, where, out, failure)
	if failure != nil {
		return out, failure
	}
	return out, nil
}

// newProbe checks the target and builds the container client for it, with the credentials of
// its kind (see authorize); when the target is refused it names the check the refusal belongs
// to. The client is cheap: it shares the HTTP client and so the connection pool.
func (v *Validator) newProbe(ctx context.Context, t domain.ValidationTarget) (*probe, string, error) {
	a, refusedCheck, err := v.authorize(ctx, t)
	if err != nil {
		return nil, refusedCheck, err
	}
	return &probe{
		client:        a.client,
		accountClient: a.accountClient,
		target:        t,
		account:       a.account,
		where:         a.service,
		public:        t.Endpoint == "",
		auth:          a.scheme,
		timeout:       v.timeout,
		log:           v.log,
	}, "", nil
}

// logOutcome writes the validation's debug line. It names the account only when the key is a
// well-formed account name: a caller who swapped the fields has put the account key there.
func (v *Validator) logOutcome(ctx context.Context, t domain.ValidationTarget, where string, r domain.ValidationReport, err *domain.Error) {
	attrs := []slog.Attr{
		slog.String("container", t.Bucket),
		slog.String("service", where),
		slog.Duration("latency", r.Latency),
	}
	if checkAccountName(t.Credentials.Key.Reveal()) == nil {
		attrs = append(attrs, slog.String("account", t.Credentials.Key.Reveal()))
	}
	if err != nil {
		attrs = append(attrs, slog.String("kind", err.Kind.String()), slog.String("error", err.Error()))
		v.log.LogAttrs(ctx, slog.LevelDebug, "azure validation failed", attrs...)
		return
	}
	v.log.LogAttrs(ctx, slog.LevelDebug, "azure validation passed", attrs...)
}
