package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// fakeAudit keeps the events the server records.
type fakeAudit struct {
	mu     sync.Mutex
	events []domain.AuditEvent
}

func (a *fakeAudit) Record(_ context.Context, e domain.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
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
			req.Header.Set("X-Request-Id", "req-audit-1")
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			h.record(req)

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
				e.Outcome != "unauthenticated" || !domain.IsID(e.ID) || e.At.IsZero() {
				t.Errorf("audit event = %+v, want a token_rejected of no organization for request req-audit-1", e)
			}
			if strings.Contains(e.ID+e.BucketID+e.Outcome+e.RequestID, badToken) {
				t.Errorf("audit event %+v holds the token", e)
			}
		})
	}
}
