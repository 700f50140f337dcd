-- Every organization has an ExternalId that its IAM roles' trust policies require before they
-- let bucketd assume them (sts:ExternalId). bucketd generates it; existing organizations get
-- one here: 32 hex characters of a random UUID.
ALTER TABLE organizations ADD COLUMN external_id text;
UPDATE organizations SET external_id = 'bucketd-' || replace(gen_random_uuid()::text, '-', '') WHERE external_id IS NULL;
ALTER TABLE organizations ALTER COLUMN external_id SET NOT NULL;
CREATE UNIQUE INDEX organizations_external_id ON organizations (external_id);
