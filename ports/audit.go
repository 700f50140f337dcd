package ports

//go:generate go tool mockgen -destination=mocks/audit.go -package=mocks . AuditLog

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
