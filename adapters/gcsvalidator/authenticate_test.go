package gcsvalidator

import (
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// authenticating is the credential of GCS_IMPERSONATION for account, with no bucket: what
// POST /apikeys proves.
func (w impersonation) authenticating(account string) domain.CredentialTarget {
	return domain.CredentialTarget{StorageType: domain.StorageGCS, Endpoint: w.URL,
		Credentials: domain.Credentials{Kind: domain.CredentialGCSImpersonation, Key: domain.NewSecret(account)}}
}

// A GCS_IMPERSONATION credential alone is proved by minting a token for its account, and
// refused as Google refuses the mint, worded as a bucket's validation words it.
func TestAuthenticateImpersonation(t *testing.T) {
	w := startImpersonation(t)
	h := w.harness(t, nil)
	if err := h.v.Authenticate(t.Context(), w.authenticating(impReaderEmail)); err != nil {
		t.Fatalf("Authenticate a permitted impersonation: %v", err)
	}
	if mints := w.iam.Mints(); len(mints) != 1 || mints[0].Target != impReaderEmail || mints[0].Scopes[0] != scopeReadOnly {
		t.Errorf("mints %+v, want one read-only token for %s", mints, impReaderEmail)
	}
	if len(w.Requests()) != 1 {
		t.Errorf("the authentication asked the GCS peer %q, want only bucketd's own token exchange", w.Requests())
	}

	for _, tc := range []struct {
		name, account string
		kind          domain.Kind
		fragments     []string
	}{
		{"not permitted", impStrangerEmail, domain.KindAccessDenied, []string{
			"bucketd's service account " + bucketdEmail + " may not impersonate service account imp-….com (PERMISSION_DENIED",
			"grant roles/iam.serviceAccountTokenCreator on service account imp-….com to " + bucketdEmail,
		}},
		{"unknown account", impGhostEmail, domain.KindInvalidCredentials, []string{"service account imp-….com does not exist"}},
		{"not an email", "imp-reader", domain.KindInvalidInput, []string{"is not a service account's email"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := h.v.Authenticate(t.Context(), w.authenticating(tc.account))
			providerchecktest.WantKind(t, err, tc.kind, tc.fragments...)
			providerchecktest.WantNoLeak(t, domain.ValidationReport{}, err, h.log.String(), tc.account)
		})
	}

	t.Run("a server without an identity", func(t *testing.T) {
		h := w.peer.harness(t, func(cfg *Config) { cfg.IAMCredentialsURL = w.iam.URL })
		err := h.v.Authenticate(t.Context(), w.authenticating(impReaderEmail))
		providerchecktest.WantKind(t, err, domain.KindNotImplemented, "--gcs-identity-file")
	})
}
