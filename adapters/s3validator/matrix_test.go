package s3validator

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// matrixRow is one line of issue 3's validation matrix.
type matrixRow struct {
	name   string
	h      harness
	target domain.ValidationTarget
	// check is the failing check the error must name; empty when the row passes.
	check string
	kind  domain.Kind
	says  []string
	// checks, codes, style and region are further expectations on the report, when set.
	checks map[string]domain.CheckStatus
	codes  map[string]string
	style  string
	region string
	// within bounds the validation's wall time, when set.
	within time.Duration
	// after inspects the provider once the validation is over, when set.
	after func(t *testing.T)
}

// TestValidationMatrix is issue 3's table for S3, on versitygw (real signatures, real IAM) and
// on stubs that answer like AWS or like services accepting one addressing style.
func TestValidationMatrix(t *testing.T) {
	gw := gateway(t)
	h := newHarness(t, 0, nil)
	root := func(bucket string) domain.ValidationTarget {
		return s3Target(gw.Endpoint, bucket, gw.RootKey, gw.RootSecret)
	}
	readwrite := func(tg domain.ValidationTarget) domain.ValidationTarget {
		tg.Mode = domain.ValidateReadWrite
		return tg
	}
	inRegion := func(tg domain.ValidationTarget, region string) domain.ValidationTarget {
		tg.Region = region
		return tg
	}
	const stubBucket = "stub-bucket"
	stubTarget := func(endpoint string) domain.ValidationTarget {
		return s3Target(endpoint, stubBucket, awsKey, awsSecret)
	}

	otherRegion := awsHarness(t, &s3Stub{
		bucket: "aws-bucket",
		head:   stubAnswer{status: http.StatusMovedPermanently, region: "eu-west-1"},
		list:   stubAnswer{status: http.StatusMovedPermanently, region: "eu-west-1", body: xmlPermanentRedirect},
	}, awsDNS)
	virtualOnly, virtualOnlyURL := stubHarness(t, &s3Stub{
		bucket: stubBucket, style: domain.AddressingVirtual,
		wrongStyle: stubAnswer{status: http.StatusBadRequest, body: xmlError("InvalidRequest", "Path-style requests are not supported")},
	})
	broken, brokenURL := stubHarness(t, &s3Stub{
		bucket: stubBucket,
		head:   stubAnswer{status: http.StatusInternalServerError},
		list:   stubAnswer{status: http.StatusInternalServerError, body: xmlError("InternalError", "We encountered an internal error.")},
	})
	noLocation, noLocationURL := stubHarness(t, &s3Stub{
		bucket:   stubBucket,
		location: stubAnswer{status: http.StatusNotImplemented, body: xmlError("NotImplemented", "GetBucketLocation is not implemented")},
	})
	undeletable := &s3Stub{
		bucket: stubBucket,
		del:    stubAnswer{status: http.StatusForbidden, body: xmlError("AccessDenied", "Access Denied")},
	}
	noDelete, noDeleteURL := stubHarness(t, undeletable)
	const deadline = 500 * time.Millisecond
	stalled := newHarness(t, deadline, nil)

	rows := []matrixRow{
		{
			name: "right credentials", h: h, target: root("full-bucket"),
			checks: every(domain.CheckPass, readChecks...), style: domain.AddressingPath, region: versitygw.Region,
		},
		{
			name: "empty bucket", h: h, target: root("empty-bucket"),
			checks: every(domain.CheckPass, readChecks...), region: versitygw.Region,
		},
		{
			name: "wrong secret", h: h, target: readwrite(s3Target(gw.Endpoint, "empty-bucket", gw.RootKey, "not-the-root-secret-at-all")),
			check: checkAuth, kind: domain.KindInvalidCredentials, says: []string{"secret does not match", "BUCK…SKEY"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckFail,
				checkBucket: domain.CheckSkip, checkList: domain.CheckSkip, checkRegion: domain.CheckSkip, checkWrite: domain.CheckSkip},
			codes: map[string]string{checkAuth: "SignatureDoesNotMatch"},
		},
		{
			name: "unknown key", h: h, target: s3Target(gw.Endpoint, "empty-bucket", "BUCKETDUNKNOWNKEY001", "whatever-secret-value"),
			check: checkAuth, kind: domain.KindInvalidCredentials, says: []string{"BUCK…Y001", "InvalidAccessKeyId"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckFail, checkBucket: domain.CheckSkip},
			codes:  map[string]string{checkAuth: "InvalidAccessKeyId"},
		},
		{
			name: "valid user without permission", h: h, target: readwrite(s3Target(gw.Endpoint, "empty-bucket", userKey, userSecret)),
			check: checkBucket, kind: domain.KindAccessDenied, says: []string{"access denied for key USER…D001", "empty-bucket", "grant s3:ListBucket"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkBucket: domain.CheckFail,
				checkList: domain.CheckFail, checkWrite: domain.CheckSkip},
			codes: map[string]string{checkBucket: "AccessDenied", checkList: "AccessDenied"},
		},
		{
			name: "missing bucket", h: h, target: root("no-such-bucket"),
			check: checkBucket, kind: domain.KindBucketNotFound, says: []string{"no-such-bucket does not exist"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkList: domain.CheckFail, checkRegion: domain.CheckSkip},
			codes:  map[string]string{checkList: "NoSuchBucket"},
		},
		{
			name: "region mismatch (AWS answers x-amz-bucket-region)", h: otherRegion, target: s3Target("", "aws-bucket", awsKey, awsSecret),
			check: checkRegion, kind: domain.KindRegionMismatch, says: []string{"bucket aws-bucket is in eu-west-1, not us-east-1; set region to eu-west-1"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckSkip},
			codes:  map[string]string{checkRegion: "PermanentRedirect"}, style: domain.AddressingVirtual, region: "eu-west-1",
		},
		{
			name: "region mismatch (versitygw: AuthorizationHeaderMalformed)", h: h, target: inRegion(root("empty-bucket"), "eu-west-1"),
			check: checkRegion, kind: domain.KindRegionMismatch, says: []string{"bucket empty-bucket is in us-east-1, not eu-west-1; set region to us-east-1"},
			codes: map[string]string{checkRegion: "AuthorizationHeaderMalformed"},
		},
		{
			name: "wrong addressing style (service accepts only virtual-hosted)", h: virtualOnly, target: stubTarget(virtualOnlyURL),
			checks: every(domain.CheckPass, checkConnect, checkAuth, checkBucket, checkList), style: domain.AddressingVirtual,
			says: []string{"connect: reached " + virtualOnlyURL + " with virtual-hosted addressing (path-style requests failed: 400 InvalidRequest)"},
		},
		{
			name: "connection refused", h: h, target: s3Target(providerchecktest.ClosedPortURL(t), "empty-bucket", gw.RootKey, gw.RootSecret),
			check: checkConnect, kind: domain.KindEndpointUnreachable, says: []string{"connection refused"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckSkip},
		},
		{
			name: "TLS to a plain-HTTP port", h: h, target: s3Target(strings.Replace(gw.Endpoint, "http://", "https://", 1), "empty-bucket", gw.RootKey, gw.RootSecret),
			check: checkConnect, kind: domain.KindEndpointUnreachable, says: []string{"is the endpoint plain http?"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckSkip},
		},
		{
			name: "stalled endpoint", h: stalled, target: s3Target(providerchecktest.HangingURL(t), "empty-bucket", gw.RootKey, gw.RootSecret),
			check: checkConnect, kind: domain.KindProviderTimeout, says: []string{"did not answer within 500ms"},
			within: deadline + time.Second,
		},
		{
			name: "provider 500", h: broken, target: stubTarget(brokenURL),
			check: checkBucket, kind: domain.KindProviderError, says: []string{"500 Internal Server Error (InternalError)", "retry later"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckSkip, checkList: domain.CheckFail},
			codes:  map[string]string{checkList: "InternalError"},
		},
		{
			name: "GetBucketLocation not implemented", h: noLocation, target: stubTarget(noLocationURL),
			checks: map[string]domain.CheckStatus{checkList: domain.CheckPass, checkRegion: domain.CheckSkip},
			says:   []string{"region: skipped:", "(GetBucketLocation: NotImplemented)"},
		},
		{
			name: "readwrite probe written and removed", h: h, target: readwrite(root("empty-bucket")),
			checks: every(domain.CheckPass, checkConnect, checkAuth, checkBucket, checkList, checkRegion, checkWrite),
			says:   []string{"write: key BUCK…SKEY may write to bucket empty-bucket (probe object written and removed)"},
			after: func(t *testing.T) {
				if keys := gw.Keys(t, "empty-bucket"); len(keys) != 0 {
					t.Errorf("bucket holds %v after the probe, want it empty", keys)
				}
			},
		},
		{
			name: "readwrite probe written but not removed", h: noDelete, target: readwrite(stubTarget(noDeleteURL)),
			check: checkWrite, kind: domain.KindAccessDenied,
			says:  []string{"grant s3:PutObject and s3:DeleteObject", "the probe object .bucketd-probe/", "was written but not deleted, remove it by hand"},
			codes: map[string]string{checkWrite: "AccessDenied"},
			after: func(t *testing.T) { wantProbeWrittenThenDeleted(t, undeletable.requests()) },
		},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) { row.run(t) })
	}
}

// readChecks are the checks of a read-only validation, in report order.
var readChecks = []string{checkConnect, checkAuth, checkBucket, checkList, checkRegion}

// every expects status of each named check.
func every(status domain.CheckStatus, names ...string) map[string]domain.CheckStatus {
	want := make(map[string]domain.CheckStatus, len(names))
	for _, name := range names {
		want[name] = status
	}
	return want
}

func (row matrixRow) run(t *testing.T) {
	start := time.Now()
	report, err := row.h.validate(t, row.target) // fails on a leaked secret or key
	took := time.Since(start)
	// said holds each check as "name: message", the way the fragments in row.says are written;
	// messages adds the status, for failure output.
	var said, messages []string
	for _, c := range report.Checks {
		said = append(said, c.Name+": "+c.Message)
		messages = append(messages, c.Name+" ["+string(c.Status)+"]: "+c.Message)
	}
	if row.check == "" {
		if err != nil || !report.Passed() {
			t.Fatalf("Validate error = %v, want success; checks:\n%s", err, strings.Join(messages, "\n"))
		}
	} else {
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != row.kind {
			t.Fatalf("error = %v (kind %v), want kind %v", err, domain.KindOf(err), row.kind)
		}
		if !strings.HasPrefix(de.Message, row.check+": ") {
			t.Errorf("message %q does not name the %s check", de.Message, row.check)
		}
		if c := providerchecktest.Check(t, report, row.check); c.Status != domain.CheckFail || c.Message != de.Message {
			t.Errorf("check %s = %+v, want it failed with the error's message", row.check, c)
		}
	}
	for _, s := range row.says {
		if !strings.Contains(strings.Join(said, "\n"), s) {
			t.Errorf("no check message says %q; checks:\n%s", s, strings.Join(messages, "\n"))
		}
	}
	wantNames := readChecks
	if row.target.Mode == domain.ValidateReadWrite {
		wantNames = append(slices.Clip(readChecks), checkWrite)
	}
	var names []string
	for _, c := range report.Checks {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("report checks %v, want %v", names, wantNames)
	}
	for name, status := range row.checks {
		if c := providerchecktest.Check(t, report, name); c.Status != status || c.Message == "" {
			t.Errorf("check %s = %+v, want status %s with a message", name, c, status)
		}
	}
	for name, code := range row.codes {
		if got := providerchecktest.Check(t, report, name).ProviderCode; got != code {
			t.Errorf("check %s provider code = %q, want %q", name, got, code)
		}
	}
	if row.style != "" && report.AddressingStyle != row.style {
		t.Errorf("addressing style = %q, want %q", report.AddressingStyle, row.style)
	}
	if row.region != "" && report.Region != row.region {
		t.Errorf("region = %q, want %q", report.Region, row.region)
	}
	if row.within != 0 && took > row.within {
		t.Errorf("validation took %s, want at most %s", took, row.within)
	}
	if report.Latency <= 0 {
		t.Errorf("latency = %v, want > 0", report.Latency)
	}
	if row.after != nil {
		row.after(t)
	}
}

// wantProbeWrittenThenDeleted checks that the stub saw one conditional PutObject of a probe
// object and a DeleteObject of the same key.
func wantProbeWrittenThenDeleted(t *testing.T, seen []stubRequest) {
	t.Helper()
	var put, del []stubRequest
	for _, r := range seen {
		switch r.op {
		case opPut:
			put = append(put, r)
		case opDelete:
			del = append(del, r)
		}
	}
	if len(put) != 1 || len(del) != 1 {
		t.Fatalf("stub saw %d puts and %d deletes, want one of each", len(put), len(del))
	}
	if !strings.HasPrefix(put[0].key, probePrefix) || put[0].ifNoneMatch != "*" {
		t.Errorf("put %+v, want a key under %s with If-None-Match: *", put[0], probePrefix)
	}
	if del[0].key != put[0].key {
		t.Errorf("deleted %q, want the probe object %q", del[0].key, put[0].key)
	}
}
