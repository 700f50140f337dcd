-- How many live (not deleted) buckets each organization has, so that the quota checks of a
-- create read one row instead of counting the organization's buckets, twice. Triggers on
-- buckets keep it in the transaction that changes a bucket's liveness, whoever writes it; the
-- insert's immediate transaction holds the database's write lock before it reads the count.
ALTER TABLE organizations ADD COLUMN live_buckets INTEGER NOT NULL DEFAULT 0 CHECK (live_buckets >= 0);

UPDATE organizations
   SET live_buckets = (SELECT count(*) FROM buckets AS b WHERE b.org_id = organizations.id AND b.deleted_at IS NULL);

CREATE TRIGGER buckets_count_live_insert AFTER INSERT ON buckets
    FOR EACH ROW WHEN NEW.deleted_at IS NULL
BEGIN
    UPDATE organizations SET live_buckets = live_buckets + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER buckets_count_live_delete AFTER DELETE ON buckets
    FOR EACH ROW WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE organizations SET live_buckets = live_buckets - 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER buckets_count_live_update AFTER UPDATE OF deleted_at, org_id ON buckets
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) OR OLD.org_id <> NEW.org_id
BEGIN
    UPDATE organizations SET live_buckets = live_buckets - 1 WHERE id = OLD.org_id AND OLD.deleted_at IS NULL;
    UPDATE organizations SET live_buckets = live_buckets + 1 WHERE id = NEW.org_id AND NEW.deleted_at IS NULL;
END;
