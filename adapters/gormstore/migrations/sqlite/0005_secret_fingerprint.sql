-- What a bucket shows of its secret without revealing it: a keyed fingerprint, a version that
-- grows each time the secret is replaced, and when the credentials last changed. Existing rows
-- start at secret version 1 and without a fingerprint or a credentials time: computing the
-- fingerprint needs the plaintext, so it appears when the secret is next replaced.
ALTER TABLE buckets ADD COLUMN secret_fingerprint text;
ALTER TABLE buckets ADD COLUMN secret_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE buckets ADD COLUMN credentials_updated_at DATETIME;
