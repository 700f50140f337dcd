-- (SQLite: identifiers are UUID strings in TEXT columns, times the driver's DATETIME text.)
-- People sign in with a password. password_hash is an argon2id hash in the PHC string format,
-- with its parameters; NULL for a user who has no password and so cannot sign in.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN password_set_at DATETIME;

-- A session is one sign-in and everything descended from it. Revoking it (logout, a reused
-- refresh token, a new password) refuses every token of it on the next request: Authenticate
-- reads revoked_at with the access token, in the same query.
CREATE TABLE sessions (
    id         TEXT     PRIMARY KEY,
    user_id    TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL,
    revoked_at DATETIME
);

CREATE INDEX sessions_user_id ON sessions (user_id);

-- Each refresh token is good for one refresh (used_at marks it spent); digest is its SHA-256,
-- the token itself is never stored.
CREATE TABLE refresh_tokens (
    id         TEXT     PRIMARY KEY,
    session_id TEXT     NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    digest     BLOB     NOT NULL UNIQUE CHECK (length(digest) = 32),
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME
);

CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Access tokens are API token rows with a session; API tokens an operator issues have none.
ALTER TABLE api_tokens ADD COLUMN session_id TEXT REFERENCES sessions (id) ON DELETE CASCADE;

CREATE INDEX api_tokens_session_id ON api_tokens (session_id) WHERE session_id IS NOT NULL;

-- Failed sign-ins counted per key (a keyed hash of an email, or a client address), so that
-- the back-off holds across every server process. The index serves the hourly purge.
CREATE TABLE sign_in_failures (
    subject      TEXT     PRIMARY KEY,
    failures     INTEGER  NOT NULL CHECK (failures >= 1),
    last_failure DATETIME NOT NULL
);

CREATE INDEX sign_in_failures_last_failure ON sign_in_failures (last_failure);
