package ports

//go:generate go tool mockgen -destination=../testsupport/mocks/audit.go -package=mocks . AuditLog

import (
	"context"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// AuditLog keeps the audit trail: what was done to which organization's buckets, by whom, with
// what outcome, and the refused tokens and key rotations.
type AuditLog interface {
	// Record stores one event as given; domain.NewAuditEvent builds it.
	Record(ctx context.Context, e domain.AuditEvent) error
	// List returns up to limit events of the organization at or after since, oldest first.
	// orgID "" lists the events of no organization: refused tokens and key rotations.
	List(ctx context.Context, orgID string, since time.Time, limit int) ([]domain.AuditEvent, error)
}

// AuditPurger enforces the audit trail's retention, apart from AuditLog since only the
// retention job deletes events.
type AuditPurger interface {
	// Purge deletes the events of every organization, and of none, recorded before before, and
	// returns how many. It deletes in bounded batches, so a large backlog never blocks the
	// writers of new events for long.
	Purge(ctx context.Context, before time.Time) (int64, error)
}
