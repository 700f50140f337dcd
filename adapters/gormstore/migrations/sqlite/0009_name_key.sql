-- Bucket names are unique per organization under a comparison people can trust, domain.NameKey
-- (NFKC with case folding, invisible characters ignored), which the application computes: it
-- has no SQL form in either database. name_key is NULL until computed: gormstore's Migrate
-- computes it for the rows stored before this migration, a batch at a time, and every write of
-- a name sets it. name_key_suffix is '' but for the later of two live buckets of one
-- organization whose names already had one key when keys were first computed: there it is the
-- bucket's own id, so both stay live and usable, and `bucketd migrate` reports the pair until
-- one of them is renamed or deleted.
ALTER TABLE buckets ADD COLUMN name_key TEXT;
ALTER TABLE buckets ADD COLUMN name_key_suffix TEXT NOT NULL DEFAULT '';

-- The key replaces lower(name). NULL keys are distinct from each other, so the index exists
-- before they are computed; lookups by organization and key use its first two columns.
DROP INDEX buckets_org_name_live;
CREATE UNIQUE INDEX buckets_org_name_key_live ON buckets (org_id, name_key, name_key_suffix) WHERE deleted_at IS NULL;

-- The rows whose key is still to be computed, found at every start-up without reading the table.
CREATE INDEX buckets_name_key_missing ON buckets (id) WHERE name_key IS NULL;
