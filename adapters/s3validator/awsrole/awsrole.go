// Package awsrole assumes the IAM roles organizations grant bucketd (credential kind AWS_ROLE):
// it asks AWS STS for temporary credentials with bucketd's own AWS identity, presenting the
// organization's ExternalId, and keeps them until shortly before they expire. bucketd's
// identity comes from the server's configuration (the SDK's standard chain), never from a
// caller; so does the STS endpoint, and every STS request goes through the SSRF-guarded client.
// Every STS answer is classified into a *domain.Error whose message says what to change: an
// AccessDenied names the trust-policy condition the role needs.
package awsrole

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// DefaultRegion is the region bucketd signs STS requests for, and whose regional STS endpoint
// it uses, when the configuration names neither.
const DefaultRegion = "us-east-1"

// sessionDuration is how long assumed credentials last: STS's minimum, so a credential that
// leaks from memory is worth little, and a role whose trust is withdrawn stops working soon.
const sessionDuration = 15 * time.Minute

// renewBefore is how long before they expire cached credentials are replaced, so a validation
// never starts with credentials that expire during it.
const renewBefore = time.Minute

// DefaultMaxEntries bounds the cache when Config.MaxEntries is zero.
const DefaultMaxEntries = 1024

// Config is what an Assumer needs.
type Config struct {
	// HTTPClient carries every STS request: the SSRF-guarded client the validators share.
	// Required.
	HTTPClient *http.Client
	// Identity is bucketd's own AWS identity (config.LoadDefaultConfig's Credentials); nil
	// means bucketd has none, and every role assumption is refused saying so.
	Identity aws.CredentialsProvider
	// Endpoint is the STS endpoint (--aws-sts-endpoint); empty means the SDK's regional one.
	Endpoint string
	// Region is the region STS requests are signed for; empty means DefaultRegion.
	Region string
	// MaxEntries bounds how many assumed roles are cached; zero means DefaultMaxEntries.
	MaxEntries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Timeout bounds one STS request, and is what a message about a silent STS names; zero
	// means providercheck.DefaultTimeout. Give it the validators' timeout.
	Timeout time.Duration
}

// Role is one role to assume for one organization.
type Role struct {
	// ARN is the role's ARN, from the caller.
	ARN domain.Secret
	// ExternalID is the organization's ExternalId, from bucketd's store.
	ExternalID string
	// OrgID names the organization in the session name, so the role's owner sees in CloudTrail
	// whose bucket bucketd checked.
	OrgID string
}

// Assumer assumes roles and caches what it got. It is safe for concurrent use.
type Assumer struct {
	client *sts.Client
	// identity is bucketd's own; nil when it has none.
	identity aws.CredentialsProvider
	// where names STS in messages: the configured endpoint, or "AWS STS".
	where   string
	timeout time.Duration
	now     func() time.Time
	cache   *cache

	principalOnce sync.Mutex
	principal     string
}

// New returns an Assumer, or an error when the configuration is unusable.
func New(cfg Config) (*Assumer, error) {
	if cfg.HTTPClient == nil {
		return nil, errors.New("awsrole: Config.HTTPClient is required (the SSRF-guarded client)")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.MaxEntries < 0 {
		return nil, errors.New("awsrole: Config.MaxEntries must not be negative")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("awsrole: Config.Timeout must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = providercheck.DefaultTimeout
	}
	opts := sts.Options{
		Region:      cfg.Region,
		Credentials: cfg.Identity,
		HTTPClient:  cfg.HTTPClient,
		Retryer:     aws.NopRetryer{},
	}
	where := "AWS STS"
	if cfg.Endpoint != "" {
		opts.BaseEndpoint, where = aws.String(cfg.Endpoint), cfg.Endpoint
	}
	return &Assumer{client: sts.New(opts), identity: cfg.Identity, where: where, timeout: cfg.Timeout, now: cfg.Now,
		cache: newCache(cfg.MaxEntries)}, nil
}

// roleARNShape is the shape of an IAM role's ARN in any partition.
var roleARNShape = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)

// Assume returns credentials of role: cached ones while they have more than renewBefore left,
// else fresh ones from STS. Concurrent callers for the same role share one AssumeRole request.
// The error is a *domain.Error whose message starts with check.
func (a *Assumer) Assume(ctx context.Context, check string, role Role) (aws.Credentials, error) {
	if !roleARNShape.MatchString(role.ARN.Reveal()) {
		return aws.Credentials{}, domain.Errorf(domain.KindInvalidInput,
			"%s: key %s is not an IAM role ARN; give the role's ARN, arn:aws:iam::ACCOUNT:role/NAME", check, role.ARN.Hint())
	}
	if role.ExternalID == "" {
		return aws.Credentials{}, domain.Errorf(domain.KindInternal, "%s: the organization's ExternalId was not filled in", check)
	}
	if !a.hasIdentity(ctx) {
		return aws.Credentials{}, domain.Errorf(domain.KindProviderError,
			"%s: this bucketd has no AWS identity of its own to assume role %s with; its operator must configure one "+
				"(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role)", check, role.ARN.Hint())
	}
	key := cacheKey{arn: role.ARN.Reveal(), externalID: role.ExternalID, orgID: role.OrgID}
	return a.cache.get(ctx, key, a.now, func(ctx context.Context) (aws.Credentials, error) {
		return a.assume(ctx, check, role)
	})
}

// assume asks STS for fresh credentials of role.
func (a *Assumer) assume(ctx context.Context, check string, role Role) (aws.Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	out, err := a.client.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(role.ARN.Reveal()),
		RoleSessionName: aws.String(sessionName(role.OrgID)),
		ExternalId:      aws.String(role.ExternalID),
		DurationSeconds: aws.Int32(int32(sessionDuration / time.Second)),
	})
	if err != nil {
		return aws.Credentials{}, a.refusal(ctx, check, role, err)
	}
	c := out.Credentials
	if c == nil || aws.ToString(c.AccessKeyId) == "" || aws.ToString(c.SecretAccessKey) == "" ||
		aws.ToString(c.SessionToken) == "" || c.Expiration == nil {
		return aws.Credentials{}, domain.Errorf(domain.KindProviderError,
			"%s: %s answered AssumeRole without complete credentials; is the endpoint an STS API?", check, a.where)
	}
	return aws.Credentials{
		AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), CanExpire: true, Expires: *c.Expiration, Source: "bucketd AssumeRole",
	}, nil
}

// hasIdentity reports whether bucketd's own credentials can be had: the standard chain finds
// none on a host that configured none, which is no reason to ask STS.
func (a *Assumer) hasIdentity(ctx context.Context) bool {
	if a.identity == nil {
		return false
	}
	_, err := a.identity.Retrieve(ctx)
	return err == nil
}

// sessionName is the RoleSessionName: bucketd and the organization, within STS's 64 characters.
func sessionName(orgID string) string {
	name := "bucketd"
	if orgID != "" && domain.IsID(orgID) {
		name += "-" + orgID
	}
	return name
}

// Principal is bucketd's own AWS identity as STS GetCallerIdentity names it, learned once;
// "" when STS cannot be asked or answers nothing usable.
func (a *Assumer) Principal(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	a.principalOnce.Lock()
	defer a.principalOnce.Unlock()
	if a.principal != "" || !a.hasIdentity(ctx) {
		return a.principal
	}
	out, err := a.client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil && arnShape.MatchString(aws.ToString(out.Arn)) {
		a.principal = aws.ToString(out.Arn)
	}
	return a.principal
}

// arnShape keeps a GetCallerIdentity answer that can be an ARN, and only such, for messages.
var arnShape = regexp.MustCompile(`^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[\w+=,.@/-]{1,512}$`)
