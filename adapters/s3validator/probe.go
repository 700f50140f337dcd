package s3validator

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketd/bucketd/domain"
)

// probe is one validation in flight.
type probe struct {
	client  *s3.Client
	target  domain.ValidationTarget
	keyHint string
	// where names the provider in messages: the endpoint URL, or "AWS S3".
	where   string
	custom  bool
	timeout time.Duration
}

// run asks the provider everything and decides every check. HeadBucket and ListObjectsV2 are
// independent and run concurrently; the list answer's error body refines the HEAD answer, which
// has no body and so no precise error code.
func (p *probe) run(ctx context.Context) *report {
	r := newReport(p.target.Mode)
	var head, list answer
	var wg sync.WaitGroup
	wg.Go(func() { head = p.headBucket(ctx) })
	wg.Go(func() { list = p.listObjects(ctx) })
	wg.Wait()
	head = head.refine(list)

	if !head.answered() && !list.answered() {
		r.fail(checkConnect, head, p.describe(checkConnect, head))
		return r
	}
	r.Pass(checkConnect, "reached "+p.where)

	for _, a := range []answer{head, list} {
		if !a.ok() && a.kind == domain.KindRegionMismatch {
			r.region = a.region
			reason := fmt.Sprintf("skipped: requests signed for region %s were refused", p.target.Region)
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
	p.checkRegion(ctx, r, head, list)
	if p.target.Mode == domain.ValidateReadWrite {
		if head.ok() && list.ok() {
			p.checkWrite(ctx, r)
		} else {
			r.Skip(checkWrite, "skipped: the bucket could not be read")
		}
	}
	return r
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
func (p *probe) headBucket(ctx context.Context) answer {
	out, err := p.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(p.target.Bucket)})
	a := classify(err)
	if err == nil {
		a.region = aws.ToString(out.BucketRegion)
	}
	return a
}

// listObjects proves the key may list the bucket; one key is enough, and an empty bucket passes.
func (p *probe) listObjects(ctx context.Context) answer {
	_, err := p.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(p.target.Bucket), MaxKeys: aws.Int32(1)})
	return classify(err)
}
