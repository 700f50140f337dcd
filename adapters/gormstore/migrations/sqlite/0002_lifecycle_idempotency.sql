-- Listing an organization's buckets page by page, and the answers to Idempotency-Keys.

-- Keyset pagination over an organization's live buckets in id order (ids are UUIDv7, so this is
-- creation order) whatever their workspace; buckets_org_workspace_live serves the filtered list.
CREATE INDEX buckets_org_live ON buckets (org_id, id) WHERE deleted_at IS NULL;

-- One row per organization and Idempotency-Key: RUNNING while the first request with the key is
-- processed, then DONE with the answer that retries replay. fingerprint is a digest of what the
-- request does, so a key sent again with another request is recognised.
CREATE TABLE idempotency_keys (
    org_id      TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    key         TEXT     NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint BLOB     NOT NULL,
    state       TEXT     NOT NULL CHECK (state IN ('RUNNING', 'DONE')),
    status      INTEGER,
    body        BLOB,
    claimed_at  DATETIME NOT NULL,
    -- When the row may be purged; a retry after it runs the request again.
    expires_at  DATETIME NOT NULL,
    PRIMARY KEY (org_id, key),
    -- A DONE key has the status of its stored answer; a NULL body is an empty one.
    CHECK ((state = 'DONE') = (status IS NOT NULL))
);

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
