-- The audit trail: one row per audited action, read per organization in time order. It holds
-- identifiers and error kinds only, never a secret. org_id is '' for events of no
-- organization (refused tokens, key rotations), so that they can be listed like the others.
CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    at         DATETIME NOT NULL,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    action     TEXT NOT NULL,
    bucket_id  TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    request_id TEXT NOT NULL
);

CREATE INDEX audit_events_org_at ON audit_events (org_id, at, id);
