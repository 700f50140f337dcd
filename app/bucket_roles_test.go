package app_test

import (
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// reader is a member with the READ role in wsID.
var reader = domain.Principal{UserID: "u-reader", OrgID: orgID, Role: domain.RoleMember,
	Workspaces: map[string]domain.WorkspaceRole{wsID: domain.WorkspaceRead}}

// TestReadMemberOnlyReads checks that a READ member reads the workspace's buckets and is
// refused, before any provider call or write, everything that changes one or writes a probe,
// with a message naming the role it has and the one it lacks.
func TestReadMemberOnlyReads(t *testing.T) {
	t.Run("get and list", func(t *testing.T) {
		f := newBucketsFixture(t)
		f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(storedBucket(), nil)
		f.store.EXPECT().WorkspaceInOrg(gomock.Any(), orgID, wsID).Return(true, nil)
		f.store.EXPECT().List(gomock.Any(), orgID, gomock.Any()).Return(domain.BucketPage{}, nil)
		if _, err := f.svc.Get(t.Context(), reader, bucketID); err != nil {
			t.Errorf("Get: %v", err)
		}
		if _, err := f.svc.List(t.Context(), reader, app.ListInput{WorkspaceID: wsID}); err != nil {
			t.Errorf("List: %v", err)
		}
	})
	refusals := []struct {
		name   string
		expect func(f *bucketsFixture)
		call   func(f *bucketsFixture) error
	}{
		{"create", func(f *bucketsFixture) {
			f.store.EXPECT().PrecheckCreate(gomock.Any(), orgID, wsID, "Backups").
				Return(ports.CreatePrecheck{WorkspaceInOrg: true, Quota: domain.Quota{Plan: domain.PlanFreeTrial, Limit: 10}}, nil)
		}, func(f *bucketsFixture) error {
			_, err := f.svc.Create(t.Context(), reader, validCreate())
			return err
		}},
		{"update", expectStored, func(f *bucketsFixture) error {
			_, err := f.svc.Update(t.Context(), reader, bucketID, app.UpdateInput{Name: new("Renamed")})
			return err
		}},
		{"delete", expectStored, func(f *bucketsFixture) error {
			return f.svc.Delete(t.Context(), reader, bucketID)
		}},
		{"revalidate", expectStored, func(f *bucketsFixture) error {
			_, err := f.svc.Revalidate(t.Context(), reader, bucketID, app.RevalidateInput{})
			return err
		}},
		{"a readwrite dry run", func(f *bucketsFixture) {
			f.store.EXPECT().WorkspaceInOrg(gomock.Any(), orgID, wsID).Return(true, nil)
		}, func(f *bucketsFixture) error {
			in := validCreate()
			in.Mode = domain.ValidateReadWrite
			_, err := f.svc.Validate(t.Context(), reader, in)
			return err
		}},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t) // no validator, vault or write expected: the controller fails on any
			tt.expect(f)
			wantKind(t, tt.call(f), domain.KindForbidden, "your role in workspace "+wsID+" is READ")
		})
	}
	t.Run("a read-only dry run", func(t *testing.T) {
		f := newBucketsFixture(t)
		f.store.EXPECT().WorkspaceInOrg(gomock.Any(), orgID, wsID).Return(true, nil)
		f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil)
		if _, err := f.svc.Validate(t.Context(), reader, validCreate()); err != nil {
			t.Errorf("Validate(read mode) by a READ member: %v", err)
		}
	})
}

func expectStored(f *bucketsFixture) {
	f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(storedBucket(), nil)
}
