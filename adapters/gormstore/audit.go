package gormstore

import (
	"context"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var (
	_ ports.AuditLog    = AuditLog{}
	_ ports.AuditPurger = AuditLog{}
)

// AuditLog is the store's audit trail. It is a type of its own because its List would clash
// with the bucket reader's.
type AuditLog struct{ s *Store }

// Audit returns the audit trail kept in the store's database.
func (s *Store) Audit() AuditLog { return AuditLog{s} }

// auditRow is one audit event. Empty strings, not NULLs, stand for "none", so that org-less
// events are listed by the same indexed equality as an organization's.
type auditRow struct {
	ID         string    `gorm:"column:id;primaryKey"`
	At         time.Time `gorm:"column:at"`
	OrgID      string    `gorm:"column:org_id"`
	UserID     string    `gorm:"column:user_id"`
	Action     string    `gorm:"column:action"`
	BucketID   string    `gorm:"column:bucket_id"`
	Outcome    string    `gorm:"column:outcome"`
	RequestID  string    `gorm:"column:request_id"`
	ClientAddr string    `gorm:"column:client_addr"`
	Count      int       `gorm:"column:count"`
	// The workspace, member and role of workspace and membership events (migration 0011).
	WorkspaceID   string `gorm:"column:workspace_id"`
	SubjectUserID string `gorm:"column:subject_user_id"`
	Detail        string `gorm:"column:detail"`
}

func (auditRow) TableName() string { return "audit_events" }

func newAuditRow(e domain.AuditEvent) auditRow {
	return auditRow{ID: e.ID, At: dbTime(e.At), OrgID: e.OrgID, UserID: e.UserID, Action: string(e.Action),
		BucketID: e.BucketID, Outcome: e.Outcome, RequestID: e.RequestID, ClientAddr: e.ClientAddr, Count: e.Count,
		WorkspaceID: e.WorkspaceID, SubjectUserID: e.SubjectUserID, Detail: e.Detail}
}

// auditColumns are the columns of auditRow a bucket's creation event fills, in the order of its
// values; the bucket insert's one statement writes only these, and the others keep their ”
// default.
const auditColumns = "id, at, org_id, user_id, action, bucket_id, outcome, request_id, client_addr, count"

// values are r's fields, in the order of auditColumns.
func (r auditRow) values() []any {
	return []any{r.ID, r.At, r.OrgID, r.UserID, r.Action, r.BucketID, r.Outcome, r.RequestID, r.ClientAddr, r.Count}
}

// Record stores one audit event, returning once it is committed. Concurrent events share a
// statement (auditBatcher).
func (a AuditLog) Record(ctx context.Context, e domain.AuditEvent) error {
	if err := a.s.audit.record(ctx, newAuditRow(e)); err != nil {
		return wrap("record audit event "+string(e.Action), err)
	}
	return nil
}

// List returns up to limit events of the organization (orgID "" for events of none) at or after
// since, oldest first (audit_events_org_at). Events of one microsecond come in id order, so
// that a listing is stable.
func (a AuditLog) List(ctx context.Context, orgID string, since time.Time, limit int) ([]domain.AuditEvent, error) {
	var rows []auditRow
	err := a.s.db.WithContext(ctx).Where("org_id = ? AND at >= ?", orgID, dbTime(since)).
		Order("at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, wrap("list audit events", err)
	}
	events := make([]domain.AuditEvent, len(rows))
	for i, r := range rows {
		events[i] = domain.AuditEvent{ID: r.ID, At: r.At.UTC(), OrgID: r.OrgID, UserID: r.UserID, Action: domain.AuditAction(r.Action),
			BucketID: r.BucketID, Outcome: r.Outcome, RequestID: r.RequestID, ClientAddr: r.ClientAddr, Count: r.Count,
			WorkspaceID: r.WorkspaceID, SubjectUserID: r.SubjectUserID, Detail: r.Detail}
	}
	return events, nil
}

// auditPurgeBatch is how many events one DELETE of Purge removes. Each batch is a transaction of
// its own, so purging a large backlog never holds the table's locks (on SQLite, the database's
// write lock) for longer than one batch takes; writers slip in between batches.
const auditPurgeBatch = 1000

// purgeAuditBatch deletes up to auditPurgeBatch events older than a time, found through
// audit_events_at (migration 0008). PostgreSQL has no DELETE ... LIMIT, hence the subquery.
const purgeAuditBatch = "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ? LIMIT ?)"

// Purge deletes the events of every organization, and of none, recorded before before, in
// batches of auditPurgeBatch, and returns how many it deleted. Several processes purging at once
// delete disjoint rows or nothing, so it needs no coordination.
func (a AuditLog) Purge(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res := a.s.db.WithContext(ctx).Exec(purgeAuditBatch, dbTime(before), auditPurgeBatch)
		if res.Error != nil {
			return total, wrap("purge old audit events", res.Error)
		}
		total += res.RowsAffected
		if res.RowsAffected < auditPurgeBatch {
			return total, nil
		}
	}
}
