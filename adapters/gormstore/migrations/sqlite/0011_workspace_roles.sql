-- Workspaces managed through the API: a role per membership, soft-deleted workspaces, and the
-- audit trail of workspace and membership changes.

-- Every membership made before roles existed could do what WRITE allows now.
ALTER TABLE workspace_members ADD COLUMN role TEXT NOT NULL DEFAULT 'WRITE' CHECK (role IN ('READ', 'WRITE', 'ADMIN'));

-- A deleted workspace keeps its row, because its deleted buckets still reference it; it answers
-- nothing and its name is free again. Its memberships are deleted with it.
ALTER TABLE workspaces ADD COLUMN deleted_at DATETIME;

-- No live bucket may be in a deleted workspace, whoever writes it. SQLite runs one writer at a
-- time, so the trigger sees every deletion committed before the write began.
CREATE TRIGGER buckets_require_live_workspace_insert BEFORE INSERT ON buckets
    FOR EACH ROW WHEN NEW.deleted_at IS NULL AND NOT EXISTS
        (SELECT 1 FROM workspaces WHERE id = NEW.workspace_id AND org_id = NEW.org_id AND deleted_at IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'workspace is deleted');
END;

CREATE TRIGGER buckets_require_live_workspace_update BEFORE UPDATE OF deleted_at, workspace_id, org_id ON buckets
    FOR EACH ROW WHEN NEW.deleted_at IS NULL AND NOT EXISTS
        (SELECT 1 FROM workspaces WHERE id = NEW.workspace_id AND org_id = NEW.org_id AND deleted_at IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'workspace is deleted');
END;

-- Workspace and membership events name the workspace, the member and the role given; '' for
-- every other event.
ALTER TABLE audit_events ADD COLUMN workspace_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN subject_user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN detail TEXT NOT NULL DEFAULT '';
