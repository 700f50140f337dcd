-- Stored credentials: a provider credential registered once per workspace, which buckets of
-- that workspace use by reference. A bucket either has its own sealed key and secret
-- (credential_id NULL) or points to a credential (its own sealed values empty).

CREATE TABLE credentials (
    id                   TEXT     PRIMARY KEY,
    org_id               TEXT     NOT NULL REFERENCES organizations (id),
    workspace_id         TEXT     NOT NULL,
    storage_type         TEXT     NOT NULL CHECK (storage_type IN ('S3', 'GCS', 'AZURE')),
    -- provider is how the caller named the provider (AWS, GCP, AZURE, or a storage type).
    provider             TEXT     NOT NULL,
    kind                 TEXT     NOT NULL CHECK (kind IN ('KEY_SECRET', 'AWS_SESSION', 'AWS_ROLE',
                                      'AZURE_SERVICE_PRINCIPAL', 'AZURE_SAS', 'GCS_IMPERSONATION')),
    endpoint             TEXT     NOT NULL DEFAULT '',
    region               TEXT     NOT NULL DEFAULT '',
    tenant_id            TEXT     NOT NULL DEFAULT '',
    description          TEXT     NOT NULL DEFAULT '',
    key_hint             TEXT     NOT NULL DEFAULT '',
    -- Vault ciphertexts bound to the organization, the credential and the field; the secret and
    -- the session token are empty for the kinds that have none.
    sealed_key           BLOB     NOT NULL CHECK (length(sealed_key) > 0),
    sealed_secret        BLOB     NOT NULL DEFAULT x'',
    sealed_session_token BLOB     NOT NULL DEFAULT x'',
    secret_fingerprint   TEXT,
    secret_version       INTEGER  NOT NULL DEFAULT 1,
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL,
    deleted_at           DATETIME,
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id)
);

CREATE INDEX credentials_org_workspace_live ON credentials (org_id, workspace_id, created_at, id) WHERE deleted_at IS NULL;

-- credential_version is the credential's secret_version the bucket was last validated with.
ALTER TABLE buckets ADD COLUMN credential_id TEXT REFERENCES credentials (id);
ALTER TABLE buckets ADD COLUMN credential_version INTEGER;

CREATE INDEX buckets_credential_live ON buckets (credential_id) WHERE deleted_at IS NULL AND credential_id IS NOT NULL;

-- A bucket either has its own sealed values or uses a credential (SQLite cannot add a CHECK to
-- a table, so triggers hold the rule). A live bucket may use only a live credential of its own
-- workspace at the credential's current secret version; SQLite runs one writer at a time, so
-- the trigger sees every rotation and deletion committed before the write began.
CREATE TRIGGER buckets_own_or_stored_credentials_insert BEFORE INSERT ON buckets
    FOR EACH ROW WHEN (NEW.credential_id IS NULL) <> (NEW.credential_version IS NULL)
        OR (NEW.credential_id IS NOT NULL AND (length(NEW.sealed_key) > 0 OR length(NEW.sealed_secret) > 0))
BEGIN
    SELECT RAISE(ABORT, 'a bucket has its own sealed credentials or a stored credential, not both');
END;

CREATE TRIGGER buckets_own_or_stored_credentials_update BEFORE UPDATE ON buckets
    FOR EACH ROW WHEN (NEW.credential_id IS NULL) <> (NEW.credential_version IS NULL)
        OR (NEW.credential_id IS NOT NULL AND (length(NEW.sealed_key) > 0 OR length(NEW.sealed_secret) > 0))
BEGIN
    SELECT RAISE(ABORT, 'a bucket has its own sealed credentials or a stored credential, not both');
END;

CREATE TRIGGER buckets_require_current_credential_insert BEFORE INSERT ON buckets
    FOR EACH ROW WHEN NEW.deleted_at IS NULL AND NEW.credential_id IS NOT NULL AND NOT EXISTS
        (SELECT 1 FROM credentials WHERE id = NEW.credential_id AND org_id = NEW.org_id AND workspace_id = NEW.workspace_id
            AND deleted_at IS NULL AND secret_version = NEW.credential_version)
BEGIN
    SELECT RAISE(ABORT, 'credential changed');
END;

CREATE TRIGGER buckets_require_current_credential_update BEFORE UPDATE OF credential_id, credential_version, deleted_at ON buckets
    FOR EACH ROW WHEN NEW.deleted_at IS NULL AND NEW.credential_id IS NOT NULL AND NOT EXISTS
        (SELECT 1 FROM credentials WHERE id = NEW.credential_id AND org_id = NEW.org_id AND workspace_id = NEW.workspace_id
            AND deleted_at IS NULL AND secret_version = NEW.credential_version)
BEGIN
    SELECT RAISE(ABORT, 'credential changed');
END;
