package app

import (
	"context"

	"github.com/bucketd/bucketd/ports"
)

// Kinds of what a rotation walks: buckets with their own key and secret, and stored
// credentials, which the buckets that use them open.
const (
	ownerBucket     = "bucket"
	ownerCredential = "API key"
)

// sealedOwner is one bucket or stored credential as a rotation sees it: where its values are
// bound, the version it was read at, its sealed values (an empty one is a value its kind has
// not) and the fingerprint of its secret.
type sealedOwner struct {
	kind        string
	orgID, id   string
	version     int64
	values      []sealedValue
	fingerprint string
	// secretField is the field whose plaintext the fingerprint is of.
	secretField string
}

// hasSecret says whether the owner has a secret to fingerprint.
func (o sealedOwner) hasSecret() bool {
	for _, v := range o.values {
		if v.field == o.secretField {
			return len(v.sealed) > 0
		}
	}
	return false
}

// lacksFingerprint says whether a rotation with a fingerprint key has one to fill in.
func (o sealedOwner) lacksFingerprint() bool { return o.fingerprint == "" && o.hasSecret() }

// sealedValue is one sealed field of a bucket or credential.
type sealedValue struct {
	field  string
	sealed []byte
}

// scopeOfValue is what v's ciphertext is bound to: its organization, owner and field.
func scopeOfValue(o sealedOwner, v sealedValue) ports.SecretScope {
	return ports.SecretScope{OrgID: o.orgID, BucketID: o.id, Field: v.field}
}

// sealedSource is one table of sealed values, walked in id order.
type sealedSource struct {
	kind   string
	batch  func(ctx context.Context, afterID string, limit int) ([]sealedOwner, error)
	read   func(ctx context.Context, id string) (sealedOwner, error)
	reseal func(ctx context.Context, read sealedOwner, values []sealedValue, fingerprint string) error
}

// bucketSource walks the buckets' own key and secret.
func bucketSource(store ports.SealedCredentials) sealedSource {
	return sealedSource{
		kind: ownerBucket,
		batch: func(ctx context.Context, afterID string, limit int) ([]sealedOwner, error) {
			recs, err := store.SealedBatch(ctx, afterID, limit)
			return mapOwners(recs, bucketOwner), err
		},
		read: func(ctx context.Context, id string) (sealedOwner, error) {
			rec, err := store.ReadSealed(ctx, id)
			return bucketOwner(rec), err
		},
		reseal: func(ctx context.Context, read sealedOwner, values []sealedValue, fingerprint string) error {
			rec := ports.SealedRecord{OrgID: read.orgID, BucketID: read.id, Version: read.version,
				SealedKey: read.values[0].sealed, SealedSecret: read.values[1].sealed, SecretFingerprint: read.fingerprint}
			return store.Reseal(ctx, rec, ports.Resealed{SealedKey: values[0].sealed, SealedSecret: values[1].sealed, SecretFingerprint: fingerprint})
		},
	}
}

func bucketOwner(rec ports.SealedRecord) sealedOwner {
	return sealedOwner{kind: ownerBucket, orgID: rec.OrgID, id: rec.BucketID, version: rec.Version,
		values:      []sealedValue{{ports.FieldKey, rec.SealedKey}, {ports.FieldSecret, rec.SealedSecret}},
		fingerprint: rec.SecretFingerprint, secretField: ports.FieldSecret}
}

// credentialSource walks the stored credentials' key, secret and session token.
func credentialSource(store ports.SealedStoredCredentials) sealedSource {
	return sealedSource{
		kind: ownerCredential,
		batch: func(ctx context.Context, afterID string, limit int) ([]sealedOwner, error) {
			recs, err := store.CredentialSealedBatch(ctx, afterID, limit)
			return mapOwners(recs, credentialOwner), err
		},
		read: func(ctx context.Context, id string) (sealedOwner, error) {
			rec, err := store.ReadCredentialSealed(ctx, id)
			return credentialOwner(rec), err
		},
		reseal: func(ctx context.Context, read sealedOwner, values []sealedValue, fingerprint string) error {
			rec := ports.SealedCredentialRecord{OrgID: read.orgID, CredentialID: read.id, SecretVersion: read.version,
				SealedKey: read.values[0].sealed, SealedSecret: read.values[1].sealed, SealedSessionToken: read.values[2].sealed,
				SecretFingerprint: read.fingerprint}
			return store.ResealCredential(ctx, rec, ports.ResealedCredential{SealedKey: values[0].sealed,
				SealedSecret: values[1].sealed, SealedSessionToken: values[2].sealed, SecretFingerprint: fingerprint})
		},
	}
}

func credentialOwner(rec ports.SealedCredentialRecord) sealedOwner {
	return sealedOwner{kind: ownerCredential, orgID: rec.OrgID, id: rec.CredentialID, version: rec.SecretVersion,
		values: []sealedValue{{ports.FieldCredentialKey, rec.SealedKey}, {ports.FieldCredentialSecret, rec.SealedSecret},
			{ports.FieldCredentialSessionToken, rec.SealedSessionToken}},
		fingerprint: rec.SecretFingerprint, secretField: ports.FieldCredentialSecret}
}

func mapOwners[R any](recs []R, owner func(R) sealedOwner) []sealedOwner {
	out := make([]sealedOwner, len(recs))
	for i, r := range recs {
		out[i] = owner(r)
	}
	return out
}
