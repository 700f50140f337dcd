-- How many live (not deleted) buckets each organization has, so that the quota checks of a
-- create read one row instead of counting the organization's buckets, twice. Triggers on
-- buckets keep it in the transaction that changes a bucket's liveness, whoever writes it, and
-- the insert holds the organization's row locked (FOR UPDATE) before it reads the count.
ALTER TABLE organizations ADD COLUMN live_buckets integer NOT NULL DEFAULT 0 CHECK (live_buckets >= 0);

UPDATE organizations AS o
   SET live_buckets = (SELECT count(*) FROM buckets AS b WHERE b.org_id = o.id AND b.deleted_at IS NULL);

CREATE FUNCTION buckets_count_live() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
        UPDATE organizations SET live_buckets = live_buckets - 1 WHERE id = OLD.org_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
        UPDATE organizations SET live_buckets = live_buckets + 1 WHERE id = NEW.org_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER buckets_count_live_insert AFTER INSERT ON buckets
    FOR EACH ROW WHEN (NEW.deleted_at IS NULL) EXECUTE FUNCTION buckets_count_live();
CREATE TRIGGER buckets_count_live_delete AFTER DELETE ON buckets
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL) EXECUTE FUNCTION buckets_count_live();
CREATE TRIGGER buckets_count_live_update AFTER UPDATE OF deleted_at, org_id ON buckets
    FOR EACH ROW WHEN ((OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) OR OLD.org_id <> NEW.org_id)
    EXECUTE FUNCTION buckets_count_live();
