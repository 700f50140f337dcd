package domain

import (
	"strings"
	"time"
)

// StoredCredential is a provider credential an organization registered once, in one of its
// workspaces, for buckets of that workspace to use by reference: rotate it once and every
// bucket that uses it follows. Its plaintext lives only in the vault's ciphertexts.
type StoredCredential struct {
	ID          string
	OrgID       string
	WorkspaceID string
	// StorageType is the provider family the credential reaches; ProviderSpelling is how the
	// caller named it (Flashback's AWS, GCP, AZURE or a storage type), which answers repeat.
	StorageType      StorageType
	ProviderSpelling string
	Kind             CredentialKind
	// Endpoint is where the credential is used: buckets that use it reach the provider there
	// and nowhere else, so a credential is never sent where it was not registered.
	Endpoint string
	Region   string
	// TenantID is the Entra tenant of an Azure service principal.
	TenantID    string
	Description string
	KeyHint     string
	// SecretFingerprint identifies the secret without revealing it ("" without a fingerprint
	// key, or for a kind without a secret).
	SecretFingerprint string
	// SecretVersion starts at 1 and grows by one each time the key, the secret or the session
	// token changes. A bucket records the secret version it was validated with, and the store
	// refuses to attach a bucket validated with another, so no bucket escapes a rotation.
	SecretVersion int64
	// BucketCount is the number of live buckets that use the credential, as a read found it.
	BucketCount int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// The sealed values are vault ciphertexts bound to OrgID, ID and the field; SealedSecret
	// and SealedSessionToken are empty when the kind has none.
	SealedKey          []byte
	SealedSecret       []byte
	SealedSessionToken []byte
}

// CredentialTarget is what proving a credential alone needs: where the provider is and the
// credential, with no bucket.
type CredentialTarget struct {
	StorageType StorageType
	Endpoint    string
	Region      string
	Credentials Credentials
}

// providerNames maps the provider names Flashback's client sends to the storage types.
var providerNames = map[string]StorageType{"AWS": StorageS3, "GCP": StorageGCS}

// ParseProvider accepts a credential's provider as Flashback names it (AWS, GCP, AZURE) or as a
// storage type (S3, GCS, AZURE, BLOB), in any case.
func ParseProvider(s string) (StorageType, error) {
	upper := strings.ToUpper(strings.TrimSpace(s))
	if t, ok := providerNames[upper]; ok {
		return t, nil
	}
	if t, err := ParseStorageType(upper); err == nil {
		return t, nil
	}
	return "", Errorf(KindInvalidInput, "provider %q is not one of AWS, GCP, AZURE (or the storage types S3, GCS, BLOB)", s)
}
