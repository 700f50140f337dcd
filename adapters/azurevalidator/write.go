package azurevalidator

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// probePrefix is the reserved prefix of write-probe blobs, so a leftover is recognisable.
const probePrefix = ".bucketd-probe/"

// probeBody is what a probe blob holds.
const probeBody = "bucketd write probe\n"

// cleanupTimeout bounds removing the probe blob. Cleanup runs even when the validation's own
// deadline has passed or its caller went away: a probe blob must not stay behind.
const cleanupTimeout = 5 * time.Second

// checkWrite writes a fresh probe blob (If-None-Match: *, so it can never replace a real blob)
// and removes it again.
func (p *probe) checkWrite(ctx context.Context, r *providercheck.Report) {
	name := probePrefix + domain.NewID()
	anyETag := azcore.ETagAny
	var resp *http.Response
	_, err := p.client.NewBlockBlobClient(name).Upload(policy.WithCaptureResponse(ctx, &resp), streaming.NopCloser(strings.NewReader(probeBody)),
		&blockblob.UploadOptions{AccessConditions: &blob.AccessConditions{
			ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &anyETag},
		}})
	if err != nil {
		a := p.classify(err, resp)
		if !a.answered() {
			_ = p.removeProbe(ctx, name) // the answer was lost, the blob may exist all the same
		}
		p.fail(r, checkWrite, a)
		return
	}
	if a := p.removeProbe(ctx, name); !a.ok() {
		r.Fail(checkWrite, a.code, domain.Wrap(a.kind, providercheck.Bounded(a.err), fmt.Sprintf("%s; remove the probe blob %s from container %s by hand",
			p.describe(checkWrite, a), name, p.target.Bucket)))
		return
	}
	r.Pass(checkWrite, fmt.Sprintf("account %s may write to container %s (probe blob written and removed)", p.account, p.target.Bucket))
}

// removeProbe deletes the probe blob under its own deadline, detached from ctx's cancellation.
func (p *probe) removeProbe(ctx context.Context, name string) answer {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var resp *http.Response
	_, err := p.client.NewBlobClient(name).Delete(policy.WithCaptureResponse(ctx, &resp), nil)
	return p.classify(err, resp)
}
