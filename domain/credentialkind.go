package domain

import "strings"

// CredentialKind says what a set of credentials is, and so how a provider check uses it. Every
// kind but CredentialKeySecret is a way for an organization to let bucketd in without handing
// it a long-lived key.
type CredentialKind string

// The credential kinds, by provider.
const (
	// CredentialKeySecret is a long-lived key and its secret: an S3 access key, a GCS service
	// account key file (or its PEM key) or HMAC key, an Azure storage account key.
	CredentialKeySecret CredentialKind = "KEY_SECRET"
	// CredentialAWSSession is temporary AWS credentials as STS hands them out: an access key,
	// its secret and a session token, which stop working when they expire.
	CredentialAWSSession CredentialKind = "AWS_SESSION"
	// CredentialAWSRole is an IAM role (Key: its ARN) that bucketd assumes with its own AWS
	// identity, presenting the organization's ExternalId.
	CredentialAWSRole CredentialKind = "AWS_ROLE"
	// CredentialAzureServicePrincipal is an Entra application (Key: its client id, Secret: a
	// client secret, TenantID: its tenant) granted a data role on the storage account.
	CredentialAzureServicePrincipal CredentialKind = "AZURE_SERVICE_PRINCIPAL"
	// CredentialAzureSAS is a shared access signature (Key: the storage account, Secret: the
	// SAS token) for a container or the account.
	CredentialAzureSAS CredentialKind = "AZURE_SAS"
	// CredentialGCSImpersonation is a service account (Key: its email) that bucketd's own
	// Google identity may impersonate.
	CredentialGCSImpersonation CredentialKind = "GCS_IMPERSONATION" //nolint:gosec // G101: a kind's name, not a credential
)

// credentialKinds lists, for each kind, the storage type it serves.
var credentialKinds = map[CredentialKind]StorageType{
	CredentialAWSSession:            StorageS3,
	CredentialAWSRole:               StorageS3,
	CredentialAzureServicePrincipal: StorageAzure,
	CredentialAzureSAS:              StorageAzure,
	CredentialGCSImpersonation:      StorageGCS,
}

// OrDefault is the kind, with the zero value read as CredentialKeySecret.
func (k CredentialKind) OrDefault() CredentialKind {
	if k == "" {
		return CredentialKeySecret
	}
	return k
}

// ImpliedCredentialKind is the kind a request means: the kind given, or without one, for an
// Azure credential with a tenant id, a service principal, as Flashback's client registers one
// (provider AZURE and tenantId, with no kind to send); otherwise nothing, which is KEY_SECRET.
func ImpliedCredentialKind(kind string, t StorageType, tenantID string) string {
	if strings.TrimSpace(kind) == "" && t == StorageAzure && strings.TrimSpace(tenantID) != "" {
		return string(CredentialAzureServicePrincipal)
	}
	return kind
}

// ParseCredentialKind accepts a kind for a storage type: KEY_SECRET (or nothing) for every
// type, and each other kind for its own provider only.
func ParseCredentialKind(s string, t StorageType) (CredentialKind, error) {
	k := CredentialKind(s).OrDefault()
	if k == CredentialKeySecret {
		return k, nil
	}
	serves, known := credentialKinds[k]
	if !known {
		return "", Errorf(KindInvalidInput, "credential kind %q is not one of KEY_SECRET, AWS_SESSION, AWS_ROLE, "+
			"AZURE_SERVICE_PRINCIPAL, AZURE_SAS, GCS_IMPERSONATION", s)
	}
	if serves != t {
		return "", Errorf(KindInvalidInput, "credential kind %s is for %s buckets, not %s", k, serves, t)
	}
	return k, nil
}

// HasSecret reports whether credentials of the kind carry a secret: every kind but a role to
// assume and a service account to impersonate, whose trust lives at the provider.
func (k CredentialKind) HasSecret() bool {
	k = k.OrDefault()
	return k != CredentialAWSRole && k != CredentialGCSImpersonation
}
