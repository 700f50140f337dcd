package delayproxy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketd/bucketd/testsupport/delayproxy"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

const delay = 40 * time.Millisecond

// echoPeer answers every request with the Host header it received and counts the requests.
func echoPeer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		_, _ = io.WriteString(w, r.Host)
	}))
	t.Cleanup(srv.Close)
	return srv, &served
}

func TestProxyDelaysAndKeepsHost(t *testing.T) {
	peer, served := echoPeer(t)
	p := delayproxy.Start(t, peer.URL, delay)
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	t.Cleanup(client.CloseIdleConnections)
	for range 2 {
		req, err := http.NewRequest(http.MethodGet, p.URL+"/any", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "bucket.s3.test"
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request through the proxy: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if took := time.Since(start); took < delay {
			t.Errorf("request took %s, want at least the %s delay", took, delay)
		}
		if string(body) != "bucket.s3.test" {
			t.Errorf("peer saw Host %q, want the client's bucket.s3.test", body)
		}
	}
	if p.Requests() != 2 || served.Load() != 2 {
		t.Errorf("proxy forwarded %d, peer served %d; want 2 and 2", p.Requests(), served.Load())
	}
	if p.Connections() != 1 {
		t.Errorf("proxy accepted %d connections, want 1 reused keep-alive connection", p.Connections())
	}
	if p.Delay() != delay {
		t.Errorf("Delay() = %s, want %s", p.Delay(), delay)
	}
}

func TestProxyDropsRequestsCanceledDuringTheDelay(t *testing.T) {
	peer, served := echoPeer(t)
	const long = 200 * time.Millisecond
	p := delayproxy.Start(t, peer.URL, long)
	ctx, cancel := context.WithTimeout(context.Background(), long/5)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	t.Cleanup(client.CloseIdleConnections)
	start := time.Now()
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a request canceled during the delay got an answer")
	}
	// Wait until the delay has long passed: a request still held would be forwarded by now.
	time.Sleep(2*long - time.Since(start))
	if served.Load() != 0 || p.Requests() != 0 {
		t.Errorf("forwarded %d, served %d; want nothing forwarded", p.Requests(), served.Load())
	}
}

// A SigV4-signed request through the proxy verifies at a real gateway: the signature covers
// the Host the client addressed, which the proxy keeps.
func TestProxyKeepsSignaturesValid(t *testing.T) {
	gw := versitygw.Start(t)
	gw.CreateBucket(t, "proxied-bucket")
	p := delayproxy.Start(t, gw.Endpoint, delay)
	transport := &http.Transport{Proxy: nil}
	t.Cleanup(transport.CloseIdleConnections)
	client := s3.New(s3.Options{
		Region:       versitygw.Region,
		BaseEndpoint: aws.String(p.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(gw.RootKey, gw.RootSecret, ""),
		HTTPClient:   &http.Client{Transport: transport},
		Retryer:      aws.NopRetryer{},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("proxied-bucket")}); err != nil {
		t.Fatalf("signed HeadBucket through the proxy: %v", err)
	}
	if p.Requests() != 1 {
		t.Errorf("proxy forwarded %d requests, want 1", p.Requests())
	}
}

// Measure reports, per operation, what the proxy saw: one request each, at least one round trip
// of its delay each, and no new connection, since the client keeps its first one alive.
func TestMeasureReportsPerOperation(t *testing.T) {
	peer, _ := echoPeer(t)
	p := delayproxy.Start(t, peer.URL, delay)
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	t.Cleanup(client.CloseIdleConnections)
	warm, err := client.Get(p.URL) // the connection the benchmark reuses, opened before Measure
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, warm.Body)
	warm.Body.Close()
	var failure error
	result := testing.Benchmark(func(b *testing.B) {
		report := p.Measure(b, "call")
		for b.Loop() {
			resp, err := client.Get(p.URL)
			if err != nil {
				failure = err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		report()
	})
	if failure != nil {
		t.Fatalf("request through the proxy: %v", failure)
	}
	for unit, want := range map[string][2]float64{
		"requests/call":    {1, 1},
		"new-conns/call":   {0, 0},
		"round-trips/call": {1, 3},
		"ms/call":          {float64(delay / time.Millisecond), 3 * float64(delay/time.Millisecond)},
	} {
		if got, ok := result.Extra[unit]; !ok || got < want[0] || got > want[1] {
			t.Errorf("%s = %v (reported: %v), want between %v and %v", unit, got, ok, want[0], want[1])
		}
	}
}
