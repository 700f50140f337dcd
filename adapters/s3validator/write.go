package s3validator

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketd/bucketd/domain"
)

// probePrefix is the reserved prefix of write-probe objects, so a leftover is recognisable.
const probePrefix = ".bucketd-probe/"

// cleanupTimeout bounds removing the probe object. Cleanup runs even when the validation's own
// deadline has passed or its caller went away: a probe object must not stay behind.
const cleanupTimeout = 5 * time.Second

// checkWrite writes a fresh probe object (If-None-Match: *, so it can never replace a real
// object) and removes it again.
func (p *probe) checkWrite(ctx context.Context, r *report) {
	key := probePrefix + domain.NewID()
	_, err := p.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(p.target.Bucket),
		Key:         aws.String(key),
		IfNoneMatch: aws.String("*"),
		Body:        strings.NewReader("bucketd write probe\n"),
	})
	if err != nil {
		a := classify(err)
		if !a.answered() {
			_ = p.removeProbe(ctx, key) // the answer was lost, the object may exist all the same
		}
		r.fail(checkWrite, a, p.describe(checkWrite, a))
		return
	}
	if err := p.removeProbe(ctx, key); err != nil {
		a := classify(err)
		r.fail(checkWrite, a, fmt.Sprintf("%s; remove the probe object %s by hand", p.describe(checkWrite, a), key))
		return
	}
	r.Pass(checkWrite, fmt.Sprintf("key %s may write to bucket %s (probe object written and removed)", p.keyHint, p.target.Bucket))
}

// removeProbe deletes the probe object under its own deadline, detached from ctx's cancellation.
func (p *probe) removeProbe(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_, err := p.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.target.Bucket), Key: aws.String(key)})
	return err
}
