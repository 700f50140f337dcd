package main_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/contracttest"
	"github.com/bucketd/bucketd/testsupport/delayproxy"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// slowProviderDelay holds back every request to the provider, so a validation is still running
// when the server is told to stop.
const slowProviderDelay = time.Second

// TestShutdownFinishesInFlightRequests sends SIGTERM while a validation waits on a slow provider
// (a delay proxy in front of versitygw): new connections are refused at once, the validation
// still answers 200 with its report, and the process exits 0 within the shutdown deadline.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	gw := versitygw.Start(t)
	gw.CreateBucket(t, "shutdown-bucket")
	proxy := delayproxy.Start(t, gw.Endpoint, slowProviderDelay)
	checker := contracttest.New(t)
	const deadline = 20 * time.Second
	s := startServer(t, checker, t.TempDir(), "--dev", "--addr", "127.0.0.1:0", "--shutdown-timeout", deadline.String())
	token, workspaceID := devCredentials(t, s)

	type answer struct {
		res *client.ValidateBucketClientResponse
		err error
		at  time.Time
	}
	answered := make(chan answer, 1)
	c := s.Client(t, checker, token)
	go func() {
		res, err := c.ValidateBucketWithResponse(context.WithoutCancel(t.Context()), api.ValidateBucketRequest{
			Bucket: "shutdown-bucket", StorageType: api.StorageTypeS3, Key: gw.RootKey, Secret: gw.RootSecret,
			Region: ptr[api.Region](versitygw.Region), Endpoint: &proxy.URL, WorkspaceId: &workspaceID,
		})
		answered <- answer{res: res, err: err, at: time.Now()}
	}()
	// The validation is in flight once bucketd has reached the provider.
	waitUntil(t, "bucketd connects to the provider", func() bool { return proxy.Connections() > 0 })

	sigterm := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop() }()
	// The listener closes at once: a new client is refused while the validation still runs.
	addr := strings.TrimPrefix(s.URL, "http://")
	waitUntil(t, "bucketd refuses new connections", func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
		}
		return err != nil
	})
	select {
	case a := <-answered:
		t.Fatalf("the validation answered (%v) before new connections were refused; it was not in flight", a.err)
	default:
	}

	a := <-answered
	switch {
	case a.err != nil:
		t.Fatalf("the in-flight validation failed during shutdown: %v", a.err)
	case a.res.StatusCode() != http.StatusOK || a.res.JSON200 == nil || !a.res.JSON200.Success:
		t.Fatalf("the in-flight validation answered %d %s, want 200 with every check passed", a.res.StatusCode(), a.res.Body)
	case !a.at.After(sigterm):
		t.Fatal("the validation answered before SIGTERM was sent; it was not in flight")
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("%v\nstderr:\n%s", err, s.Stderr.String())
		}
	case <-time.After(deadline):
		t.Fatalf("bucketd did not exit within the %s shutdown deadline", deadline)
	}
	if took := time.Since(sigterm); took >= deadline {
		t.Errorf("bucketd took %s to exit after SIGTERM, beyond its %s deadline", took, deadline)
	}
	t.Logf("SIGTERM to answer: %s; SIGTERM to exit: %s", a.at.Sub(sigterm).Round(time.Millisecond), time.Since(sigterm).Round(time.Millisecond))
}

// waitUntil polls cond until it holds, failing t after startTimeout.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", startTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
