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
// object) and removes it again. Removal is attempted whenever the object may exist: after a
// successful write, and when the write's answer was lost. A failed removal fails the write
// check, whose message names the object to remove by hand: a key that may write but not delete
// cannot do what bucketd needs, and a leftover object must not go unnoticed.
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
		message := p.describe(checkWrite, a)
		if !a.answered() && p.removeProbe(ctx, key) != nil {
			message += fmt.Sprintf("; the probe object %s may remain, remove it by hand", key)
		}
		r.fail(checkWrite, a, message)
		return
	}
	if err := p.removeProbe(ctx, key); err != nil {
		a := classify(err)
		r.fail(checkWrite, a, fmt.Sprintf("%s; the probe object %s was written but not deleted, remove it by hand",
			p.describe(checkWrite, a), key))
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
