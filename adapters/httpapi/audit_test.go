package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// fakeAudit keeps the events the server records, or fails every one with err.
type fakeAudit struct {
	mu     sync.Mutex
	err    error
	events []domain.AuditEvent
}

func (a *fakeAudit) Record(_ context.Context, e domain.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	a.events = append(a.events, e)
	return nil
}

func (a *fakeAudit) List(context.Context, string, time.Time, int) ([]domain.AuditEvent, error) {
	return nil, errors.New("fakeAudit.List is not used by the server")
}

func (a *fakeAudit) recorded() []domain.AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.events)
}

// flushRefusals records the refused tokens tallied so far, as the server does when it stops.
func (h *harness) flushRefusals() {
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	h.server.AuditRefusedTokens(stopped, time.Hour)
}

// bogusFrom is GET /bucket/{id} from the client at peer with a token nobody issued.
func bogusFrom(peer, token string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/bucket/"+domain.NewID(), nil)
	req.RemoteAddr = peer
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func TestARejectedTokenIsAuditedWithoutTokenMaterial(t *testing.T) {
	const badToken = "bkt_not-a-token-anyone-issued"
	for _, tc := range []struct {
		name, header string
		audited      bool
	}{
		{"unknown token", "Bearer " + badToken, true},
		{"missing header", "", false},
		{"known token", "Bearer " + testToken, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			req := httptest.NewRequest(http.MethodGet, "/bucket/"+domain.NewID(), nil)
			req.RemoteAddr = "198.51.100.7:40000"
			req.Header.Set("X-Request-Id", "req-audit-1")
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			h.record(req)
			h.flushRefusals()

			events := h.audit.recorded()
			if !tc.audited {
				if len(events) != 0 {
					t.Errorf("audit events = %+v, want none", events)
				}
				return
			}
			if len(events) != 1 {
				t.Fatalf("audit events = %+v, want one", events)
			}
			e := events[0]
			if e.Action != domain.AuditTokenRejected || e.OrgID != "" || e.UserID != "" || e.RequestID != "req-audit-1" ||
				e.Outcome != "unauthenticated" || !domain.IsID(e.ID) || !e.At.Equal(h.clock.Now()) ||
				e.ClientAddr != "198.51.100.7" || e.Count != 1 {
				t.Errorf("audit event = %+v, want one token_rejected of no organization from 198.51.100.7 for request req-audit-1", e)
			}
			if strings.Contains(e.ID+e.BucketID+e.Outcome+e.RequestID+e.ClientAddr, badToken) {
				t.Errorf("audit event %+v holds the token", e)
			}
		})
	}
}

// TestRefusedTokensAreTalliedPerClientAddress floods the server with bogus tokens from two
// addresses: nothing is written per request, and each flush writes one event per address with
// its count, the time and request id of its first refusal.
func TestRefusedTokensAreTalliedPerClientAddress(t *testing.T) {
	h := newHarness(t)
	first := bogusFrom("203.0.113.9:1111", "bkd_bogus_0")
	first.Header.Set("X-Request-Id", "req-first")
	wantError(t, h.serve(t, first), http.StatusUnauthorized, "UNAUTHENTICATED")
	start := h.clock.Now()
	for i := range 49 {
		h.clock.Advance(time.Millisecond)
		wantError(t, h.serve(t, bogusFrom("203.0.113.9:1111", "bkd_bogus_"+strconv.Itoa(i))), http.StatusUnauthorized, "UNAUTHENTICATED")
	}
	for range 3 {
		wantError(t, h.serve(t, bogusFrom("[2001:db8::7]:2222", "bkd_bogus_v6")), http.StatusUnauthorized, "UNAUTHENTICATED")
	}
	if events := h.audit.recorded(); len(events) != 0 {
		t.Fatalf("%d audit events written before the flush, want none: refusals are tallied", len(events))
	}

	h.flushRefusals()
	events := h.audit.recorded()
	slices.SortFunc(events, func(a, b domain.AuditEvent) int { return strings.Compare(a.ClientAddr, b.ClientAddr) })
	if len(events) != 2 {
		t.Fatalf("audit events = %+v, want one per client address", events)
	}
	v4, v6 := events[1], events[0]
	if v4.ClientAddr != "203.0.113.9" || v4.Count != 50 || v4.RequestID != "req-first" || !v4.At.Equal(start) ||
		v4.Action != domain.AuditTokenRejected || v4.Outcome != "unauthenticated" || v4.OrgID != "" || !domain.IsID(v4.ID) {
		t.Errorf("IPv4 event = %+v, want 50 refusals from 203.0.113.9 from request req-first at %s", v4, start)
	}
	if v6.ClientAddr != "2001:db8::7" || v6.Count != 3 || v6.Action != domain.AuditTokenRejected {
		t.Errorf("IPv6 event = %+v, want 3 refusals from 2001:db8::7", v6)
	}

	// A flush starts a new interval: nothing is written twice, and a later refusal is a new event.
	h.flushRefusals()
	if n := len(h.audit.recorded()); n != 2 {
		t.Fatalf("a second flush with nothing tallied left %d events, want 2", n)
	}
	h.serve(t, bogusFrom("203.0.113.9:1111", "bkd_bogus_later"))
	h.flushRefusals()
	if events := h.audit.recorded(); len(events) != 3 || events[2].Count != 1 || events[2].ID == v4.ID {
		t.Errorf("audit events after a later refusal = %+v, want a third, new event with count 1", events)
	}
}

// TestRefusedTokensAreRecordedEveryInterval runs the recorder as the composition root does: the
// tally reaches the audit log on its own each interval, and what is left when it stops is
// recorded then.
func TestRefusedTokensAreRecordedEveryInterval(t *testing.T) {
	h := newHarness(t)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.server.AuditRefusedTokens(ctx, 10*time.Millisecond)
	}()
	h.serve(t, bogusFrom("203.0.113.9:1111", "bkd_bogus_1"))
	for deadline := time.Now().Add(10 * time.Second); len(h.audit.recorded()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the refusal was not recorded within 10 s of an interval of 10 ms")
		}
	}
	h.serve(t, bogusFrom("203.0.113.10:1111", "bkd_bogus_2"))
	stop()
	<-done
	events := h.audit.recorded()
	if len(events) != 2 || events[0].ClientAddr != "203.0.113.9" || events[1].ClientAddr != "203.0.113.10" {
		t.Errorf("audit events = %+v, want one per refusal, the second recorded when the recorder stopped", events)
	}
}

func TestALostTallyIsLogged(t *testing.T) {
	h := newHarness(t)
	h.audit.err = errors.New("audit table unreachable")
	for range 7 {
		h.serve(t, bogusFrom("203.0.113.9:1111", "bkd_bogus_lost"))
	}
	h.flushRefusals()
	if !hasRecord(h.logs.records(t), func(r map[string]any) bool {
		return r["msg"] == "audit event lost" && r["level"] == "ERROR" && r["action"] == "token_rejected" &&
			r["client_addr"] == "203.0.113.9" && r["count"] == float64(7)
	}) {
		t.Errorf("no error line naming the lost tally of 7 refusals from 203.0.113.9; logs:\n%s", h.logs)
	}
}
