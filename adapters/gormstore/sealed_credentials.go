package gormstore

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var _ ports.SealedStoredCredentials = (*Store)(nil)

// sealedCredentialRow is what master key rotation reads of a stored credential: where its
// ciphertexts are bound (organization and credential id), the ciphertexts, the fingerprint of
// its secret (NULL when it has none), and the secret version they were read at.
type sealedCredentialRow struct {
	ID                 string  `gorm:"column:id"`
	OrgID              string  `gorm:"column:org_id"`
	SecretVersion      int64   `gorm:"column:secret_version"`
	SealedKey          []byte  `gorm:"column:sealed_key"`
	SealedSecret       []byte  `gorm:"column:sealed_secret"`
	SealedSessionToken []byte  `gorm:"column:sealed_session_token"`
	SecretFingerprint  *string `gorm:"column:secret_fingerprint"`
}

func (r sealedCredentialRow) toRecord() ports.SealedCredentialRecord {
	return ports.SealedCredentialRecord{OrgID: r.OrgID, CredentialID: r.ID, SecretVersion: r.SecretVersion,
		SealedKey: r.SealedKey, SealedSecret: r.SealedSecret, SealedSessionToken: r.SealedSessionToken,
		SecretFingerprint: derefOrEmpty(r.SecretFingerprint)}
}

// anyCredential selects the sealed columns of the credentials of every organization, deleted
// ones included: their rows keep their ciphertexts.
func (s *Store) anyCredential(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table(tableCredentials).
		Select("id, org_id, secret_version, sealed_key, sealed_secret, sealed_session_token, secret_fingerprint")
}

// CredentialSealedBatch returns up to limit credentials of any organization, live or deleted,
// with an id greater than afterID ("" for the first batch), in id order, which is the same on
// both databases (see SealedBatch).
func (s *Store) CredentialSealedBatch(ctx context.Context, afterID string, limit int) ([]ports.SealedCredentialRecord, error) {
	return sealedPage(s.anyCredential(ctx), afterID, limit, "API key", sealedCredentialRow.toRecord)
}

// ReadCredentialSealed returns the sealed values of a credential of any organization, live or
// deleted.
func (s *Store) ReadCredentialSealed(ctx context.Context, credentialID string) (ports.SealedCredentialRecord, error) {
	return sealedOne(s.anyCredential(ctx), credentialID, resealedCredentialGone, sealedCredentialRow.toRecord)
}

// ResealCredential stores values the vault re-sealed under another master key, and the
// fingerprint of a secret that had none, if the credential is still at rec.SecretVersion and
// still holds the very ciphertexts rec read. PUT /apikeys writes new values only by moving the
// secret version, under the credential's row lock, and writes none otherwise; so a rotation of
// the credential that landed after rec was read makes this write miss, and one that lands after
// it replaces the re-sealed values with its own, sealed from their plaintext. The version itself
// stays, since buckets record the version they were validated with and re-sealed values are the
// same values; comparing the ciphertexts (a seal is never the same twice) is what makes a
// second re-seal of the same read miss, as a bucket's version does. An empty key is refused,
// since every kind has one; an empty secret or session token is stored empty, as the kind has
// none. A filled-in fingerprint reaches the credential's buckets in the same transaction (see
// fillBucketFingerprints).
func (s *Store) ResealCredential(ctx context.Context, rec ports.SealedCredentialRecord, next ports.ResealedCredential) error {
	if len(next.SealedKey) == 0 {
		return errors.New("re-seal API key: refusing to store an empty sealed key")
	}
	if !domain.IsID(rec.CredentialID) || !domain.IsID(rec.OrgID) {
		return resealedCredentialGone(rec.CredentialID)
	}
	credential := func(db *gorm.DB) *gorm.DB {
		return db.Table(tableCredentials).Where("id = ? AND org_id = ?", canonicalID(rec.CredentialID), canonicalID(rec.OrgID))
	}
	columns := map[string]any{"sealed_key": next.SealedKey, "sealed_secret": nonNil(next.SealedSecret),
		"sealed_session_token": nonNil(next.SealedSessionToken)}
	landed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		current := credential(tx).Where("secret_version = ? AND sealed_key = ? AND sealed_secret = ? AND sealed_session_token = ?",
			rec.SecretVersion, rec.SealedKey, nonNil(rec.SealedSecret), nonNil(rec.SealedSessionToken))
		if next.SecretFingerprint != "" {
			columns["secret_fingerprint"] = next.SecretFingerprint
			current = current.Where("secret_fingerprint IS NULL")
		}
		res := current.Updates(columns)
		landed = res.RowsAffected > 0
		if res.Error != nil || !landed || next.SecretFingerprint == "" {
			return res.Error
		}
		return fillBucketFingerprints(tx, rec, next.SecretFingerprint)
	})
	switch {
	case err != nil:
		return wrap("re-seal API key", err)
	case landed:
		return nil
	}
	changed := "was rotated or re-sealed after its values were read for re-sealing"
	if next.SecretFingerprint != "" {
		changed += ", or has a secret fingerprint already"
	}
	return resealMissed(credential(s.db.WithContext(ctx)), resealedCredentialGone(rec.CredentialID),
		domain.Errorf(domain.KindConflict, "API key %s %s; read it again and retry", rec.CredentialID, changed))
}

// fillBucketFingerprints gives the live buckets that use the credential at rec's secret version,
// and carry copies of its key hint and secret fingerprint for their answers, the fingerprint
// just filled in, where they have none. Each moves to its next version, as when a rotation
// writes them, so an update that read a bucket before the fill cannot write the missing
// fingerprint back.
func fillBucketFingerprints(tx *gorm.DB, rec ports.SealedCredentialRecord, fingerprint string) error {
	_, err := updateToNextVersion(tx.Table(tableBuckets).Where(
		"credential_id = ? AND credential_version = ? AND deleted_at IS NULL AND secret_fingerprint IS NULL",
		canonicalID(rec.CredentialID), rec.SecretVersion), map[string]any{"secret_fingerprint": fingerprint})
	return err
}

func resealedCredentialGone(credentialID string) error {
	return domain.Errorf(domain.KindNotFound, "API key %q does not exist (any more)", credentialID)
}
