package awsrole

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/hostile"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
	"github.com/bucketd/bucketd/testsupport/stspeer"
)

const (
	callerKey    = "BUCKETDOWNIDENTITY01"
	callerSecret = "bucketd-own-identity-secret-for-tests"
	callerARN    = "arn:aws:iam::111122223333:user/bucketd"
	roleARN      = "arn:aws:iam::444455556666:role/bucketd-reader"
	externalID   = "bucketd-ext-Zx81nQ0aWm3_Lr5tYv7uPb2c"
	orgID        = "01890a5d-ac96-774b-bcce-b302099a8057"
)

// clock is a settable clock shared by the assumer and the peer.
type clock struct{ now atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.now.Store(time.Now().UnixNano())
	return c
}
func (c *clock) Now() time.Time               { return time.Unix(0, c.now.Load()) }
func (c *clock) advance(d time.Duration)      { c.now.Add(int64(d)) }
func guardedClient(t testing.TB) *http.Client { return netguard.NewClient(guardedTransport(t)) }

func guardedTransport(t testing.TB) *http.Transport {
	tr := netguard.NewTransport(netguard.NewDialer(providerchecktest.LoopbackAllowList(t)))
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func startPeer(t *testing.T, c *clock) *stspeer.Peer {
	t.Helper()
	return stspeer.Start(t, stspeer.Config{
		Callers: []stspeer.Caller{{AccessKey: callerKey, Secret: callerSecret, ARN: callerARN}},
		Roles:   []stspeer.Role{{ARN: roleARN, TrustedPrincipal: callerARN, ExternalID: externalID, AccessKey: "ROLEACCOUNTKEY000001", Secret: "role-account-secret"}},
		Now:     c.Now,
	})
}

func newAssumer(t testing.TB, endpoint string, c *clock, maxEntries int) *Assumer {
	t.Helper()
	a, err := New(Config{HTTPClient: guardedClient(t), Endpoint: endpoint, Now: c.Now, MaxEntries: maxEntries, Timeout: 2 * time.Second,
		Identity: credentials.NewStaticCredentialsProvider(callerKey, callerSecret, "")})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func role() Role {
	return Role{ARN: domain.NewSecret(roleARN), ExternalID: externalID, OrgID: orgID}
}

func TestAssumeCachesUntilShortlyBeforeExpiry(t *testing.T) {
	c := newClock()
	peer := startPeer(t, c)
	a := newAssumer(t, peer.STSURL, c, 0)
	first, err := a.Assume(context.Background(), "authenticate", role())
	if err != nil {
		t.Fatalf("Assume: %v", err)
	}
	if until := first.Expires.Sub(c.Now()); until <= sessionDuration-time.Second || until > sessionDuration {
		t.Errorf("credentials last %s, want the %s asked for", until, sessionDuration)
	}
	c.advance(sessionDuration - renewBefore - time.Second)
	if again, _ := a.Assume(context.Background(), "authenticate", role()); again.SessionToken != first.SessionToken {
		t.Error("credentials with more than a minute left were not reused")
	}
	if got := peer.AssumeRoleCalls(); got != 1 {
		t.Fatalf("AssumeRole calls = %d, want 1", got)
	}
	c.advance(2 * time.Second)
	renewed, err := a.Assume(context.Background(), "authenticate", role())
	if err != nil || renewed.SessionToken == first.SessionToken || peer.AssumeRoleCalls() != 2 {
		t.Fatalf("near expiry: err %v, renewed %t, calls %d", err, renewed.SessionToken != first.SessionToken, peer.AssumeRoleCalls())
	}
}

func TestAssumeSharesOneRequestAmongConcurrentCallers(t *testing.T) {
	c := newClock()
	peer := startPeer(t, c)
	a := newAssumer(t, peer.STSURL, c, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			_, err := a.Assume(context.Background(), "authenticate", role())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Assume: %v", err)
		}
	}
	if got := peer.AssumeRoleCalls(); got != 1 {
		t.Errorf("AssumeRole calls = %d, want 1 for 32 concurrent callers", got)
	}
}

func TestAssumeCacheIsBounded(t *testing.T) {
	c := newClock()
	peer := startPeer(t, c)
	a := newAssumer(t, peer.STSURL, c, 2)
	for i := range 5 {
		r := role()
		r.OrgID = fmt.Sprintf("01890a5d-ac96-774b-bcce-b302099a805%d", i)
		if _, err := a.Assume(context.Background(), "authenticate", r); err != nil {
			t.Fatalf("Assume: %v", err)
		}
	}
	a.cache.mu.Lock()
	n := len(a.cache.entries)
	a.cache.mu.Unlock()
	if n > 2 {
		t.Errorf("the cache holds %d entries, want at most 2", n)
	}
	if got := peer.AssumeRoleCalls(); got != 5 {
		t.Errorf("AssumeRole calls = %d, want one per organization", got)
	}
}

func TestAssumeDoesNotCacheFailures(t *testing.T) {
	c := newClock()
	peer := startPeer(t, c)
	a := newAssumer(t, peer.STSURL, c, 0)
	bad := role()
	bad.ExternalID = "bucketd-ext-wrong"
	for range 2 {
		_, err := a.Assume(context.Background(), "authenticate", bad)
		providerchecktest.WantKind(t, err, domain.KindAccessDenied, `"sts:ExternalId": "bucketd-ext-wrong"`, callerARN)
	}
	if _, err := a.Assume(context.Background(), "authenticate", role()); err != nil {
		t.Fatalf("the right ExternalId after a wrong one: %v", err)
	}
}

func TestAssumeRefusals(t *testing.T) {
	c := newClock()
	peer := startPeer(t, c)
	cases := []struct {
		name     string
		assumer  func(t *testing.T) *Assumer
		role     Role
		kind     domain.Kind
		fragment string
	}{
		{"bucketd's identity unknown to STS", func(t *testing.T) *Assumer {
			a, _ := New(Config{HTTPClient: guardedClient(t), Endpoint: peer.STSURL,
				Identity: credentials.NewStaticCredentialsProvider("UNKNOWNIDENTITY00001", callerSecret, "")})
			return a
		}, role(), domain.KindProviderError, "its operator must fix bucketd's AWS credentials"},
		{"no identity", func(t *testing.T) *Assumer {
			a, _ := New(Config{HTTPClient: guardedClient(t), Endpoint: peer.STSURL})
			return a
		}, role(), domain.KindProviderError, "no AWS identity of its own"},
		{"no external id", func(t *testing.T) *Assumer { return newAssumer(t, peer.STSURL, c, 0) },
			Role{ARN: domain.NewSecret(roleARN)}, domain.KindInternal, "ExternalId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.assumer(t).Assume(context.Background(), "authenticate", tc.role)
			providerchecktest.WantKind(t, err, tc.kind, "authenticate:", tc.fragment)
		})
	}
}

func TestPrincipal(t *testing.T) {
	c := newClock()
	peer := startPeer(t, c)
	if got := newAssumer(t, peer.STSURL, c, 0).Principal(context.Background()); got != callerARN {
		t.Errorf("Principal = %q, want %q", got, callerARN)
	}
	if got := newAssumer(t, providerchecktest.ClosedPortURL(t), c, 0).Principal(context.Background()); got != "" {
		t.Errorf("Principal with STS unreachable = %q, want none", got)
	}
}

// TestHostileSTS meets the assumer with an STS under an attacker's control: every misbehaviour
// ends in a classified, bounded refusal, never an internal error, within the deadline, and the
// assumer reads no more of an answer than the body cap.
func TestHostileSTS(t *testing.T) {
	peer := hostile.Start(t)
	const timeout = 2 * time.Second
	for _, hc := range hostile.Cases() {
		t.Run(string(hc), func(t *testing.T) {
			c := newClock()
			a := newAssumer(t, peer.URL, c, 0)
			peer.Set(hc)
			start := time.Now()
			_, err := a.Assume(context.Background(), "authenticate", role())
			if took := time.Since(start); took > timeout+5*time.Second {
				t.Errorf("took %s", took)
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind == domain.KindInternal {
				t.Fatalf("err = %v, want a classified refusal", err)
			}
			if !strings.HasPrefix(de.Message, "authenticate: ") || len(de.Message) > 2000 || strings.Contains(de.Message, roleARN) {
				t.Errorf("message %.300q: want it to start with the check, bounded, and without the role ARN", de.Message)
			}
			if !peer.WaitIdle(timeout + 15*time.Second) {
				t.Errorf("the peer is still writing: %q", peer.Busy())
			}
			if s := peer.Stats(); s.Largest > netguard.DefaultMaxBody+2<<20 || s.AtCeiling > 0 || s.Followed > 0 {
				t.Errorf("peer stats %+v: read past the body cap or followed a redirect", s)
			}
		})
	}
}
