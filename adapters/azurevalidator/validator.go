// Package azurevalidator proves that Azure Blob Storage credentials (a storage account name and
// its account key) work before bucketd stores them: it asks the blob service the read-only
// questions a container user needs answered (is the service reachable, does it accept the key,
// does the container exist, may the account list it) and, on request, writes and removes a
// probe blob. It speaks to Azure, Azure Stack Hub and the Azurite emulator alike; see
// serviceURL for how a custom endpoint is read. The target's region is not compared: the blob
// service does not report an account's location. Every failure is classified into a domain error
// whose message names the check and what to change, and never shows the account key.
package azurevalidator

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Config holds what a Validator needs: the settings every validator takes, documented on
// providercheck.Options; Azure needs nothing of its own.
type Config providercheck.Options

// Validator validates Azure Blob Storage credentials. It is safe for concurrent use.
type Validator struct {
	clientOptions container.ClientOptions
	allow         netguard.AllowList
	timeout       time.Duration
	log           *slog.Logger
}

var _ ports.CredentialValidator = (*Validator)(nil)

// New returns a Validator, or an error when the configuration is unusable.
func New(cfg Config) (*Validator, error) {
	opts, err := providercheck.Options(cfg).Normalize("azurevalidator")
	if err != nil {
		return nil, err
	}
	return &Validator{
		clientOptions: container.ClientOptions{ClientOptions: azcore.ClientOptions{
			Transport: opts.HTTPClient,
			// A wrong key must fail fast, and every failure is reported to a person who can retry.
			Retry: policy.RetryOptions{MaxRetries: -1},
		}},
		allow:   opts.AllowList,
		timeout: opts.Timeout,
		log:     opts.Logger,
	}, nil
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
	p, refusedCheck, err := v.newProbe(target)
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

// newProbe checks the target and builds the container client for it; when the target is
// refused it names the check the refusal belongs to. The client is cheap: it shares the HTTP
// client and so the connection pool; only the credentials and URL differ.
func (v *Validator) newProbe(t domain.ValidationTarget) (*probe, string, error) {
	account := t.Credentials.Key.Reveal()
	if err := checkAccountName(account); err != nil {
		return nil, checkAuth, err
	}
	cred, err := sharedKey(account, t.Credentials.Secret.Reveal())
	if err != nil {
		return nil, checkAuth, err
	}
	service, err := serviceURL(t.Endpoint, account, v.allow)
	if err != nil {
		return nil, checkConnect, err
	}
	client, err := container.NewClientWithSharedKeyCredential(service+"/"+url.PathEscape(t.Bucket), cred, &v.clientOptions)
	if err != nil {
		return nil, checkConnect, domain.Wrap(domain.KindInternal, err, checkConnect+": the blob client could not be built")
	}
	return &probe{
		client:  client,
		target:  t,
		account: account,
		where:   service,
		public:  t.Endpoint == "",
		timeout: v.timeout,
		log:     v.log,
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
