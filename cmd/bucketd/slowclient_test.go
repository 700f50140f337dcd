package main_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/contracttest"
)

// Parameters of the slow-client test.
const (
	// slowClients is how many slow-loris connections are open at once.
	slowClients = 200
	// slowHeaderTimeout is the server's --read-header-timeout in the test, short so that each
	// slow client is cut several times during the run.
	slowHeaderTimeout = 2 * time.Second
	// slowRun is how long the slow clients keep attacking.
	slowRun = 3 * slowHeaderTimeout
	// normalDeadline is how long an ordinary request may take while the attack runs.
	normalDeadline = time.Second
	// cutSlack is how late after slowHeaderTimeout the server may cut a slow connection.
	cutSlack = 1500 * time.Millisecond
)

// TestSlowClientsDoNotStarveOthers runs a slow-loris attack: 200 connections that send a
// request's headers one byte per second and reconnect whenever the server cuts them. Meanwhile
// ordinary authenticated requests, each on a new connection, must keep answering 200 within a
// second, and the server must cut every slow connection once --read-header-timeout has passed.
func TestSlowClientsDoNotStarveOthers(t *testing.T) {
	checker := contracttest.New(t)
	s := startServer(t, checker, t.TempDir(), "--dev", "--addr", "127.0.0.1:0",
		"--read-header-timeout", slowHeaderTimeout.String())
	token, _ := devCredentials(t, s)
	addr := strings.TrimPrefix(s.URL, "http://")

	ctx, cancel := context.WithTimeout(t.Context(), slowRun)
	defer cancel()
	attackers := make([]*slowLoris, slowClients)
	var connected sync.WaitGroup
	var done sync.WaitGroup
	connected.Add(slowClients)
	for i := range attackers {
		a := &slowLoris{addr: addr}
		attackers[i] = a
		done.Go(func() { a.run(ctx, connected.Done) })
	}
	connected.Wait()

	normal := &http.Client{Transport: checker.RoundTripper(t, &http.Transport{Proxy: nil, DisableKeepAlives: true})}
	var slowest time.Duration
	sent := 0
	for tick := time.Tick(100 * time.Millisecond); ctx.Err() == nil; <-tick {
		took, err := listOnce(ctx, normal, s.URL, token)
		if ctx.Err() != nil {
			break // the run ended during this request
		}
		sent++
		if err != nil {
			t.Errorf("request %d while 200 slow clients were connected: %v", sent, err)
		}
		slowest = max(slowest, took)
	}
	done.Wait()

	if sent < 10 {
		t.Errorf("only %d ordinary requests were sent during the attack, want at least 10", sent)
	}
	for i, a := range attackers {
		if a.err != nil {
			t.Errorf("slow client %d: %v", i, a.err)
		}
		if len(a.cuts) == 0 {
			t.Errorf("slow client %d was never cut by the server within %s", i, slowRun)
		}
		for _, held := range a.cuts {
			if held > slowHeaderTimeout+cutSlack {
				t.Errorf("slow client %d was cut after %s, want about the %s read-header timeout", i, held, slowHeaderTimeout)
			}
		}
	}
	t.Logf("%d ordinary requests, the slowest in %s; %d slow connections cut", sent, slowest, totalCuts(attackers))
}

// listOnce sends GET /bucket on a new connection and wants 200 within normalDeadline.
func listOnce(ctx context.Context, c *http.Client, baseURL, token string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, normalDeadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/bucket", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return time.Since(start), fmt.Errorf("GET /bucket: no answer within %s: %w", normalDeadline, err)
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	took := time.Since(start)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET /bucket answered %d, want 200", res.StatusCode)
	}
	return took, err
}

// slowLoris is one attacking client: it keeps a connection open by sending a request's headers
// one byte per second, and reconnects whenever the server cuts it.
type slowLoris struct {
	addr string
	// cuts is how long each connection lasted before the server closed it.
	cuts []time.Duration
	err  error
}

// slowRequest never ends within a run: headers that would take minutes to arrive.
var slowRequest = "GET /healthz HTTP/1.1\r\nHost: bucketd\r\nX-Slow: " + strings.Repeat("a", 600)

// run attacks until ctx ends, calling connected once its first connection is open.
func (a *slowLoris) run(ctx context.Context, connected func()) {
	first := true
	for ctx.Err() == nil {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", a.addr)
		if first {
			connected()
			first = false
		}
		if err != nil {
			if ctx.Err() == nil {
				a.err = fmt.Errorf("connect: %w", err)
			}
			return
		}
		if held, cut := a.trickle(ctx, conn); cut {
			a.cuts = append(a.cuts, held)
		}
	}
}

// trickle sends one byte per second on conn until the server closes it (cut) or ctx ends.
func (a *slowLoris) trickle(ctx context.Context, conn net.Conn) (held time.Duration, cut bool) {
	defer conn.Close()
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		// The server answers a slow client nothing: it just closes the connection.
		_, _ = io.Copy(io.Discard, conn)
		close(closed)
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 0; ; i++ {
		if _, err := conn.Write([]byte{slowRequest[i%len(slowRequest)]}); err != nil {
			// Writing to a connection the server has just closed fails; the reader ends too.
			<-closed
			return time.Since(start), true
		}
		select {
		case <-closed:
			return time.Since(start), true
		case <-ctx.Done():
			_ = conn.Close()
			<-closed
			return 0, false
		case <-tick.C:
		}
	}
}

func totalCuts(attackers []*slowLoris) int {
	n := 0
	for _, a := range attackers {
		n += len(a.cuts)
	}
	return n
}
