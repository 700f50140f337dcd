-- The initial schema: organizations, their workspaces and users, API token digests and buckets.
-- Identifiers are UUID strings in TEXT columns; DATETIME columns hold the driver's text
-- timestamps, which it parses back into time values because of the declared type.

CREATE TABLE organizations (
    id           TEXT     PRIMARY KEY,
    name         TEXT     NOT NULL,
    plan         TEXT     NOT NULL DEFAULT 'FREE_TRIAL'
                          CHECK (plan IN ('FREE_TRIAL', 'TEAM', 'ENTERPRISE')),
    -- NULL means the plan's default limit.
    bucket_limit INTEGER  CHECK (bucket_limit >= 0),
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE workspaces (
    id         TEXT     PRIMARY KEY,
    org_id     TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       TEXT     NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Target of the buckets foreign key that keeps a bucket's workspace in the bucket's organization.
    UNIQUE (org_id, id)
);

CREATE TABLE users (
    id         TEXT     PRIMARY KEY,
    org_id     TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email      TEXT     NOT NULL,
    role       TEXT     NOT NULL CHECK (role IN ('ADMIN', 'MEMBER')),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_org_id ON users (org_id);

-- The key starts with user_id because Authenticate looks memberships up by user.
CREATE TABLE workspace_members (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, workspace_id)
);

CREATE INDEX workspace_members_workspace_id ON workspace_members (workspace_id);

-- digest is the SHA-256 of the bearer token; the token itself is never stored.
CREATE TABLE api_tokens (
    id           TEXT     PRIMARY KEY,
    user_id      TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest       BLOB     NOT NULL UNIQUE CHECK (length(digest) = 32),
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at   DATETIME,
    revoked_at   DATETIME,
    last_used_at DATETIME
);

CREATE INDEX api_tokens_user_id ON api_tokens (user_id);

-- sealed_key and sealed_secret are vault ciphertexts; plaintext credentials never reach this table.
CREATE TABLE buckets (
    id             TEXT     PRIMARY KEY,
    org_id         TEXT     NOT NULL REFERENCES organizations (id),
    workspace_id   TEXT     NOT NULL,
    name           TEXT     NOT NULL,
    bucket         TEXT     NOT NULL,
    storage_type   TEXT     NOT NULL CHECK (storage_type IN ('S3', 'GCS', 'AZURE')),
    region         TEXT     NOT NULL,
    endpoint       TEXT     NOT NULL DEFAULT '',
    key_hint       TEXT     NOT NULL DEFAULT '',
    sealed_key     BLOB     NOT NULL,
    sealed_secret  BLOB     NOT NULL,
    status         TEXT     NOT NULL CHECK (status IN ('ONLINE', 'OFFLINE', 'UNKNOWN')),
    last_status_at DATETIME,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    deleted_at     DATETIME,
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id)
);

-- Names are unique per organization among live buckets, compared case-insensitively. The
-- index also serves the quota count, which filters on the same org_id and deleted_at.
CREATE UNIQUE INDEX buckets_org_name_live ON buckets (org_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX buckets_org_workspace_live ON buckets (org_id, workspace_id, id) WHERE deleted_at IS NULL;
