-- People sign in with a password. password_hash is an argon2id hash in the PHC string format,
-- with its parameters; NULL for a user who has no password and so cannot sign in.
ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN password_set_at timestamptz;

-- A session is one sign-in and everything descended from it. Revoking it (logout, a reused
-- refresh token, a new password) refuses every token of it on the next request: Authenticate
-- reads revoked_at with the access token, in the same query.
CREATE TABLE sessions (
    id         uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE INDEX sessions_user_id ON sessions (user_id);

-- Each refresh token is good for one refresh (used_at marks it spent); digest is its SHA-256,
-- the token itself is never stored.
CREATE TABLE refresh_tokens (
    id         uuid        PRIMARY KEY,
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    digest     bytea       NOT NULL UNIQUE CHECK (octet_length(digest) = 32),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Access tokens are API token rows with a session; API tokens an operator issues have none.
ALTER TABLE api_tokens ADD COLUMN session_id uuid REFERENCES sessions (id) ON DELETE CASCADE;

CREATE INDEX api_tokens_session_id ON api_tokens (session_id) WHERE session_id IS NOT NULL;

-- Failed sign-ins counted per key (a keyed hash of an email, or a client address), so that
-- the back-off holds across every server process. The index serves the hourly purge.
CREATE TABLE sign_in_failures (
    subject      text        PRIMARY KEY,
    failures     integer     NOT NULL CHECK (failures >= 1),
    last_failure timestamptz NOT NULL
);

CREATE INDEX sign_in_failures_last_failure ON sign_in_failures (last_failure);
