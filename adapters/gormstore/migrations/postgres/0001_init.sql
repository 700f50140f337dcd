-- The initial schema: organizations, their workspaces and users, API token digests and buckets.

CREATE TABLE organizations (
    id           uuid        PRIMARY KEY,
    name         text        NOT NULL,
    plan         text        NOT NULL DEFAULT 'FREE_TRIAL'
                             CHECK (plan IN ('FREE_TRIAL', 'TEAM', 'ENTERPRISE')),
    -- NULL means the plan's default limit.
    bucket_limit integer     CHECK (bucket_limit >= 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspaces (
    id         uuid        PRIMARY KEY,
    org_id     uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Target of the buckets foreign key that keeps a bucket's workspace in the bucket's organization.
    UNIQUE (org_id, id)
);

CREATE TABLE users (
    id         uuid        PRIMARY KEY,
    org_id     uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email      text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('ADMIN', 'MEMBER')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_org_id ON users (org_id);

-- The key starts with user_id because Authenticate looks memberships up by user.
CREATE TABLE workspace_members (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, workspace_id)
);

CREATE INDEX workspace_members_workspace_id ON workspace_members (workspace_id);

-- digest is the SHA-256 of the bearer token; the token itself is never stored.
CREATE TABLE api_tokens (
    id           uuid        PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest       bytea       NOT NULL UNIQUE CHECK (octet_length(digest) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

CREATE INDEX api_tokens_user_id ON api_tokens (user_id);

-- sealed_key and sealed_secret are vault ciphertexts; plaintext credentials never reach this table.
CREATE TABLE buckets (
    id             uuid        PRIMARY KEY,
    org_id         uuid        NOT NULL REFERENCES organizations (id),
    workspace_id   uuid        NOT NULL,
    name           text        NOT NULL,
    bucket         text        NOT NULL,
    storage_type   text        NOT NULL CHECK (storage_type IN ('S3', 'GCS', 'AZURE')),
    region         text        NOT NULL,
    endpoint       text        NOT NULL DEFAULT '',
    key_hint       text        NOT NULL DEFAULT '',
    sealed_key     bytea       NOT NULL,
    sealed_secret  bytea       NOT NULL,
    status         text        NOT NULL CHECK (status IN ('ONLINE', 'OFFLINE', 'UNKNOWN')),
    last_status_at timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    deleted_at     timestamptz,
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id)
);

-- Names are unique per organization among live buckets, compared case-insensitively. The
-- index also serves the quota count, which filters on the same org_id and deleted_at.
CREATE UNIQUE INDEX buckets_org_name_live ON buckets (org_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX buckets_org_workspace_live ON buckets (org_id, workspace_id, id) WHERE deleted_at IS NULL;
