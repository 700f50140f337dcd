-- Optimistic concurrency for bucket writes: every write of a bucket moves it to the next version,
-- and an update names the version it read, so a write that came in between is noticed instead
-- of silently undone. Existing rows start at version 1, as new ones do.
ALTER TABLE buckets ADD COLUMN version bigint NOT NULL DEFAULT 1;
