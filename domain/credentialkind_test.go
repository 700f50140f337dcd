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

// Flashback's client sends no kind: an Azure key with a tenant id is a service principal, and
// a kind given, or another provider's tenant id, is left as it is.
func TestImpliedCredentialKind(t *testing.T) {
	for _, c := range []struct {
		kind   string
		t      domain.StorageType
		tenant string
		want   string
	}{
		{"", domain.StorageAzure, "contoso.onmicrosoft.com", "AZURE_SERVICE_PRINCIPAL"},
		{"  ", domain.StorageAzure, "72f988bf-86f1-41af-91ab-2d7cd011db47", "AZURE_SERVICE_PRINCIPAL"},
		{"", domain.StorageAzure, " ", ""},
		{"AZURE_SAS", domain.StorageAzure, "contoso.onmicrosoft.com", "AZURE_SAS"},
		{"", domain.StorageS3, "contoso.onmicrosoft.com", ""},
	} {
		if got := domain.ImpliedCredentialKind(c.kind, c.t, c.tenant); got != c.want {
			t.Errorf("ImpliedCredentialKind(%q, %s, %q) = %q; want %q", c.kind, c.t, c.tenant, got, c.want)
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
