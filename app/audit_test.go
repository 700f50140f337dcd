package app_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// auditSpy is an AuditLog that keeps what it is given, or refuses every write with err.
type auditSpy struct {
	mu     sync.Mutex
	events []domain.AuditEvent
	err    error
}

var _ ports.AuditLog = (*auditSpy)(nil)

func (a *auditSpy) Record(_ context.Context, e domain.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	a.events = append(a.events, e)
	return nil
}

func (a *auditSpy) List(context.Context, string, time.Time, int) ([]domain.AuditEvent, error) {
	return nil, errors.New("auditSpy.List is not used by the use cases")
}

func (a *auditSpy) recorded() []domain.AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.events)
}

// wantOneEvent checks that exactly one event was recorded, with the given fields and a fresh id.
func wantOneEvent(t *testing.T, a *auditSpy, want domain.AuditEvent) {
	t.Helper()
	events := a.recorded()
	if len(events) != 1 {
		t.Fatalf("audit events = %+v, want exactly one", events)
	}
	got := events[0]
	if !domain.IsID(got.ID) {
		t.Errorf("audit event id %q is not a UUID", got.ID)
	}
	got.ID = ""
	if got != want {
		t.Errorf("audit event = %+v, want %+v", got, want)
	}
}

func TestDeleteIsAuditedWithActorAndRequestID(t *testing.T) {
	// The actor comes from the principal, the request id and the client address from ctx.
	ctx := domain.WithClientAddr(domain.WithRequestID(t.Context(), "req-1"), "198.51.100.7")
	for name, tc := range map[string]struct {
		deleteErr error
		outcome   string
	}{
		"ok":      {nil, domain.AuditOK},
		"refused": {errNotFound, domain.KindNotFound.String()},
	} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t)
			gomock.InOrder(f.expectGet(), f.store.EXPECT().Delete(gomock.Any(), orgID, bucketID, clock).Return(tc.deleteErr))

			_ = f.svc.Delete(ctx, admin, bucketID)

			wantOneEvent(t, f.audit, domain.AuditEvent{At: clock, OrgID: orgID, UserID: admin.UserID, Action: domain.AuditDelete,
				BucketID: bucketID, Outcome: tc.outcome, RequestID: "req-1", ClientAddr: "198.51.100.7", Count: 1})
		})
	}
}

func TestALostAuditEventDoesNotFailTheRequest(t *testing.T) {
	f := newBucketsFixture(t)
	f.audit.err = errors.New("audit table unreachable")
	gomock.InOrder(f.expectGet(), f.store.EXPECT().Delete(gomock.Any(), orgID, bucketID, clock).Return(nil))

	if err := f.svc.Delete(t.Context(), admin, bucketID); err != nil {
		t.Fatalf("Delete = %v; want success although the audit write failed", err)
	}
	if logs := f.logs.String(); !strings.Contains(logs, `"level":"ERROR","msg":"audit event lost"`) || !strings.Contains(logs, `"action":"delete"`) {
		t.Errorf("log = %s, want an error line naming the lost delete event", logs)
	}
}

func TestHealthRoundAuditsOnlyAStatusChange(t *testing.T) {
	for name, tc := range map[string]struct {
		verdict  error
		recorded domain.StatusRecord
		want     []domain.AuditEvent
	}{
		"turns OFFLINE": {domain.Errorf(domain.KindInvalidCredentials, "key not known"), recordedAt(domain.StatusOffline, "key not known"),
			[]domain.AuditEvent{{At: clock, OrgID: orgID, Action: domain.AuditHealthCheck, BucketID: "b-1",
				Outcome: "invalid credentials", Count: 1}}},
		"stays ONLINE": {nil, recordedAt(domain.StatusOnline, ""), nil},
	} {
		t.Run(name, func(t *testing.T) {
			f := newHealthFixture(t, 1)
			b := dueBucket("b-1")
			b.Status = domain.StatusOnline
			f.expectRound(1, b)
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(domain.ValidationReport{}, tc.verdict)
			f.store.EXPECT().RecordStatus(gomock.Any(), orgID, "b-1", b.Version, tc.recorded).Return(nil)

			if _, err := f.job.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}

			got := f.audit.recorded()
			for i := range got {
				got[i].ID = ""
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("audit events = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestEveryRotationRunIsAudited(t *testing.T) {
	f := newKeysFixture(t, 10, "k1")
	f.expectBatches(10, 1, []ports.SealedRecord{record(bucketA, 1, "k2", "k2")})

	if _, err := f.svc.Rotate(t.Context(), nil); err != nil {
		t.Fatal(err)
	}

	events := f.audit.recorded()
	if len(events) != 1 || events[0].Action != domain.AuditKeyRotation || events[0].OrgID != "" || events[0].Outcome != domain.AuditOK {
		t.Errorf("audit events = %+v, want one system-wide ok key_rotation", events)
	}
}
