package gcsvalidator

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// fetchOK is a fetch of a token valid for lifetime from now.
func fetchOK(value string, now time.Time, lifetime time.Duration) fetchFunc {
	return func(context.Context) (string, time.Time, answer) { return value, now.Add(lifetime), answer{} }
}

func TestTokenCacheIsBounded(t *testing.T) {
	now := time.Now()
	c := newTokenCache(3, func() time.Time { return now })
	for i := range 10 {
		key := fmt.Sprint(i)
		c.get(context.Background(), key, fetchOK("t"+key, now, time.Duration(10+i)*time.Minute))
		if n := len(c.entries); n > 3 {
			t.Fatalf("after %d tokens the cache holds %d, want at most 3", i+1, n)
		}
	}
	for _, key := range []string{"7", "8", "9"} { // the ones that live longest stay
		if _, cached, _ := c.get(context.Background(), key, fetchOK("new", now, time.Hour)); !cached {
			t.Errorf("token %s was dropped, want the soonest renewed ones dropped first", key)
		}
	}
}

func TestTokenCacheKeepsNoFailureAndNoDyingToken(t *testing.T) {
	now := time.Now()
	c := newTokenCache(8, func() time.Time { return now })
	refused := answer{err: errors.New("refused"), kind: domain.KindAccessDenied}
	c.get(context.Background(), "refused", func(context.Context) (string, time.Time, answer) { return "", time.Time{}, refused })
	c.get(context.Background(), "dying", fetchOK("t", now, renewBefore))
	if len(c.entries) != 0 {
		t.Errorf("the cache kept %d entries, want neither a failure nor a token due for renewal", len(c.entries))
	}
}

func TestTokenCacheWaitersSurviveAPanickingFetch(t *testing.T) {
	c := newTokenCache(8, time.Now)
	started, release := make(chan struct{}), make(chan struct{})
	go func() {
		defer func() { _ = recover() }()
		c.get(context.Background(), "k", func(context.Context) (string, time.Time, answer) {
			close(started)
			<-release
			panic("boom")
		})
	}()
	<-started
	done := make(chan answer)
	go func() {
		_, _, a := c.get(context.Background(), "k", fetchOK("never", time.Now(), time.Hour))
		done <- a
	}()
	time.Sleep(20 * time.Millisecond) // let the waiter wait
	close(release)
	select {
	case a := <-done:
		if a.ok() || a.kind != domain.KindInternal {
			t.Errorf("the waiter got %+v, want the failed fetch's internal error", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter still waits for a fetch that panicked")
	}
}

func TestTokenCacheWaiterHonoursItsContext(t *testing.T) {
	c := newTokenCache(8, time.Now)
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	go c.get(context.Background(), "k", func(context.Context) (string, time.Time, answer) {
		close(started)
		<-release
		return "t", time.Now().Add(time.Hour), answer{}
	})
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, a := c.get(ctx, "k", fetchOK("never", time.Now(), time.Hour)); a.kind != domain.KindProviderTimeout {
		t.Errorf("a waiter whose deadline passed got %+v, want a provider timeout", a)
	}
}
