package s3validator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// stylesFor returns the addressing styles worth trying for a bucket, the preferred one first:
// path-style on a custom endpoint (S3-compatible services do not all serve bucket subdomains),
// virtual-hosted on AWS (its default, and the only style new AWS features get). It returns path
// alone when the SDK addresses the bucket the same way in both styles, as it does for an
// endpoint given as an IP address or a bucket name with dots: there is nothing to fall back to.
func stylesFor(bucket, region, endpoint string) []string {
	pathHost, pathErr := resolvedHost(bucket, region, endpoint, true)
	virtualHost, virtualErr := resolvedHost(bucket, region, endpoint, false)
	if pathErr != nil || virtualErr != nil || pathHost == virtualHost {
		return []string{domain.AddressingPath}
	}
	if endpoint != "" {
		return []string{domain.AddressingPath, domain.AddressingVirtual}
	}
	return []string{domain.AddressingVirtual, domain.AddressingPath}
}

// resolvedHost is the host the SDK's endpoint rules send the bucket's requests to.
func resolvedHost(bucket, region, endpoint string, forcePath bool) (string, error) {
	params := s3.EndpointParameters{Bucket: aws.String(bucket), Region: aws.String(region), ForcePathStyle: aws.Bool(forcePath)}
	if endpoint != "" {
		params.Endpoint = aws.String(endpoint)
	}
	e, err := s3.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(), params)
	if err != nil {
		return "", fmt.Errorf("resolve the S3 endpoint of bucket %s: %w", bucket, err)
	}
	return e.URI.Host, nil
}

// styleName is how messages name an addressing style.
func styleName(style string) string {
	if style == domain.AddressingVirtual {
		return "virtual-hosted"
	}
	return "path-style"
}

// readRound is the read checks' requests (HeadBucket and ListObjectsV2, concurrently) in one
// addressing style, and what they answered.
type readRound struct {
	style      string
	client     *s3.Client
	head, list answer
	// note tells the connect check's reader how the style was chosen; empty when the
	// preferred style was the only one tried.
	note string
}

// read runs the read requests in the preferred addressing style and, only when both answers
// blame the style rather than the key or the bucket, once more in the other one. A clear
// verdict (a wrong secret, access denied, another region) is never retried, so the common case
// costs one round of requests. The second round's answers replace the first's only when they
// are a verdict of their own: not a refusal of the style, not a listing of something other than
// the bucket, and not the same "no such bucket" again.
func (p *probe) read(ctx context.Context) readRound {
	first := p.readIn(ctx, p.styles[0])
	if len(p.styles) == 1 || !first.blamesStyle() {
		return first
	}
	second := p.readIn(ctx, p.styles[1])
	if second.answered() && !second.refused() && !second.list.notListing &&
		!(first.missing() && second.missing()) {
		second.note = fmt.Sprintf(" (%s requests failed: %s)", styleName(first.style), styleFailure(first.list))
		return second
	}
	first.note = fmt.Sprintf(" (%s addressing was tried too and did not work: %s)",
		styleName(second.style), styleFailure(second.list))
	return first
}

// readIn asks HeadBucket and ListObjectsV2 concurrently in style. The list answer's error body
// refines the HEAD answer, which has no body and so no precise error code. The list runs on
// the caller's goroutine: the SDK's middleware chain is deep, and a new goroutine's small
// stack is grown and copied several times on the way down, a cost paid once instead of twice.
func (p *probe) readIn(ctx context.Context, style string) readRound {
	rd := readRound{style: style, client: s3.New(p.options, func(o *s3.Options) {
		o.UsePathStyle = style == domain.AddressingPath
	})}
	var wg sync.WaitGroup
	providercheck.Go(ctx, &wg, p.log, "HeadBucket", func() { rd.head = p.headBucket(ctx, rd.client) },
		func(err error) { rd.head = answer{err: err, kind: domain.KindInternal} })
	rd.list = p.listObjects(ctx, rd.client)
	wg.Wait()
	rd.head = rd.head.refine(rd.list)
	return rd
}

// answered reports whether the provider sent any HTTP response in this round.
func (rd readRound) answered() bool { return rd.head.answered() || rd.list.answered() }

// refused reports whether both answers look like a refusal of the addressing style itself.
func (rd readRound) refused() bool {
	return rd.refusesStyle(rd.head) && rd.refusesStyle(rd.list)
}

// blamesStyle reports whether the round failed in a way the other style may fix: a refusal of
// the style, or, with virtual-hosted style, both requests answered "no such bucket" (a service
// that ignores bucket subdomains looks for the bucket elsewhere). A missing bucket in path
// style is a plain verdict.
func (rd readRound) blamesStyle() bool {
	return rd.refused() || rd.style == domain.AddressingVirtual && rd.missing()
}

// missing reports whether both requests were answered "not found".
func (rd readRound) missing() bool {
	return rd.head.status == http.StatusNotFound && rd.list.status == http.StatusNotFound
}

// styleCodes are the error codes of services refusing the addressing style or the URL shape
// rather than the credentials or the bucket.
var styleCodes = map[string]bool{
	"InvalidRequest":    true,
	"InvalidBucketName": true,
	"InvalidURI":        true,
	"BadRequest":        true, // a body-less 400, as HEAD gets
	// Alibaba OSS refuses path-style requests with 403 SecondLevelDomainForbidden.
	"SecondLevelDomainForbidden": true,
}

// refusesStyle reports whether a, answered to a request in the round's style, blames the
// style: a 400 or 403 with a style code, or a redirect that names no region (one that names
// it is a region verdict). In virtual-hosted style, a bucket host name that does not resolve
// or is not covered by the endpoint's certificate also blames the style.
func (rd readRound) refusesStyle(a answer) bool {
	switch {
	case a.ok():
		return false
	case a.status == 0:
		return rd.style == domain.AddressingVirtual && hostNameFailure(a.err)
	case a.region != "":
		return false
	case a.status == http.StatusMovedPermanently, a.status == http.StatusTemporaryRedirect:
		return true
	case a.status == http.StatusBadRequest, a.status == http.StatusForbidden:
		return styleCodes[a.code]
	}
	return false
}

// hostNameFailure reports whether err says the host name itself is wrong: it does not resolve,
// or the server's certificate does not name it.
func hostNameFailure(err error) bool {
	var dnsErr *net.DNSError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	return errors.As(err, &dnsErr) || errors.As(err, &hostErr) || errors.As(err, &certErr)
}

// styleFailure says briefly what a round's answer was, for the connect check's note.
func styleFailure(a answer) string {
	switch {
	case a.notListing:
		return "the listing was not of the bucket"
	case a.code != "":
		return fmt.Sprintf("%d %s", a.status, a.code)
	case a.status != 0:
		return fmt.Sprintf("%d %s", a.status, http.StatusText(a.status))
	}
	var dnsErr *net.DNSError
	switch {
	case errors.As(a.err, &dnsErr):
		return fmt.Sprintf("host %s could not be resolved", dnsErr.Name)
	case hostNameFailure(a.err):
		return "the TLS certificate does not name the bucket's host"
	}
	return "no answer"
}
