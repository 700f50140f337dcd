package gcsvalidator

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/storage"
	"golang.org/x/oauth2"
	"google.golang.org/api/option"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// The permissions testIamPermissions is asked about: what reading a bucket needs, plus what
// writing needs in readwrite mode, with a predefined role that grants them all.
var (
	readPermissions      = []string{"storage.objects.list", "storage.objects.get"}
	readWritePermissions = []string{"storage.objects.list", "storage.objects.get", "storage.objects.create", "storage.objects.delete"}
)

const (
	readRole      = "roles/storage.objectViewer"
	readWriteRole = "roles/storage.objectUser"
)

// probe is one validation in flight.
type probe struct {
	v       *Validator
	target  domain.ValidationTarget
	account serviceAccount
	// ref names the account's key in the key id cache when the credentials name no key id
	// (a bare PEM key); nil otherwise.
	ref *keyRef
	// api is the JSON API origin, and where names it in messages.
	api, where string
	// impersonated is set when account is a service account bucketd impersonates (it has no
	// key then); cachedBearer is the token the last attempt took from the cache of minted
	// tokens, "" when it minted one.
	impersonated bool
	cachedBearer string
}

// run decides every check. A key whose id is known, from its key file or the cache, is tried
// with a self-signed JWT: one round trip. If Google refuses a cached id's JWT as
// unauthenticated, the id is forgotten and the validation starts over, the token exchange
// deciding it as if the id had never been cached; its report is the one returned. That second
// attempt changes no message: Google's 401 to a JWT naming a stale or deleted id says nothing
// the exchange would not, and a key that really does not work gets the exchange's refusal,
// word for word what it got before the cache. A cached id's JWT that fails in any other way
// (unreachable, 403, 404) is reported as a key file's would be.
func (p *probe) run(ctx context.Context) *report {
	if p.impersonated {
		return p.runImpersonated(ctx)
	}
	if kid := p.cachedKeyID(); kid != "" {
		r, refused := p.attempt(ctx, p.account.withKeyID(kid))
		if !refused {
			return r
		}
		p.v.keyIDs.forget(*p.ref, kid)
		p.v.log.LogAttrs(ctx, slog.LevelDebug, "gcs cached key id refused; forgotten, trading the key for a token instead",
			slog.String("key_hint", p.account.hint))
	}
	r, _ := p.attempt(ctx, p.account)
	return r
}

// cachedKeyID is the cached key id of a key that names none, "" when there is none.
func (p *probe) cachedKeyID() string {
	if p.ref == nil {
		return ""
	}
	kid, _ := p.v.keyIDs.get(*p.ref)
	return kid
}

// attempt asks the API, as sa, for the bucket's attributes and the permission test together,
// and their answers decide every check, reachability and authentication included: one round
// trip with a self-signed JWT. A key without an id needs an access token from the token
// endpoint first: two round trips. refused reports whether the API answered 401.
func (p *probe) attempt(ctx context.Context, sa serviceAccount) (r *report, refused bool) {
	r = newReport()
	bearer, ok := p.bearer(ctx, r, sa)
	if !ok {
		return r, false // the checks that need the API stay undecided and are reported skipped
	}
	client, err := p.storageClient(ctx, bearer)
	if err != nil {
		r.Fail(checkBucket, "", domain.Wrap(domain.KindInternal, err, "bucket: the storage client could not be built"))
		return r, false
	}
	defer func() { _ = client.Close() }() // it only releases the client's idle connections
	bucket := client.Bucket(p.target.Bucket)
	wanted, role := p.neededPermissions()
	var attrs *storage.BucketAttrs
	var granted []string
	var attrsAnswer, permsAnswer answer
	var wg sync.WaitGroup
	attrsCtx, attrsNote := withResponseNote(ctx)
	providercheck.Go(ctx, &wg, p.v.log, "buckets.get", func() {
		var err error
		attrs, err = bucket.Attrs(attrsCtx)
		attrsAnswer = p.attrsAnswer(attrs, err, attrsNote)
	}, func(err error) {
		attrsAnswer = panicAnswer(err, attrsNote, "the attributes of bucket "+p.target.Bucket)
	})
	permsCtx, permsNote := withResponseNote(ctx)
	providercheck.Go(ctx, &wg, p.v.log, "buckets.testIamPermissions", func() {
		var err error
		granted, err = bucket.IAM().TestPermissions(permsCtx, wanted)
		permsAnswer = classify(err, permsNote)
	}, func(err error) { permsAnswer = panicAnswer(err, permsNote, apiBody) })
	wg.Wait()
	refused = attrsAnswer.status == http.StatusUnauthorized || permsAnswer.status == http.StatusUnauthorized
	if !p.checkConnect(r, attrsAnswer, permsAnswer) || !p.checkAuth(r, attrsAnswer, permsAnswer) {
		return r, refused
	}
	p.checkBucket(r, attrs, attrsAnswer)
	p.checkPermissions(r, wanted, granted, role, permsAnswer)
	return r, refused
}

// bearer returns what the API requests carry: a self-signed JWT when sa's key id is known,
// which costs no request; otherwise an access token from the token endpoint, whose grant
// already proves the key and passes authenticate. Google's libraries fall back the same way
// for keys without an id. Meanwhile the key's id is looked up, for the next validation. A
// failure is recorded under authenticate.
func (p *probe) bearer(ctx context.Context, r *report, sa serviceAccount) (string, bool) {
	if p.impersonated {
		return p.impersonatedBearer(ctx, r)
	}
	scope := p.scope()
	if sa.keyID != "" {
		jwt, err := selfSignedJWT(sa, scope, time.Now())
		if err != nil {
			p.fail(r, checkAuth, answer{err: err, kind: domain.KindInternal})
			return "", false
		}
		return jwt, true
	}
	settle := func(bool) {}
	if p.ref != nil {
		settle = p.v.lookUpKeyID(ctx, sa, *p.ref)
		// Should the exchange panic, the lookup learns the key was not accepted at once, rather
		// than waiting out the timeout for a verdict; settling twice keeps the first verdict.
		defer settle(false)
	}
	token, a := p.v.exchange(ctx, sa, scope)
	settle(a.ok())
	if !a.ok() {
		p.fail(r, checkAuth, a)
		return "", false
	}
	r.Pass(checkAuth, fmt.Sprintf("Google issued an access token to service account %s", p.account.hint))
	return token.AccessToken, true
}

// scope is the OAuth scope the validation's mode needs: read-only unless it is a readwrite one.
func (p *probe) scope() string {
	if p.target.Mode == domain.ValidateReadWrite {
		return scopeReadWrite
	}
	return scopeReadOnly
}

// attrsAnswer classifies buckets.get's answer: its error, or attributes that must name the
// bucket and a location, as Google's always do; a server that is no GCS API may send JSON of
// any shape, which decodes to attributes naming nothing.
func (p *probe) attrsAnswer(attrs *storage.BucketAttrs, err error, note *responseNote) answer {
	if err != nil {
		return classify(err, note)
	}
	if attrs.Name != p.target.Bucket || !plausibleLocation(attrs.Location) {
		status, contentType, _ := note.get()
		return oddAnswer(status, contentType, "the attributes of bucket "+p.target.Bucket, apiName, nil)
	}
	return answer{}
}

// plausibleLocation accepts what can be a GCS location: 1 to 64 letters, digits and '-' ("US",
// "EUROPE-WEST1", "NAM4"), so a message can show it as it is.
func plausibleLocation(loc string) bool {
	return loc != "" && len(loc) <= 64 && strings.Trim(loc, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == ""
}

// storageClient builds a Cloud Storage client that sends bearer on the shared guarded
// transport, never retries, and never looks for the server's own credentials. Its responses
// are noted for the requests that carry a response note.
func (p *probe) storageClient(ctx context.Context, bearer string) (*storage.Client, error) {
	authed := &http.Client{
		Transport: &oauth2.Transport{
			Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: bearer, TokenType: "Bearer"}),
			Base:   notingTransport{base: p.v.httpClient.Transport},
		},
		CheckRedirect: p.v.httpClient.CheckRedirect,
	}
	client, err := storage.NewClient(ctx,
		option.WithoutAuthentication(), // no application default credentials lookup
		option.WithHTTPClient(authed),
		option.WithEndpoint(p.api+"/storage/v1/"),
		storage.WithDisabledClientMetrics(),
	)
	if err != nil {
		return nil, fmt.Errorf("gcsvalidator: new storage client: %w", err)
	}
	client.SetRetry(storage.WithPolicy(storage.RetryNever))
	return client, nil
}

// neededPermissions are the permissions the validation's mode needs and the role granting them.
func (p *probe) neededPermissions() ([]string, string) {
	if p.target.Mode == domain.ValidateReadWrite {
		return readWritePermissions, readWriteRole
	}
	return readPermissions, readRole
}

// checkConnect decides reachability from the API answers: any HTTP answer proves the endpoint
// reachable (through the SSRF guard, which every request passes); without one, the first
// request's transport failure is the verdict and nothing else can be decided.
func (p *probe) checkConnect(r *report, answers ...answer) bool {
	if slices.ContainsFunc(answers, answer.answered) {
		r.Pass(checkConnect, "reached "+p.where)
		return true
	}
	p.fail(r, checkConnect, answers[0])
	return false
}

// checkAuth decides authenticate from the API answers: 401 means Google did not accept the
// bearer (for a self-signed JWT: the key is unknown, disabled or deleted, or the account does
// not exist), and the bucket checks cannot be decided; an answer only an authenticated caller
// gets proves the credentials. Anything else (a server error, say) leaves it undecided.
func (p *probe) checkAuth(r *report, answers ...answer) bool {
	if i := slices.IndexFunc(answers, func(a answer) bool { return a.status == http.StatusUnauthorized }); i >= 0 {
		p.fail(r, checkAuth, answers[i])
		return false
	}
	switch {
	case r.Decided(checkAuth): // the token endpoint vouched for the key
	case slices.ContainsFunc(answers, answer.authenticated):
		r.Pass(checkAuth, fmt.Sprintf("Google accepted the self-signed JWT of service account %s", p.account.hint))
	default:
		r.Skip(checkAuth, "skipped: Google's answers did not show whether it accepts the credentials")
	}
	return true
}

// checkBucket reads the bucket's attributes, which proves it exists and that the account may
// see it, and compares its location with the stated region; without one, the location is the
// detected region (a GCS bucket always has one).
func (p *probe) checkBucket(r *report, attrs *storage.BucketAttrs, a answer) {
	if !a.ok() {
		p.fail(r, checkBucket, a)
		return
	}
	r.Pass(checkBucket, fmt.Sprintf("bucket %s exists", p.target.Bucket))
	r.region = attrs.Location
	if p.target.Region == "" {
		r.Pass(checkRegion, providercheck.RegionDetected(p.target.Bucket, attrs.Location))
		return
	}
	if strings.EqualFold(attrs.Location, p.target.Region) {
		r.Pass(checkRegion, fmt.Sprintf("bucket %s is in %s", p.target.Bucket, attrs.Location))
		return
	}
	r.Fail(checkRegion, "", domain.Errorf(domain.KindRegionMismatch,
		"region: bucket %s is in %s, not %s; set region to %s", p.target.Bucket, attrs.Location, p.target.Region, attrs.Location))
}

// checkPermissions decides from testIamPermissions' answer which of the wanted permissions the
// account lacks on the bucket. testIamPermissions changes nothing, so even a readwrite
// validation leaves no trace.
func (p *probe) checkPermissions(r *report, wanted, granted []string, role string, a answer) {
	if !a.ok() {
		p.fail(r, checkPermissions, a)
		return
	}
	missing := slices.DeleteFunc(slices.Clone(wanted), func(perm string) bool { return slices.Contains(granted, perm) })
	if len(missing) > 0 {
		r.Fail(checkPermissions, "", domain.Errorf(domain.KindAccessDenied,
			"permissions: service account %s lacks %s on bucket %s; grant them, for example with %s",
			p.account.hint, strings.Join(missing, ", "), p.target.Bucket, role))
		return
	}
	r.Pass(checkPermissions, fmt.Sprintf("service account %s holds %s on bucket %s",
		p.account.hint, strings.Join(wanted, ", "), p.target.Bucket))
}
