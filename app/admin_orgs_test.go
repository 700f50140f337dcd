package app_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

func TestListOrganizationsReturnsTheStoredRecords(t *testing.T) {
	a, store, _ := newAdmin(t)
	want := []ports.OrganizationRecord{
		{Organization: domain.Organization{ID: orgID, Name: "Acme", Plan: domain.PlanTeam}, CreatedAt: clock, Buckets: 3},
	}
	store.orgs.EXPECT().ListOrganizations(gomock.Any()).Return(want, nil)

	got, err := a.ListOrganizations(t.Context())

	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ListOrganizations = %+v, %v; want %+v", got, err, want)
	}
}

func TestListOrganizationsWrapsFailure(t *testing.T) {
	a, store, _ := newAdmin(t)
	down := domain.Errorf(domain.KindUnavailable, "database unavailable; retry shortly")
	store.orgs.EXPECT().ListOrganizations(gomock.Any()).Return(nil, down)

	_, err := a.ListOrganizations(t.Context())

	if !errors.Is(err, down) || !strings.Contains(err.Error(), "list organizations") {
		t.Errorf("error = %v, want the directory's error with context", err)
	}
}

func TestUpdateOrganizationSendsOnlyTheChange(t *testing.T) {
	three, zero := 3, 0
	tests := []struct {
		name string
		req  app.OrganizationUpdate
		want ports.OrganizationChange
	}{
		{"plan", app.OrganizationUpdate{OrgID: orgID, Plan: "TEAM"}, ports.OrganizationChange{Plan: domain.PlanTeam}},
		{"limit", app.OrganizationUpdate{OrgID: orgID, BucketLimit: &three}, ports.OrganizationChange{BucketLimit: &three}},
		{"limit of zero", app.OrganizationUpdate{OrgID: orgID, BucketLimit: &zero}, ports.OrganizationChange{BucketLimit: &zero}},
		{"clear the limit", app.OrganizationUpdate{OrgID: orgID, ClearBucketLimit: true}, ports.OrganizationChange{ClearBucketLimit: true}},
		{"plan and limit", app.OrganizationUpdate{OrgID: orgID, Plan: "ENTERPRISE", BucketLimit: &three},
			ports.OrganizationChange{Plan: domain.PlanEnterprise, BucketLimit: &three}},
		{"upper-case id with spaces", app.OrganizationUpdate{OrgID: " " + strings.ToUpper(orgID) + " ", Plan: "TEAM"},
			ports.OrganizationChange{Plan: domain.PlanTeam}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, store, _ := newAdmin(t)
			stored := ports.OrganizationRecord{Organization: domain.Organization{ID: orgID, Plan: domain.PlanTeam}, Buckets: 1}
			var sent ports.OrganizationChange
			store.orgs.EXPECT().UpdateOrganization(gomock.Any(), orgID, gomock.Any()).
				DoAndReturn(func(_ any, _ string, c ports.OrganizationChange) (ports.OrganizationRecord, error) {
					sent = c
					return stored, nil
				})

			got, err := a.UpdateOrganization(t.Context(), tt.req)

			if err != nil || !reflect.DeepEqual(got, stored) {
				t.Fatalf("UpdateOrganization = %+v, %v; want the stored record", got, err)
			}
			if !reflect.DeepEqual(sent, tt.want) {
				t.Errorf("change sent = %+v, want %+v", sent, tt.want)
			}
			if tt.req.BucketLimit != nil && sent.BucketLimit == tt.req.BucketLimit {
				t.Errorf("the change shares the caller's limit variable; want a copy")
			}
		})
	}
}

func TestUpdateOrganizationBelowUsageWarns(t *testing.T) {
	for _, tc := range []struct {
		buckets, limit int
		warn           bool
	}{{5, 3, true}, {3, 3, false}, {2, 3, false}} {
		a, store, logs := newAdmin(t)
		limit := tc.limit
		store.orgs.EXPECT().UpdateOrganization(gomock.Any(), orgID, gomock.Any()).Return(ports.OrganizationRecord{
			Organization: domain.Organization{ID: orgID, Plan: domain.PlanFreeTrial, BucketLimit: &limit}, Buckets: tc.buckets}, nil)

		org, err := a.UpdateOrganization(t.Context(), app.OrganizationUpdate{OrgID: orgID, BucketLimit: &limit})

		if err != nil {
			t.Fatalf("UpdateOrganization: %v", err)
		}
		if q := org.Quota(); q.Used != tc.buckets || q.Limit != tc.limit {
			t.Errorf("quota = %+v, want %d of %d", q, tc.buckets, tc.limit)
		}
		if warned := strings.Contains(logs.String(), `"level":"WARN"`); warned != tc.warn {
			t.Errorf("%d buckets against a limit of %d: warning logged = %v, want %v:\n%s", tc.buckets, tc.limit, warned, tc.warn, logs)
		}
	}
}

func TestUpdateOrganizationRejectsInvalidInput(t *testing.T) {
	three, negative := 3, -1
	tests := []struct {
		name string
		req  app.OrganizationUpdate
		want string
	}{
		{"empty id", app.OrganizationUpdate{Plan: "TEAM"}, "organization id must not be empty"},
		{"malformed id", app.OrganizationUpdate{OrgID: "acme", Plan: "TEAM"}, `organization id "acme" is not a UUID`},
		{"nothing to change", app.OrganizationUpdate{OrgID: orgID}, "nothing to change for organization " + orgID},
		{"limit and clear", app.OrganizationUpdate{OrgID: orgID, BucketLimit: &three, ClearBucketLimit: true}, "not both"},
		{"negative limit", app.OrganizationUpdate{OrgID: orgID, BucketLimit: &negative}, "bucket limit -1 is negative"},
		{"unknown plan", app.OrganizationUpdate{OrgID: orgID, Plan: "GOLD"}, `plan "GOLD" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, _ := newAdmin(t) // the directory expects no call

			_, err := a.UpdateOrganization(t.Context(), tt.req)

			wantKind(t, err, domain.KindInvalidInput, tt.want)
		})
	}
}

func TestUpdateOrganizationOfUnknownOrganization(t *testing.T) {
	a, store, _ := newAdmin(t)
	store.orgs.EXPECT().UpdateOrganization(gomock.Any(), orgID, gomock.Any()).
		Return(ports.OrganizationRecord{}, domain.Errorf(domain.KindNotFound, "organization %s does not exist", orgID))

	_, err := a.UpdateOrganization(t.Context(), app.OrganizationUpdate{OrgID: orgID, Plan: "TEAM"})

	wantKind(t, err, domain.KindNotFound, "organization "+orgID+" does not exist")
}
