package app_test

import (
	"context"
	"testing"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
)

// externalIDs is an organization store that knows one organization's ExternalId.
type externalIDs map[string]string

func (e externalIDs) OrganizationExternalID(_ context.Context, orgID string) (string, error) {
	id, ok := e[orgID]
	if !ok {
		return "", domain.Errorf(domain.KindNotFound, "organization %s not found", orgID)
	}
	return id, nil
}

type identity string

func (i identity) Principal(context.Context) string { return string(i) }

const (
	trustOrg        = "01890a5d-ac96-774b-bcce-b302099a8057"
	trustExternalID = "bucketd-Zx81nQ0aWm3_Lr5tYv7uPb2cAbCdEfGh"
)

func TestBindOrganizationTakesTheExternalIDFromTheOrganization(t *testing.T) {
	ids := externalIDs{trustOrg: trustExternalID}
	role := domain.Credentials{Kind: domain.CredentialAWSRole, Key: domain.NewSecret("arn:aws:iam::444455556666:role/r"),
		ExternalID: "the-callers-own-choice"}
	got, err := app.BindOrganization(t.Context(), ids, trustOrg, role)
	if err != nil || got.ExternalID != trustExternalID {
		t.Fatalf("BindOrganization = %q, %v; want the organization's ExternalId, never the caller's", got.ExternalID, err)
	}
	keys := domain.Credentials{Key: domain.NewSecret("AKIAIOSFODNN7EXAMPLE"), ExternalID: "the-callers-own-choice"}
	if got, err := app.BindOrganization(t.Context(), ids, trustOrg, keys); err != nil || got.ExternalID != "" {
		t.Errorf("a key and secret = ExternalId %q, %v; want none", got.ExternalID, err)
	}
	if _, err := app.BindOrganization(t.Context(), nil, trustOrg, role); !domain.IsKind(err, domain.KindInvalidInput) {
		t.Errorf("a role on a server without ExternalIds = %v, want invalid input", err)
	}
	if _, err := app.BindOrganization(t.Context(), ids, domain.NewID(), role); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("an unknown organization = %v, want not found", err)
	}
}

func TestAWSTrust(t *testing.T) {
	p := domain.Principal{OrgID: trustOrg}
	for _, c := range []struct {
		name      string
		identity  *identity
		principal string
	}{
		{"with bucketd's identity", ptrTo(identity("arn:aws:iam::111122223333:user/bucketd")), "arn:aws:iam::111122223333:user/bucketd"},
		{"without one", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var trust *app.AWSTrust
			var err error
			if c.identity != nil {
				trust, err = app.NewAWSTrust(externalIDs{trustOrg: trustExternalID}, *c.identity)
			} else {
				trust, err = app.NewAWSTrust(externalIDs{trustOrg: trustExternalID}, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := trust.Trust(t.Context(), p)
			if err != nil || got.ExternalID != trustExternalID || got.PrincipalARN != c.principal {
				t.Errorf("Trust = %+v, %v", got, err)
			}
		})
	}
	if _, err := app.NewAWSTrust(nil, nil); err == nil {
		t.Error("NewAWSTrust without ExternalIds succeeded")
	}
}

func ptrTo[T any](v T) *T { return &v }
