package s3validator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck/providerchecktest"
	"github.com/bucketd/bucketd/adapters/testpeers/versitygw"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

func TestValidateAgainstVersitygw(t *testing.T) {
	gw := gateway(t)
	h := newHarness(t, 0, nil)
	root := func(bucket string) domain.ValidationTarget {
		return s3Target(gw.Endpoint, bucket, gw.RootKey, gw.RootSecret)
	}
	withRegion := func(tg domain.ValidationTarget, region string) domain.ValidationTarget {
		tg.Region = region
		return tg
	}
	cases := []struct {
		name   string
		target domain.ValidationTarget
		kind   domain.Kind // KindInternal here means "no error"
		says   []string
		checks map[string]domain.CheckStatus
		code   map[string]string
	}{
		{
			name: "good credentials on an empty bucket", target: root("empty-bucket"),
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckPass,
				checkBucket: domain.CheckPass, checkList: domain.CheckPass, checkRegion: domain.CheckPass},
		},
		{
			name: "good credentials on a bucket with objects", target: root("full-bucket"),
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkList: domain.CheckPass, checkRegion: domain.CheckPass},
		},
		{
			name: "wrong secret", target: s3Target(gw.Endpoint, "empty-bucket", gw.RootKey, "not-the-root-secret-at-all"),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate:", "secret does not match", "BUCK…SKEY"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckFail,
				checkBucket: domain.CheckSkip, checkList: domain.CheckSkip, checkRegion: domain.CheckSkip},
			code: map[string]string{checkAuth: "SignatureDoesNotMatch"},
		},
		{
			name: "unknown key", target: s3Target(gw.Endpoint, "empty-bucket", "BUCKETDUNKNOWNKEY001", "whatever-secret-value"),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate:", "BUCK…Y001", "InvalidAccessKeyId"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckFail},
			code:   map[string]string{checkAuth: "InvalidAccessKeyId"},
		},
		{
			name: "missing bucket", target: root("no-such-bucket"),
			kind: domain.KindBucketNotFound, says: []string{"bucket:", "no-such-bucket does not exist"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkBucket: domain.CheckFail,
				checkList: domain.CheckFail, checkRegion: domain.CheckSkip},
			code: map[string]string{checkList: "NoSuchBucket"},
		},
		{
			name: "valid key that does not own the bucket", target: s3Target(gw.Endpoint, "empty-bucket", userKey, userSecret),
			kind: domain.KindAccessDenied, says: []string{"bucket: access denied for key USER…D001", "empty-bucket", "grant s3:ListBucket"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkBucket: domain.CheckFail, checkList: domain.CheckFail},
			code:   map[string]string{checkBucket: "AccessDenied", checkList: "AccessDenied"},
		},
		{
			name: "wrong region", target: withRegion(root("empty-bucket"), "eu-west-1"),
			kind: domain.KindRegionMismatch, says: []string{"region: bucket empty-bucket is in us-east-1, not eu-west-1; set region to us-east-1"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckSkip, checkRegion: domain.CheckFail},
			code:   map[string]string{checkRegion: "AuthorizationHeaderMalformed"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			report, err := h.validate(t, c.target)
			if c.kind == domain.KindInternal {
				if err != nil {
					t.Fatalf("Validate error = %v, want success; report %+v", err, report.Checks)
				}
				if report.Region != versitygw.Region {
					t.Errorf("report region = %q, want %q", report.Region, versitygw.Region)
				}
			} else {
				wantKind(t, err, c.kind, c.says...)
			}
			if len(report.Checks) != 5 {
				t.Errorf("report has %d checks, want 5: %+v", len(report.Checks), report.Checks)
			}
			for name, status := range c.checks {
				if got := check(t, report, name); got.Status != status || got.Message == "" {
					t.Errorf("check %s = %+v, want status %s with a message", name, got, status)
				}
			}
			for name, code := range c.code {
				if got := check(t, report, name).ProviderCode; got != code {
					t.Errorf("check %s provider code = %q, want %q", name, got, code)
				}
			}
			if report.Latency <= 0 {
				t.Errorf("latency = %v, want > 0", report.Latency)
			}
		})
	}
}

func TestValidateReadWrite(t *testing.T) {
	gw := gateway(t)
	h := newHarness(t, 0, nil)

	t.Run("owner writes and removes the probe", func(t *testing.T) {
		target := s3Target(gw.Endpoint, "full-bucket", gw.RootKey, gw.RootSecret)
		target.Mode = domain.ValidateReadWrite
		report, err := h.validate(t, target)
		if err != nil {
			t.Fatalf("Validate error = %v; report %+v", err, report.Checks)
		}
		if c := check(t, report, checkWrite); c.Status != domain.CheckPass {
			t.Errorf("write check = %+v, want pass", c)
		}
		if keys := gw.Keys(t, "full-bucket"); len(keys) != 1 || keys[0] != "reports/2025/q1.csv" {
			t.Errorf("bucket holds %v after the probe, want only the original object", keys)
		}
	})
	t.Run("non-owner skips the write", func(t *testing.T) {
		target := s3Target(gw.Endpoint, "empty-bucket", userKey, userSecret)
		target.Mode = domain.ValidateReadWrite
		report, err := h.validate(t, target)
		wantKind(t, err, domain.KindAccessDenied)
		if c := check(t, report, checkWrite); c.Status != domain.CheckSkip {
			t.Errorf("write check = %+v, want skip", c)
		}
	})
}

func TestValidateUnreachable(t *testing.T) {
	gw := versitygw.Start(t)
	h := newHarness(t, 0, nil)
	cases := []struct {
		name, endpoint string
		says           []string
	}{
		{"closed port", closedPortEndpoint(t), []string{"connect: cannot reach", "connection refused"}},
		{"https against plain http", strings.Replace(gw.Endpoint, "http://", "https://", 1),
			[]string{"connect: cannot reach", "is the endpoint plain http?"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			report, err := h.validate(t, s3Target(c.endpoint, "empty-bucket", gw.RootKey, gw.RootSecret))
			wantKind(t, err, domain.KindEndpointUnreachable, c.says...)
			if got := check(t, report, checkConnect); got.Status != domain.CheckFail {
				t.Errorf("connect check = %+v, want fail", got)
			}
			if got := check(t, report, checkAuth); got.Status != domain.CheckSkip {
				t.Errorf("authenticate check = %+v, want skip", got)
			}
		})
	}
}

func TestValidateProviderTimeout(t *testing.T) {
	h := newHarness(t, 300*time.Millisecond, nil)
	start := time.Now()
	report, err := h.validate(t, s3Target(hangingEndpoint(t), "empty-bucket", versitygw.RootKey, versitygw.RootSecret))
	wantKind(t, err, domain.KindProviderTimeout, "connect:", "did not answer within 300ms")
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Validate took %v, want it bounded by the 300ms deadline", elapsed)
	}
	if got := check(t, report, checkConnect); got.Status != domain.CheckFail {
		t.Errorf("connect check = %+v, want fail", got)
	}
}

func TestValidateHonoursCancellation(t *testing.T) {
	h := newHarness(t, time.Minute, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := h.v.Validate(ctx, s3Target(hangingEndpoint(t), "empty-bucket", versitygw.RootKey, versitygw.RootSecret))
	wantKind(t, err, domain.KindProviderTimeout, "canceled")
}

func TestValidateProviderError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	h := newHarness(t, 0, nil)
	report, err := h.validate(t, s3Target(srv.URL, "empty-bucket", versitygw.RootKey, versitygw.RootSecret))
	wantKind(t, err, domain.KindProviderError, "bucket:", "503 Service Unavailable", "retry later")
	if got := check(t, report, checkAuth); got.Status != domain.CheckSkip {
		t.Errorf("authenticate check = %+v, want skip (a 503 says nothing about the key)", got)
	}
	if got := check(t, report, checkList); got.Status != domain.CheckFail || got.ProviderCode != "ServiceUnavailable" {
		t.Errorf("list check = %+v, want fail with code ServiceUnavailable", got)
	}
}

func TestValidateRefusesTarget(t *testing.T) {
	h := newHarness(t, 0, nil)
	cases := []struct {
		name   string
		modify func(*domain.ValidationTarget)
		kind   domain.Kind
		check  string
		says   string
	}{
		{"plain http to a public host", func(tg *domain.ValidationTarget) { tg.Endpoint = "http://s3.example.com" },
			domain.KindEndpointNotAllowed, checkConnect, "must use https"},
		{"user info in the endpoint", func(tg *domain.ValidationTarget) { tg.Endpoint = "https://me:hunter2-password@s3.example.com" },
			domain.KindEndpointNotAllowed, checkConnect, "user info"},
		{"empty region", func(tg *domain.ValidationTarget) { tg.Region = "" },
			domain.KindInvalidInput, checkRegion, "region"},
		{"region with a slash", func(tg *domain.ValidationTarget) { tg.Region = "us/east" },
			domain.KindInvalidInput, checkRegion, "not a region name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := s3Target("https://s3.example.com", "bucket", versitygw.RootKey, versitygw.RootSecret)
			c.modify(&target)
			report, err := h.validate(t, target)
			wantKind(t, err, c.kind, c.says)
			if strings.Contains(h.log.String()+err.Error(), "hunter2") {
				t.Errorf("the endpoint's password leaked: %s", h.log.String())
			}
			if got := check(t, report, c.check); got.Status != domain.CheckFail {
				t.Errorf("check %s = %+v, want fail", c.check, got)
			}
		})
	}
	t.Run("other storage type", func(t *testing.T) {
		target := s3Target("", "bucket", versitygw.RootKey, versitygw.RootSecret)
		target.StorageType = domain.StorageGCS
		_, err := h.v.Validate(context.Background(), target)
		wantKind(t, err, domain.KindInternal)
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without an HTTP client succeeded")
	}
	if _, err := New(Config{HTTPClient: &http.Client{}, Timeout: -time.Second}); err == nil {
		t.Error("New with a negative timeout succeeded")
	}
}

func BenchmarkValidate(b *testing.B) {
	gw := versitygw.Start(b)
	gw.CreateBucket(b, "bench-bucket")
	h := newHarness(b, 0, nil)
	target := s3Target(gw.Endpoint, "bench-bucket", gw.RootKey, gw.RootSecret)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.v.Validate(ctx, target); err != nil {
			b.Fatalf("Validate: %v", err)
		}
	}
}

func TestTransportContract(t *testing.T) {
	providerchecktest.RunTransportContract(t, providerchecktest.Harness{
		New: func(t *testing.T, client *http.Client, allow netguard.AllowList, timeout time.Duration) ports.CredentialValidator {
			v, err := New(Config{HTTPClient: client, AllowList: allow, Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			return v
		},
		Target: func(endpoint string) domain.ValidationTarget {
			return domain.ValidationTarget{
				StorageType: domain.StorageS3, Bucket: "contract-bucket", Region: "us-east-1", Endpoint: endpoint,
				Credentials: domain.Credentials{Key: domain.NewSecret("AKIAIOSFODNN7EXAMPLE"), Secret: domain.NewSecret("contract-secret-value-0123456789")},
			}
		},
	})
}
