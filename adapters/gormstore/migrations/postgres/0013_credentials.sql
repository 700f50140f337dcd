-- Stored credentials: a provider credential registered once per workspace, which buckets of
-- that workspace use by reference. A bucket either has its own sealed key and secret
-- (credential_id NULL) or points to a credential (its own sealed values empty).

CREATE TABLE credentials (
    id                   uuid        PRIMARY KEY,
    org_id               uuid        NOT NULL REFERENCES organizations (id),
    workspace_id         uuid        NOT NULL,
    storage_type         text        NOT NULL CHECK (storage_type IN ('S3', 'GCS', 'AZURE')),
    -- provider is how the caller named the provider (AWS, GCP, AZURE, or a storage type).
    provider             text        NOT NULL,
    kind                 text        NOT NULL CHECK (kind IN ('KEY_SECRET', 'AWS_SESSION', 'AWS_ROLE',
                                         'AZURE_SERVICE_PRINCIPAL', 'AZURE_SAS', 'GCS_IMPERSONATION')),
    endpoint             text        NOT NULL DEFAULT '',
    region               text        NOT NULL DEFAULT '',
    tenant_id            text        NOT NULL DEFAULT '',
    description          text        NOT NULL DEFAULT '',
    key_hint             text        NOT NULL DEFAULT '',
    -- Vault ciphertexts bound to the organization, the credential and the field; the secret and
    -- the session token are empty for the kinds that have none.
    sealed_key           bytea       NOT NULL CHECK (octet_length(sealed_key) > 0),
    sealed_secret        bytea       NOT NULL DEFAULT '',
    sealed_session_token bytea       NOT NULL DEFAULT '',
    secret_fingerprint   text,
    secret_version       bigint      NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    deleted_at           timestamptz,
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id)
);

CREATE INDEX credentials_org_workspace_live ON credentials (org_id, workspace_id, created_at, id) WHERE deleted_at IS NULL;

-- credential_version is the credential's secret_version the bucket was last validated with.
ALTER TABLE buckets ADD COLUMN credential_id uuid REFERENCES credentials (id);
ALTER TABLE buckets ADD COLUMN credential_version bigint;
ALTER TABLE buckets ADD CONSTRAINT buckets_own_or_stored_credentials CHECK (
    (credential_id IS NULL AND credential_version IS NULL)
    OR (credential_id IS NOT NULL AND credential_version IS NOT NULL
        AND octet_length(sealed_key) = 0 AND octet_length(sealed_secret) = 0));

CREATE INDEX buckets_credential_live ON buckets (credential_id) WHERE deleted_at IS NULL AND credential_id IS NOT NULL;

-- A live bucket may use only a live credential of its own workspace, at the credential's
-- current secret version, whoever writes it. The credential's row is locked FOR SHARE, so an
-- attach waits for a rotation or deletion that holds it FOR UPDATE and then sees what it
-- committed (a VOLATILE function's statements take a fresh snapshot under READ COMMITTED): a
-- bucket validated with the old secret cannot be attached after the rotation, nor one
-- attached during it escape the rotation's check.
CREATE FUNCTION buckets_require_current_credential() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM credentials
        WHERE id = NEW.credential_id AND org_id = NEW.org_id AND workspace_id = NEW.workspace_id
          AND deleted_at IS NULL AND secret_version = NEW.credential_version
        FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'credential % changed', NEW.credential_id USING ERRCODE = 'BD001';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER buckets_require_current_credential BEFORE INSERT OR UPDATE OF credential_id, credential_version, deleted_at ON buckets
    FOR EACH ROW WHEN (NEW.deleted_at IS NULL AND NEW.credential_id IS NOT NULL) EXECUTE FUNCTION buckets_require_current_credential();
