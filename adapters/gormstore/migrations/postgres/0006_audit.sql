-- The audit trail: one row per audited action, read per organization in time order. It holds
-- identifiers and error kinds only, never a secret. org_id is '' for events of no
-- organization (refused tokens, key rotations), so that they can be listed like the others.
CREATE TABLE audit_events (
    id         text PRIMARY KEY,
    at         timestamptz NOT NULL,
    org_id     text NOT NULL,
    user_id    text NOT NULL,
    action     text NOT NULL,
    bucket_id  text NOT NULL,
    outcome    text NOT NULL,
    request_id text NOT NULL
);

CREATE INDEX audit_events_org_at ON audit_events (org_id, at, id);
