package app

import (
	"context"
	"errors"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// maxAuditEvents bounds one listing; an operator narrows a longer trail with since.
const maxAuditEvents = 10000

// AuditTrail lists the audit events of an organization since a time, oldest first, at most
// limit (0 means maxAuditEvents). orgID "" lists the events that belong to no organization:
// refused tokens and master-key rotations.
func (a *Admin) AuditTrail(ctx context.Context, orgID string, since time.Time, limit int) ([]domain.AuditEvent, error) {
	if a.audit == nil {
		return nil, errors.New("app.Admin: no audit log configured")
	}
	if orgID != "" && !domain.IsID(orgID) {
		return nil, domain.Errorf(domain.KindInvalidInput, "org %q is not an organization id (a UUID)", orgID)
	}
	switch {
	case limit < 0 || limit > maxAuditEvents:
		return nil, domain.Errorf(domain.KindInvalidInput, "limit %d is out of range; use 1 to %d", limit, maxAuditEvents)
	case limit == 0:
		limit = maxAuditEvents
	}
	return a.audit.List(ctx, orgID, since, limit)
}
