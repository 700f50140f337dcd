package providercheck_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

func TestReportKeepsOrderAndFirstFailure(t *testing.T) {
	r := providercheck.NewReport("connect", "auth", "list", "region")
	var wg sync.WaitGroup
	wg.Go(func() { r.Fail("region", "", domain.Errorf(domain.KindRegionMismatch, "region: wrong")) })
	wg.Go(func() {
		r.Fail("auth", "SignatureDoesNotMatch", domain.Errorf(domain.KindInvalidCredentials, "auth: bad secret"))
	})
	wg.Go(func() { r.Pass("connect", "reached") })
	wg.Wait()
	if !r.Decided("auth") || r.Decided("list") {
		t.Error("Decided must report exactly the decided checks")
	}
	checks := r.Finish()
	want := []struct{ name, status string }{{"connect", "pass"}, {"auth", "fail"}, {"list", "skip"}, {"region", "fail"}}
	for i, w := range want {
		if checks[i].Name != w.name || string(checks[i].Status) != w.status {
			t.Errorf("check %d = %s/%s, want %s/%s", i, checks[i].Name, checks[i].Status, w.name, w.status)
		}
	}
	if checks[1].ProviderCode != "SignatureDoesNotMatch" || checks[2].Message != providercheck.SkippedAfterFailure {
		t.Errorf("provider code or skip message lost: %+v", checks)
	}
	if f := r.Failure(); f == nil || f.Kind != domain.KindInvalidCredentials {
		t.Errorf("Failure() = %v, want the first failed check in report order (auth)", f)
	}
}

func TestReportWithoutFailure(t *testing.T) {
	r := providercheck.NewReport("a")
	r.Pass("a", "ok")
	if r.Failure() != nil {
		t.Error("a passing report has no failure")
	}
}

func TestReportClassifiesUnknownErrorsAsInternal(t *testing.T) {
	r := providercheck.NewReport("a")
	r.Fail("a", "", errors.New("sdk exploded"))
	if f := r.Failure(); f == nil || f.Kind != domain.KindInternal || f.Message != "a: the check could not run" {
		t.Errorf("Failure() = %#v", f)
	}
}

func TestTransportKind(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for name, tc := range map[string]struct {
		err  error
		kind domain.Kind
		ok   bool
	}{
		"guard":     {fmt.Errorf("dial: %w", domain.Errorf(domain.KindEndpointNotAllowed, "no")), domain.KindEndpointNotAllowed, true},
		"deadline":  {fmt.Errorf("get: %w", context.DeadlineExceeded), domain.KindProviderTimeout, true},
		"canceled":  {context.Canceled, domain.KindProviderTimeout, true},
		"refused":   {refused, domain.KindEndpointUnreachable, true},
		"dns":       {&net.DNSError{Name: "nowhere.invalid", Err: "no such host"}, domain.KindEndpointUnreachable, true},
		"tls":       {tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, domain.KindEndpointUnreachable, true},
		"scheme":    {http.ErrSchemeMismatch, domain.KindEndpointUnreachable, true},
		"too large": {&url.Error{Op: "Get", URL: "https://s3.example.com", Err: &netguard.BodyLimitError{Limit: 1 << 20}}, domain.KindProviderError, true},
		"nil":       {nil, 0, false},
		"unrelated": {errors.New("bad input"), 0, false},
	} {
		t.Run(name, func(t *testing.T) {
			kind, ok := providercheck.TransportKind(tc.err)
			if ok != tc.ok || (ok && kind != tc.kind) {
				t.Fatalf("TransportKind = %v, %v; want %v, %v", kind, ok, tc.kind, tc.ok)
			}
		})
	}
}

// TestTransportKindOfRealFailures classifies what net/http really returns, not hand-made errors.
func TestTransportKindOfRealFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()
	client := &http.Client{Transport: &http.Transport{}}
	for name, c := range map[string]struct{ url, says string }{
		"closed port":         {"http://" + closed + "/", "connect: cannot reach P: connection refused; check the endpoint's host and port"},
		"https to plain http": {"https://" + plain.Listener.Addr().String() + "/", "connect: cannot reach P: the server does not speak TLS; is the endpoint plain http?"},
	} {
		_, err := client.Get(c.url)
		kind, ok := providercheck.TransportKind(err)
		if !ok || kind != domain.KindEndpointUnreachable {
			t.Errorf("%s: TransportKind(%v) = %v, %v; want endpoint unreachable", name, err, kind, ok)
		}
		if got := providercheck.DescribeTransport("connect", "P", kind, err, time.Second); got != c.says {
			t.Errorf("%s: DescribeTransport = %q, want %q", name, got, c.says)
		}
	}
}

// TestTransportKindOfAnswersOverTheCap classifies what the shared client really returns for an
// answer over its body cap: declared too large, the request fails; sent too long, the reading.
func TestTransportKindOfAnswersOverTheCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/declared" {
			w.Header().Set("Content-Length", strconv.Itoa(1<<30))
			return
		}
		for r.Context().Err() == nil {
			if _, err := w.Write(make([]byte, 32<<10)); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	allow, err := netguard.ParseAllowList("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	transport := netguard.NewTransport(netguard.NewDialer(allow))
	defer transport.CloseIdleConnections()
	client := netguard.NewClient(transport, netguard.WithMaxBody(64<<10))
	const want = "list: P answered with more than 64 KiB; bucketd reads at most 64 KiB of a provider's answer (--provider-max-body)"

	for _, path := range []string{"/declared", "/endless"} {
		resp, err := client.Get(srv.URL + path)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		kind, ok := providercheck.TransportKind(err)
		if !ok || kind != domain.KindProviderError {
			t.Errorf("%s: TransportKind(%v) = %v, %v; want provider error", path, err, kind, ok)
		}
		if got := providercheck.DescribeTransport("list", "P", kind, err, time.Second); got != want {
			t.Errorf("%s: DescribeTransport = %q\nwant %q", path, got, want)
		}
	}
}
