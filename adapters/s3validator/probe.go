package s3validator

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// probe is one validation in flight.
type probe struct {
	// options configure the S3 clients; each addressing style gets its own client over them.
	options s3.Options
	// styles are the addressing styles to try, the preferred one first.
	styles []string
	// client is the client of the addressing style the read checks settled on.
	client *s3.Client
	target domain.ValidationTarget
	// kind is the credentials' kind, so a refused key is explained in its own terms.
	kind    domain.CredentialKind
	keyHint string
	// where names the provider in messages: the endpoint URL, or "AWS S3".
	where string
	// endpoint is the custom endpoint as checked; empty for AWS.
	endpoint string
	custom   bool
	timeout  time.Duration
	// log receives the panics recovered on the probe's goroutines.
	log *slog.Logger
}

// run asks the provider everything and decides every check. The read requests come first,
// concurrently; the checks that depend on their verdict (region, and the write probe in
// readwrite mode) run after it, concurrently with each other. A failed authentication leaves
// them skipped, not failed.
func (p *probe) run(ctx context.Context) *report {
	r := newReport(p.target.Mode)
	rd := p.read(ctx)
	if region := rd.redirectedTo(); region != "" && p.target.Region == "" {
		// No region was given and the one guessed for signing was refused with the bucket's
		// own: sign for that one instead, once.
		p.signFor(region)
		rd = p.read(ctx)
	}
	head, list := rd.head, rd.list
	if !rd.answered() {
		r.fail(checkConnect, head, p.describe(checkConnect, head))
		return r
	}
	r.style, p.client = rd.style, rd.client
	r.Pass(checkConnect, fmt.Sprintf("reached %s with %s addressing%s", p.where, styleName(rd.style), rd.note))

	for _, a := range []answer{head, list} {
		if !a.ok() && a.kind == domain.KindRegionMismatch {
			r.region = a.region
			reason := fmt.Sprintf("skipped: requests signed for region %s were refused", p.signedFor())
			r.Skip(checkAuth, reason)
			r.Skip(checkBucket, reason)
			r.Skip(checkList, reason)
			r.fail(checkRegion, a, p.describe(checkRegion, a))
			return r
		}
	}
	for _, a := range []answer{list, head} {
		if !a.ok() && a.kind == domain.KindInvalidCredentials {
			r.fail(checkAuth, a, p.describe(checkAuth, a))
			return r
		}
	}
	if head.authenticated() || list.authenticated() {
		r.Pass(checkAuth, fmt.Sprintf("%s accepted key %s", p.where, p.keyHint))
	} else {
		r.Skip(checkAuth, fmt.Sprintf("skipped: %s answered no request with a verdict on the key", p.where))
	}
	p.decide(r, checkBucket, head, fmt.Sprintf("bucket %s exists", p.target.Bucket))
	p.decide(r, checkList, list, fmt.Sprintf("key %s may list bucket %s", p.keyHint, p.target.Bucket))

	var wg sync.WaitGroup
	p.goCheck(ctx, &wg, r, checkRegion, func() { p.checkRegion(ctx, r, head, list) })
	if p.target.Mode == domain.ValidateReadWrite {
		if head.ok() && list.ok() {
			p.goCheck(ctx, &wg, r, checkWrite, func() { p.checkWrite(ctx, r) })
		} else {
			r.Skip(checkWrite, "skipped: the bucket could not be read")
		}
	}
	wg.Wait()
	return r
}

// goCheck decides check by running fn on a new goroutine of wg; a panic in fn fails the check.
func (p *probe) goCheck(ctx context.Context, wg *sync.WaitGroup, r *report, check string, fn func()) {
	providercheck.Go(ctx, wg, p.log, "the "+check+" check", fn, func(err error) {
		a := answer{err: err, kind: domain.KindInternal}
		r.fail(check, a, p.describe(check, a))
	})
}

// decide passes check when a succeeded and fails it with a's classification otherwise.
func (p *probe) decide(r *report, check string, a answer, passMessage string) {
	if a.ok() {
		r.Pass(check, passMessage)
		return
	}
	r.fail(check, a, p.describe(check, a))
}

// headBucket proves the bucket exists and the key may reach it, and learns its region.
func (p *probe) headBucket(ctx context.Context, client *s3.Client) answer {
	out, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(p.target.Bucket)})
	a := classify(err)
	if err == nil {
		a.region = regionName(aws.ToString(out.BucketRegion))
	}
	return a
}

// listObjects proves the key may list the bucket; one key is enough, and an empty bucket passes.
// The answer must name the bucket, as every S3 listing does.
func (p *probe) listObjects(ctx context.Context, client *s3.Client) answer {
	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(p.target.Bucket), MaxKeys: aws.Int32(1)})
	if err == nil && aws.ToString(out.Name) != p.target.Bucket {
		return notAListing(p.target.Bucket, out.ResultMetadata)
	}
	return classify(err)
}
