package gcsvalidator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"cloud.google.com/go/storage"
	"golang.org/x/oauth2"
	"google.golang.org/api/option"

	"github.com/bucketd/bucketd/domain"
)

// maxProbeBody bounds what is read of the connect probe's answer before the connection is
// handed back to the pool.
const maxProbeBody = 64 << 10

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
	// api is the JSON API origin, and where names it in messages.
	api, where string
}

// run decides every check. Reaching the API endpoint and getting a token do not depend on each
// other and run together, so the connection to the API is ready when the token arrives; the
// bucket's attributes and the permission test then run together too: two round trips in all.
func (p *probe) run(ctx context.Context) *report {
	r := newReport()
	var reached bool
	var token string
	var wg sync.WaitGroup
	wg.Go(func() { reached = p.checkConnect(ctx, r) })
	wg.Go(func() { token = p.authenticate(ctx, r) })
	wg.Wait()
	if !reached || token == "" {
		return r // the checks that need both stay undecided and are reported skipped
	}
	client, err := p.storageClient(ctx, token)
	if err != nil {
		r.Fail(checkBucket, "", domain.Wrap(domain.KindInternal, err, "bucket: the storage client could not be built"))
		return r
	}
	defer client.Close()
	bucket := client.Bucket(p.target.Bucket)
	wg.Go(func() { p.checkBucket(ctx, r, bucket) })
	wg.Go(func() { p.checkPermissions(ctx, r, bucket) })
	wg.Wait()
	return r
}

// checkConnect asks the API endpoint about the bucket without credentials. Any HTTP answer
// (Google's is 401) proves the endpoint is reachable; it also runs the SSRF guard on the
// endpoint whatever becomes of the token exchange.
func (p *probe) checkConnect(ctx context.Context, r *report) bool {
	u := p.api + "/storage/v1/b/" + url.PathEscape(p.target.Bucket) + "?fields=name"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		r.Fail(checkConnect, "", domain.Wrap(domain.KindInternal, err, "connect: the request could not be built"))
		return false
	}
	resp, err := p.v.httpClient.Do(req)
	if err != nil {
		p.fail(r, checkConnect, transportAnswer(err))
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxProbeBody))
	resp.Body.Close()
	r.Pass(checkConnect, "reached "+p.where)
	return true
}

// authenticate trades the service account's signed assertion for an access token.
func (p *probe) authenticate(ctx context.Context, r *report) string {
	scope := scopeReadOnly
	if p.target.Mode == domain.ValidateReadWrite {
		scope = scopeReadWrite
	}
	token, a := p.v.exchange(ctx, p.account, scope)
	if !a.ok() {
		p.fail(r, checkAuth, a)
		return ""
	}
	r.Pass(checkAuth, fmt.Sprintf("Google issued an access token to service account %s", p.account.hint))
	return token
}

// storageClient builds a Cloud Storage client that sends token on the shared guarded
// transport, never retries, and never looks for the server's own credentials.
func (p *probe) storageClient(ctx context.Context, token string) (*storage.Client, error) {
	authed := &http.Client{
		Transport: &oauth2.Transport{
			Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"}),
			Base:   p.v.httpClient.Transport,
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

// checkBucket reads the bucket's attributes, which proves it exists and that the account may
// see it, and compares its location with the stated region.
func (p *probe) checkBucket(ctx context.Context, r *report, bucket *storage.BucketHandle) {
	attrs, err := bucket.Attrs(ctx)
	if err != nil {
		p.fail(r, checkBucket, classify(err))
		return
	}
	r.Pass(checkBucket, fmt.Sprintf("bucket %s exists", p.target.Bucket))
	r.region = attrs.Location
	if strings.EqualFold(attrs.Location, p.target.Region) {
		r.Pass(checkRegion, fmt.Sprintf("bucket %s is in %s", p.target.Bucket, attrs.Location))
		return
	}
	r.Fail(checkRegion, "", domain.Errorf(domain.KindRegionMismatch,
		"region: bucket %s is in %s, not %s; set region to %s", p.target.Bucket, attrs.Location, p.target.Region, attrs.Location))
}

// checkPermissions asks which of the needed permissions the account holds on the bucket.
// testIamPermissions changes nothing, so even a readwrite validation leaves no trace.
func (p *probe) checkPermissions(ctx context.Context, r *report, bucket *storage.BucketHandle) {
	wanted, role := readPermissions, readRole
	if p.target.Mode == domain.ValidateReadWrite {
		wanted, role = readWritePermissions, readWriteRole
	}
	granted, err := bucket.IAM().TestPermissions(ctx, wanted)
	if err != nil {
		p.fail(r, checkPermissions, classify(err))
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
