-- Workspaces managed through the API: a role per membership, soft-deleted workspaces, and the
-- audit trail of workspace and membership changes.

-- Every membership made before roles existed could do what WRITE allows now.
ALTER TABLE workspace_members ADD COLUMN role text NOT NULL DEFAULT 'WRITE' CHECK (role IN ('READ', 'WRITE', 'ADMIN'));

-- A deleted workspace keeps its row, because its deleted buckets still reference it; it answers
-- nothing and its name is free again. Its memberships are deleted with it.
ALTER TABLE workspaces ADD COLUMN deleted_at timestamptz;

-- No live bucket may be in a deleted workspace, whoever writes it. A workspace is deleted while
-- its organization's row is locked, as every bucket insert locks it before inserting, so the
-- trigger runs after the deletion committed or sees none: its query takes a fresh snapshot
-- (a VOLATILE function's statements do under READ COMMITTED), where the insert's own statement
-- could still see the workspace as it was before its lock wait. It answers as the missing
-- parent of a foreign key does, which the store already reports as an unknown workspace.
CREATE FUNCTION buckets_require_live_workspace() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM workspaces WHERE id = NEW.workspace_id AND org_id = NEW.org_id AND deleted_at IS NULL) THEN
        RAISE EXCEPTION 'workspace % is deleted', NEW.workspace_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER buckets_require_live_workspace BEFORE INSERT OR UPDATE OF deleted_at, workspace_id, org_id ON buckets
    FOR EACH ROW WHEN (NEW.deleted_at IS NULL) EXECUTE FUNCTION buckets_require_live_workspace();

-- Workspace and membership events name the workspace, the member and the role given; '' for
-- every other event.
ALTER TABLE audit_events ADD COLUMN workspace_id text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN subject_user_id text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN detail text NOT NULL DEFAULT '';
