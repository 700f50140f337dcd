-- The health job finds the buckets whose status is oldest; one process at a time runs it,
-- holding a lease row that expires if the process dies.
CREATE INDEX buckets_status_due ON buckets (last_status_at, id) WHERE deleted_at IS NULL;

CREATE TABLE job_leases (
    name       TEXT     PRIMARY KEY,
    holder     TEXT     NOT NULL,
    expires_at DATETIME NOT NULL
);
