-- A bucket answers its storage type as it was registered or last changed: Flashback's client
-- knows Azure Blob Storage only as BLOB, other callers send AZURE, and both mean storage_type
-- AZURE, which every rule reads. '' is a row stored before the spelling was recorded; it answers
-- storage_type.
ALTER TABLE buckets ADD COLUMN storage_type_spelling text NOT NULL DEFAULT ''
    CHECK (storage_type_spelling IN ('', 'S3', 'GCS', 'AZURE', 'BLOB'));
