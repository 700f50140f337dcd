package azurevalidator

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// The checks, in the order they are reported. The first failed one decides the error.
const (
	checkConnect   = "connect"
	checkAuth      = "authenticate"
	checkContainer = "container"
	checkList      = "list"
	checkWrite     = "write"
)

// checkNames are the checks of a validation in mode, in report order.
func checkNames(mode domain.ValidationMode) []string {
	names := []string{checkConnect, checkAuth, checkContainer, checkList}
	if mode == domain.ValidateReadWrite {
		names = append(names, checkWrite)
	}
	return names
}

// refusedReport reports a target refused before any request: the refused check fails with
// err, and every other check is skipped.
func refusedReport(mode domain.ValidationMode, refusedCheck string, err error) *providercheck.Report {
	r := providercheck.NewReport(checkNames(mode)...)
	for _, name := range checkNames(mode) {
		if name != refusedCheck {
			r.Skip(name, "skipped: no request was sent")
		}
	}
	r.Fail(refusedCheck, "", err)
	return r
}

// probe is one validation in flight.
type probe struct {
	client *container.Client
	// accountClient is access.accountClient: nil when the credentials reach one container only.
	accountClient func() (*service.Client, error)
	target        domain.ValidationTarget
	account       string
	// where names the service in messages: its blob service URL.
	where string
	// public says where is Azure's public endpoint for the account.
	public bool
	// auth is what differs with the kind of credentials.
	auth    scheme
	timeout time.Duration
	// log receives the panics recovered on the probe's goroutines.
	log *slog.Logger
}

// run asks the service everything and decides every check. The container's properties and
// the first page of its listing are independent and asked concurrently, so a read-only
// validation costs one round trip.
func (p *probe) run(ctx context.Context) *providercheck.Report {
	r := providercheck.NewReport(checkNames(p.target.Mode)...)
	var props, list answer
	var wg sync.WaitGroup
	if !p.auth.listOnly {
		providercheck.Go(ctx, &wg, p.log, "GetProperties", func() { props = p.containerProperties(ctx) },
			func(err error) { props = answer{err: err, kind: domain.KindInternal} })
	}
	providercheck.Go(ctx, &wg, p.log, "ListBlobs", func() { list = p.listBlobs(ctx) },
		func(err error) { list = answer{err: err, kind: domain.KindInternal} })
	wg.Wait()
	if p.auth.listOnly {
		props = list
	}

	if !props.answered() && !list.answered() {
		p.fail(r, checkConnect, props)
		return r
	}
	r.Pass(checkConnect, "reached "+p.where)
	for _, a := range []answer{props, list} {
		if !a.ok() && a.kind == domain.KindInvalidCredentials {
			p.fail(r, checkAuth, a)
			return r
		}
	}
	if props.authenticated() || list.authenticated() {
		r.Pass(checkAuth, fmt.Sprintf("%s accepted %s for account %s", p.where, p.auth.presented, p.account))
	} else {
		r.Skip(checkAuth, fmt.Sprintf("skipped: %s answered no request with a verdict on %s", p.where, p.auth.presented))
	}
	p.decideContainer(r, props)
	p.decide(r, checkList, list, fmt.Sprintf("account %s may list container %s", p.account, p.target.Bucket))
	if p.target.Mode == domain.ValidateReadWrite {
		if props.ok() && list.ok() {
			p.checkWrite(ctx, r)
		} else {
			r.Skip(checkWrite, "skipped: the container could not be read")
		}
	}
	return r
}

// decideContainer decides the container check on the container's properties, or, for
// credentials that cannot read them, on the listing: a listing proves the container exists, and
// one refused for lack of permission says nothing either way.
func (p *probe) decideContainer(r *providercheck.Report, props answer) {
	exists := fmt.Sprintf("container %s exists in account %s", p.target.Bucket, p.account)
	if p.auth.listOnly && !props.ok() && props.kind != domain.KindBucketNotFound {
		r.Skip(checkContainer, "skipped: a container SAS cannot read a container's properties, and the listing that would show the container was refused")
		return
	}
	p.decide(r, checkContainer, props, exists)
}

// decide passes check when a succeeded and fails it with a's classification otherwise.
func (p *probe) decide(r *providercheck.Report, check string, a answer, passMessage string) {
	if a.ok() {
		r.Pass(check, passMessage)
		return
	}
	p.fail(r, check, a)
}

// fail records check as failed with a's kind, the service's code and the message for it; the
// SDK's error, which quotes the service's answer, is kept as the cause, its text bounded.
func (p *probe) fail(r *providercheck.Report, check string, a answer) {
	r.Fail(check, a.code, domain.Wrap(a.kind, providercheck.Bounded(a.err), p.describe(check, a)))
}

// classify classifies an SDK error of this probe; resp is the response captured, if any.
// The error is scrubbed of the credentials' secrets before anything keeps it.
func (p *probe) classify(err error, resp *http.Response) answer {
	a := classify(err, p.public, resp)
	a.err = p.auth.scrub(a.err)
	return a
}

// containerProperties proves the container exists and the key may read it.
func (p *probe) containerProperties(ctx context.Context) answer {
	var resp *http.Response
	_, err := p.client.GetProperties(policy.WithCaptureResponse(ctx, &resp), nil)
	return p.classify(err, resp)
}

// listBlobs proves the key may list the container; one blob is enough, and an empty container
// passes. The listing must name the container.
func (p *probe) listBlobs(ctx context.Context) answer {
	one := int32(1)
	var resp *http.Response
	page, err := p.client.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{MaxResults: &one}).
		NextPage(policy.WithCaptureResponse(ctx, &resp))
	if err == nil && (page.ContainerName == nil || *page.ContainerName != p.target.Bucket) {
		return notAListing("a listing of container "+p.target.Bucket, resp)
	}
	return p.classify(err, resp)
}
