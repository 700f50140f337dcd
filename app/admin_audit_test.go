package app_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/mocks"
)

func TestAuditTrail(t *testing.T) {
	ctrl := gomock.NewController(t)
	audit := mocks.NewMockAuditLog(ctrl)
	deps := newAdminStore(ctrl).deps()
	deps.Audit = audit
	a, err := app.NewAdmin(deps)
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	events := []domain.AuditEvent{{ID: "e1", OrgID: orgID, Action: domain.AuditCreate, Outcome: domain.AuditOK}}
	audit.EXPECT().List(gomock.Any(), orgID, since, 10000).Return(events, nil)
	got, err := a.AuditTrail(context.Background(), orgID, since, 0)
	if err != nil || len(got) != 1 || got[0].ID != "e1" {
		t.Errorf("AuditTrail = %+v, %v", got, err)
	}
	audit.EXPECT().List(gomock.Any(), "", since, 5).Return(nil, nil)
	if _, err := a.AuditTrail(context.Background(), "", since, 5); err != nil {
		t.Errorf("system-wide trail: %v", err)
	}
	for _, bad := range []struct {
		org   string
		limit int
	}{{"not-an-id", 0}, {orgID, -1}, {orgID, 10001}} {
		if _, err := a.AuditTrail(context.Background(), bad.org, since, bad.limit); !domain.IsKind(err, domain.KindInvalidInput) {
			t.Errorf("AuditTrail(%q, %d) = %v, want invalid input", bad.org, bad.limit, err)
		}
	}
	plain, _ := app.NewAdmin(newAdminStore(ctrl).deps())
	if _, err := plain.AuditTrail(context.Background(), orgID, since, 0); err == nil {
		t.Error("AuditTrail without an audit log must refuse")
	}
}
