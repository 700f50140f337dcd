package s3validator

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// maxRegionLength bounds a region name; real ones are far shorter.
const maxRegionLength = 64

// unknownRegion is the region requests are signed for when the target names none: AWS's
// first region, where S3 clients start when they know no better. A provider that keeps the
// bucket elsewhere says so, and the probe signs for that region instead (run).
const unknownRegion = "us-east-1"

// signFor makes the probe sign its requests for region, and address them as that region's
// endpoints want.
func (p *probe) signFor(region string) {
	p.options.Region = region
	p.styles = stylesFor(p.target.Bucket, region, p.endpoint)
}

// signedFor is the region the probe's requests are signed for.
func (p *probe) signedFor() string { return p.options.Region }

// redirectedTo is the region a refusal of the round's requests named as the bucket's, if any.
func (rd readRound) redirectedTo() string {
	for _, a := range []answer{rd.head, rd.list} {
		if !a.ok() && a.kind == domain.KindRegionMismatch && a.region != "" {
			return a.region
		}
	}
	return ""
}

// checkRegionName refuses a region that cannot go into a SigV4 credential scope or an AWS host.
func checkRegionName(region string) error {
	if region == "" || len(region) > maxRegionLength || strings.Trim(region, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
		return domain.Errorf(domain.KindInvalidInput,
			"region: %q is not a region name; give the bucket's region, e.g. us-east-1", region)
	}
	return nil
}

// checkRegion compares the stated region with the one the provider reports: HeadBucket's
// x-amz-bucket-region, or else GetBucketLocation. On AWS a difference fails the check. On a
// custom endpoint the requests were already signed for the stated region and accepted, so a
// different report is noted, not failed, and a provider that reports nothing skips the check.
// Without a stated region, the reported one is the detected region, and a provider that
// reports none leaves it undetected.
func (p *probe) checkRegion(ctx context.Context, r *report, head, list answer) {
	reported := head.region
	if reported == "" && (head.ok() || list.ok()) {
		var reason string
		reported, reason = p.bucketLocation(ctx)
		if reported == "" {
			r.Skip(checkRegion, p.regionSkipped(reason))
			return
		}
	}
	if reported == "" {
		r.Skip(checkRegion, p.regionSkipped("the bucket could not be read"))
		return
	}
	r.region = reported
	switch {
	case p.target.Region == "":
		r.Pass(checkRegion, providercheck.RegionDetected(p.target.Bucket, reported))
	case strings.EqualFold(reported, p.target.Region):
		r.Pass(checkRegion, fmt.Sprintf("bucket %s is in %s", p.target.Bucket, reported))
	case p.custom:
		r.Pass(checkRegion, fmt.Sprintf("%s reports region %s for bucket %s and accepted requests signed for %s",
			p.where, reported, p.target.Bucket, p.target.Region))
	default:
		a := answer{kind: domain.KindRegionMismatch, region: reported}
		r.fail(checkRegion, a, p.describe(checkRegion, a))
	}
}

// regionSkipped is the region check's message when no region could be compared or detected.
func (p *probe) regionSkipped(reason string) string {
	if p.target.Region == "" {
		return providercheck.RegionUndetected(reason)
	}
	return "skipped: " + reason
}

// bucketLocation asks GetBucketLocation. It returns the region, or "" and why there is none.
// AWS answers an empty constraint for us-east-1 and "EU" for buckets made long ago in eu-west-1.
func (p *probe) bucketLocation(ctx context.Context) (string, string) {
	out, err := p.client.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(p.target.Bucket)})
	if err != nil {
		a := classify(err)
		if a.kind == domain.KindRegionMismatch && a.region != "" {
			return a.region, ""
		}
		why := a.code
		if why == "" {
			why = a.kind.String()
		}
		return "", fmt.Sprintf("%s did not report the bucket's region (GetBucketLocation: %s)", p.where, why)
	}
	loc := string(out.LocationConstraint)
	switch {
	case loc != "" && regionName(loc) == "":
		return "", p.where + " reported a region that is not a region name"
	case p.custom && loc == "":
		return "", p.where + " does not report a region"
	case loc == "":
		return "us-east-1", ""
	case !p.custom && loc == "EU":
		return "eu-west-1", ""
	}
	return loc, ""
}
