package domain_test

import (
	"testing"

	"github.com/bucketd/bucketd/domain"
)

func TestParseCredentialKind(t *testing.T) {
	ok := []struct {
		in   string
		t    domain.StorageType
		want domain.CredentialKind
	}{
		{"", domain.StorageS3, domain.CredentialKeySecret},
		{"KEY_SECRET", domain.StorageAzure, domain.CredentialKeySecret},
		{"AWS_SESSION", domain.StorageS3, domain.CredentialAWSSession},
		{"AWS_ROLE", domain.StorageS3, domain.CredentialAWSRole},
		{"AZURE_SERVICE_PRINCIPAL", domain.StorageAzure, domain.CredentialAzureServicePrincipal},
		{"AZURE_SAS", domain.StorageAzure, domain.CredentialAzureSAS},
		{"GCS_IMPERSONATION", domain.StorageGCS, domain.CredentialGCSImpersonation},
	}
	for _, c := range ok {
		if got, err := domain.ParseCredentialKind(c.in, c.t); err != nil || got != c.want {
			t.Errorf("ParseCredentialKind(%q, %s) = %q, %v; want %q", c.in, c.t, got, err, c.want)
		}
	}
	for _, c := range []struct {
		in string
		t  domain.StorageType
	}{{"AWS_ROLE", domain.StorageGCS}, {"AZURE_SAS", domain.StorageS3}, {"aws_role", domain.StorageS3}, {"ROOT", domain.StorageS3}} {
		if _, err := domain.ParseCredentialKind(c.in, c.t); !domain.IsKind(err, domain.KindInvalidInput) {
			t.Errorf("ParseCredentialKind(%q, %s) = %v; want an invalid-input error", c.in, c.t, err)
		}
	}
}

func TestOnlyDelegatedKindsHaveNoSecret(t *testing.T) {
	for k, want := range map[domain.CredentialKind]bool{
		"": true, domain.CredentialKeySecret: true, domain.CredentialAWSSession: true, domain.CredentialAzureSAS: true,
		domain.CredentialAzureServicePrincipal: true, domain.CredentialAWSRole: false, domain.CredentialGCSImpersonation: false,
	} {
		if got := k.HasSecret(); got != want {
			t.Errorf("%q.HasSecret() = %t, want %t", k, got, want)
		}
	}
}
