-- Every organization has an ExternalId that its IAM roles' trust policies require before they
-- let bucketd assume them (sts:ExternalId). bucketd generates it; existing organizations get
-- one here: 32 hex characters of random bytes. SQLite cannot add a NOT NULL column without a
-- default; the store always writes one.
ALTER TABLE organizations ADD COLUMN external_id TEXT;
UPDATE organizations SET external_id = 'bucketd-' || lower(hex(randomblob(16))) WHERE external_id IS NULL;
CREATE UNIQUE INDEX organizations_external_id ON organizations (external_id);
