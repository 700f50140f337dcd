package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// WorkspaceInOrg reports whether the workspace exists in the organization. An id that is not a
// UUID exists nowhere.
func (s *Store) WorkspaceInOrg(ctx context.Context, orgID, workspaceID string) (bool, error) {
	if !domain.IsID(orgID) || !domain.IsID(workspaceID) {
		return false, nil
	}
	found, err := exists(s.db.WithContext(ctx), workspaceInOrgQuery, canonicalID(workspaceID), canonicalID(orgID))
	return found, wrap("look up workspace", err)
}

// QuotaUsage reads the organization's live bucket count against its effective limit.
func (s *Store) QuotaUsage(ctx context.Context, orgID string) (domain.Quota, error) {
	r, err := s.readUsage(ctx, usageQuery{orgID: orgID})
	return r.Quota, wrap("read bucket quota", err)
}

// PrecheckCreate reads whether the workspace is the organization's, the organization's quota
// and whether a live bucket of it has a name with the name's key (domain.NameKey), in one
// statement.
func (s *Store) PrecheckCreate(ctx context.Context, orgID, workspaceID, name string) (ports.CreatePrecheck, error) {
	r, err := s.readUsage(ctx, usageQuery{orgID: orgID, workspaceID: workspaceID, name: name})
	return r, wrap("read bucket quota", err)
}

// NameTaken reports whether a live bucket of the organization has a name with the name's key
// (domain.NameKey).
func (s *Store) NameTaken(ctx context.Context, orgID, name string) (bool, error) {
	if !domain.IsID(orgID) {
		return false, nil
	}
	taken, err := exists(s.db.WithContext(ctx), nameTakenQuery, canonicalID(orgID), domain.NameKey(name))
	return taken, wrap("check bucket name", err)
}

// InsertWithinQuota stores b if the organization has room and no live bucket of it has a name
// with b's name key (domain.NameKey). Concurrent inserts of one organization take its row's lock one after another, however
// many processes make them, and each sees the buckets the previous one committed; the
// organization's live bucket count, which the buckets table's triggers keep in that row
// (migration 0007), is the quota's count. The audit event created is inserted with the row, in
// the same statement or transaction, and never without it.
//
// On PostgreSQL the first attempt is one autocommit statement (insertInOneStatement): one round
// trip where a transaction takes four. The transaction (insertInTransaction) is the only form
// on SQLite, and on PostgreSQL it takes over when the statement could not decide: above all
// when its connection was lost, when only the lock-then-look-for-the-id the transaction starts
// with tells whether the statement committed.
func (s *Store) InsertWithinQuota(ctx context.Context, b domain.Bucket, created domain.AuditEvent) error {
	row, event := newBucketRow(b, time.Now().UTC()), newAuditRow(created)
	var err error
	decided := false
	if s.dialect == dialectPostgres {
		decided, err = s.insertInOneStatement(ctx, &row, event)
	}
	if !decided {
		err = s.insertInTransaction(ctx, &row, event, s.dialect == dialectPostgres)
	}
	switch {
	case violatesUnique(err, indexBucketName):
		// A bucket of the name committed while this insert waited for the organization's lock.
		return nameTakenError(row.Name)
	case violatesCurrentCredential(err):
		return credentialChangedError(b.CredentialID)
	case violatesForeignKey(err) || violatesLiveWorkspace(err):
		// The organization was locked, so the missing parent is the workspace: unknown, or
		// deleted (migration 0011's trigger).
		return domain.Errorf(domain.KindWorkspaceNotFound,
			"workspace %s does not exist in this organization; use the id of one of its workspaces", row.WorkspaceID)
	}
	return wrap("insert bucket", err)
}

// insertInOneStatementQuery locks the organization's row (first argument) FOR UPDATE, inserts
// the bucket row (insertColumns, then the organization id and the name key) if the quota has
// room and no live bucket of the organization has the name key, and the audit event
// (auditColumns) only if it inserted the bucket; it returns the organization's plan, limit
// override and live bucket count as locked, whether it inserted, and whether a live bucket has
// the name key (the organization id and the name key again).
//
// Under READ COMMITTED a locking read that waited for the lock returns the row as its previous
// holder committed it, so the count includes that holder's bucket. The name checks see the
// statement's snapshot, taken before the wait: a bucket of the name committed during the wait
// is caught by the unique index buckets_org_name_key_live instead.
var insertInOneStatementQuery = fixed("WITH org AS (SELECT plan, bucket_limit, live_buckets FROM organizations WHERE id = ? FOR UPDATE), " +
	"inserted AS (INSERT INTO buckets (" + insertColumns + ") SELECT " + placeholders(strings.Count(insertColumns, ",")+1) +
	" FROM org WHERE org.live_buckets < " + EffectiveLimitSQL("org.") + " AND NOT EXISTS (" + nameTakenQuery + ") RETURNING 1), " +
	"audited AS (INSERT INTO audit_events (" + auditColumns + ") SELECT " + placeholders(strings.Count(auditColumns, ",")+1) + " FROM inserted) " +
	"SELECT plan, bucket_limit, live_buckets, EXISTS (SELECT 1 FROM inserted), EXISTS (" + nameTakenQuery + ") FROM org")

// insertInOneStatement runs insertInOneStatementQuery for row and its audit event. It reports
// decided=false, for the transaction to decide, when the connection was lost (the statement may
// have committed) and in the case that should not happen: nothing inserted although quota and
// name allowed it.
func (s *Store) insertInOneStatement(ctx context.Context, row *bucketRow, event auditRow) (decided bool, err error) {
	args := append([]any{row.OrgID}, row.insertValues()...)
	args = append(append(args, row.OrgID, row.NameKey), event.values()...)
	args = append(args, row.OrgID, row.NameKey)
	var (
		plan            string
		limit           *int
		used            int
		inserted, taken bool
	)
	err = s.queryRowFixed(ctx, insertInOneStatementQuery, args...).Scan(&plan, &limit, &used, &inserted, &taken)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return true, organizationNotFound(row.OrgID)
	case isConnectionLost(err):
		return false, err
	case err != nil || inserted:
		return true, err
	}
	quota := domain.Quota{Plan: domain.Plan(plan), Used: used, Limit: domain.EffectiveBucketLimit(domain.Plan(plan), limit)}
	if err := quota.Err(); err != nil {
		return true, err
	}
	if taken {
		return true, nameTakenError(row.Name)
	}
	return false, nil
}

// EffectiveLimitSQL is domain.EffectiveBucketLimit in SQL, for the plan and bucket_limit columns
// qualified by prefix: the override, else the plan's limit, else an unknown plan's. It is
// exported for cmd/bucketd-bench, whose pgbench baseline sends the insert's own statement.
func EffectiveLimitSQL(prefix string) string {
	limits := domain.PlanBucketLimits()
	var sql strings.Builder
	fmt.Fprintf(&sql, "coalesce(%sbucket_limit, CASE %splan", prefix, prefix)
	for _, plan := range slices.Sorted(maps.Keys(limits)) {
		fmt.Fprintf(&sql, " WHEN '%s' THEN %d", strings.ReplaceAll(string(plan), "'", "''"), limits[plan])
	}
	fmt.Fprintf(&sql, " ELSE %d END)", domain.Plan("").BucketLimit())
	return sql.String()
}

// insertInTransaction stores row in a transaction: lock the organization's row (SELECT ... FOR
// UPDATE on PostgreSQL; on SQLite the immediate transaction already holds the database's write
// lock) reading its quota, then insert the row if the name is free, and its audit event, then
// commit.
// afterLostStatement says an earlier attempt's connection broke, so it may have stored the row.
//
// When the connection fails, the transaction runs again on another one (retryConnectionLoss).
// That keeps the answer exact even when the connection broke during COMMIT (or during the one
// statement), which leaves the client unsure whether the server committed: the next attempt
// takes the organization's lock, which the broken transaction holds until the server has
// committed or rolled it back, and then looks for the row's id, so a bucket an earlier attempt
// stored is reported as stored, and one it did not is inserted now. Only if the database stays
// out of reach while that is unknown is the answer a KindUnavailable error saying the bucket
// may have been stored; its name, unique among live buckets, keeps a retry of the request from
// storing it twice.
func (s *Store) insertInTransaction(ctx context.Context, row *bucketRow, event auditRow, afterLostStatement bool) error {
	maybeStored := afterLostStatement
	return s.retryConnectionLoss(ctx, "insert bucket", func() (bool, error) {
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			quota, err := lockOrganization(tx, row.OrgID, s.dialect)
			if err != nil {
				return err
			}
			if maybeStored {
				stored, err := exists(tx, "SELECT 1 FROM buckets WHERE id = ? AND org_id = ?", row.ID, row.OrgID)
				if err != nil {
					return fmt.Errorf("look for the bucket an attempt whose COMMIT broke may have stored: %w", err)
				}
				if stored {
					return errStoredEarlier
				}
				maybeStored = false
			}
			if err := quota.Err(); err != nil {
				return err
			}
			inserted, err := insertIfNameFree(tx, row)
			if err != nil {
				return err
			}
			if !inserted {
				return nameTakenError(row.Name)
			}
			if err := tx.Create(&event).Error; err != nil {
				return fmt.Errorf("record the bucket's creation in the audit trail: %w", err)
			}
			maybeStored = true // from here on, a failure may come after the server committed
			return nil
		})
		if errors.Is(err, errStoredEarlier) {
			s.log.WarnContext(ctx, "bucket stored by an earlier attempt; its COMMIT was not acknowledged", "bucket_id", row.ID)
			return false, nil
		}
		return maybeStored, err
	})
}

// lockOrganization locks the organization's row for the rest of tx (see dialect.rowLock) and
// reads its quota. Under READ COMMITTED a locking read that waited for the lock returns the row
// as the previous holder committed it, so the count includes that holder's bucket.
func lockOrganization(tx *gorm.DB, orgID string, d dialect) (domain.Quota, error) {
	var (
		plan  string
		limit *int
		used  int
	)
	err := tx.Raw("SELECT plan, bucket_limit, live_buckets FROM organizations WHERE id = ?"+d.rowLock(), orgID).
		Row().Scan(&plan, &limit, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return domain.Quota{}, organizationNotFound(orgID)
	case err != nil:
		return domain.Quota{}, fmt.Errorf("lock the organization: %w", err)
	}
	return domain.Quota{Plan: domain.Plan(plan), Used: used, Limit: domain.EffectiveBucketLimit(domain.Plan(plan), limit)}, nil
}

// insertIfNameFreeQuery inserts a bucket row (insertColumns, then the organization id and the
// name key) unless a live bucket of the organization has the name key.
var insertIfNameFreeQuery = "INSERT INTO buckets (" + insertColumns + ") SELECT " +
	placeholders(strings.Count(insertColumns, ",")+1) + " WHERE NOT EXISTS (" + nameTakenQuery + ")"

// placeholders is n comma-separated bind parameters.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// insertIfNameFree runs insertIfNameFreeQuery for row and reports whether it inserted it.
func insertIfNameFree(tx *gorm.DB, row *bucketRow) (bool, error) {
	res := tx.Exec(insertIfNameFreeQuery, append(row.insertValues(), row.OrgID, row.NameKey)...)
	return res.RowsAffected == 1, res.Error
}

// errStoredEarlier ends an insert's retry that found its bucket stored by an earlier attempt.
var errStoredEarlier = errors.New("the bucket was stored by an earlier attempt")

// nameTakenQuery finds a live bucket of an organization (first argument) with a name key
// (second) through the unique index buckets_org_name_key_live, whatever its name_key_suffix: a
// new name must not look like any live bucket's, not even one that shares its key with
// another since before keys existed. workspaceInOrgQuery finds a live workspace (first argument)
// of an organization (second).
const (
	nameTakenQuery      = "SELECT 1 FROM buckets WHERE org_id = ? AND name_key = ? AND deleted_at IS NULL"
	workspaceInOrgQuery = "SELECT 1 FROM workspaces WHERE id = ? AND org_id = ? AND deleted_at IS NULL"
)

// usageQuery is what readUsage reads: the organization's quota, and whether the workspace is
// the organization's ("" is none) and whether a live bucket has the name's key ("" matches
// none).
type usageQuery struct {
	orgID, workspaceID, name string
}

// readUsageQuery reads an organization's quota (its id is the last argument), whether a live
// bucket of it has a name key (organization id, name key) and whether a workspace is its (workspace id,
// organization id).
var readUsageQuery = fixed("SELECT plan, bucket_limit, live_buckets, EXISTS (" + nameTakenQuery + "), EXISTS (" + workspaceInOrgQuery + ") " +
	"FROM organizations WHERE id = ?")

// readUsage reads q in one statement, fixed SQL because every create runs it.
func (s *Store) readUsage(ctx context.Context, q usageQuery) (ports.CreatePrecheck, error) {
	if !domain.IsID(q.orgID) {
		return ports.CreatePrecheck{}, organizationNotFound(q.orgID)
	}
	orgID := canonicalID(q.orgID)
	// A workspace id that is not a UUID is no workspace; NULL matches none, where the text
	// would be refused by PostgreSQL's uuid type.
	var workspace any
	if domain.IsID(q.workspaceID) {
		workspace = canonicalID(q.workspaceID)
	}
	// NULL matches no name, where the key of "" could be that of a name stored before
	// invisible characters were refused.
	var nameKey any
	if q.name != "" {
		nameKey = domain.NameKey(q.name)
	}
	var (
		plan         string
		limit        *int
		used         int
		taken, inOrg bool
	)
	err := s.queryRowFixed(ctx, readUsageQuery, orgID, nameKey, workspace, orgID, orgID).Scan(&plan, &limit, &used, &taken, &inOrg)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ports.CreatePrecheck{}, organizationNotFound(orgID)
	case err != nil:
		return ports.CreatePrecheck{}, fmt.Errorf("read the organization's bucket quota: %w", err)
	}
	return ports.CreatePrecheck{
		WorkspaceInOrg: inOrg,
		Quota:          domain.Quota{Plan: domain.Plan(plan), Used: used, Limit: domain.EffectiveBucketLimit(domain.Plan(plan), limit)},
		NameTaken:      taken,
	}, nil
}

// exists runs SELECT EXISTS (subquery).
func exists(db *gorm.DB, subquery string, args ...any) (bool, error) {
	var found bool
	if err := db.Raw("SELECT EXISTS ("+subquery+")", args...).Row().Scan(&found); err != nil {
		return false, err
	}
	return found, nil
}

// canonicalID lowercases a UUID. PostgreSQL's uuid type ignores case and SQLite's TEXT does not;
// ids are minted in lowercase, so lowercasing input makes both databases agree.
func canonicalID(id string) string { return strings.ToLower(id) }

func nameTakenError(name string) error {
	return domain.Errorf(domain.KindNameTaken,
		"name %q is already used by another bucket of this organization; choose another name", name)
}

func organizationNotFound(orgID string) error {
	return domain.Errorf(domain.KindNotFound, "organization %s does not exist", orgID)
}
