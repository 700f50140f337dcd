package app_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var errNotFound = domain.Errorf(domain.KindNotFound, "bucket not found; check the bucket id")

func TestGetReturnsBucketTheCallerMayUse(t *testing.T) {
	elsewhere := storedBucket()
	elsewhere.WorkspaceID = "ws-the-admin-is-not-in"
	tests := []struct {
		name   string
		p      domain.Principal
		stored domain.Bucket
	}{
		{"member of its workspace", wsMember, storedBucket()},
		{"admin", admin, storedBucket()},
		{"admin on any workspace of the organization", admin, elsewhere},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t)
			f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(tt.stored, nil)

			got, err := f.svc.Get(t.Context(), tt.p, bucketID)

			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !reflect.DeepEqual(got, tt.stored) {
				t.Errorf("Get = %+v, want the stored bucket %+v", got, tt.stored)
			}
		})
	}
}

func TestGetPassesNotFoundThrough(t *testing.T) {
	f := newBucketsFixture(t)
	f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(domain.Bucket{}, errNotFound)

	_, err := f.svc.Get(t.Context(), admin, bucketID)

	if !errors.Is(err, errNotFound) {
		t.Fatalf("error = %v, want the store's NotFound", err)
	}
	wantKind(t, err, domain.KindNotFound, "")
}

func TestGetForbidsMemberOutsideTheBucketsWorkspace(t *testing.T) {
	f := newBucketsFixture(t)
	f.expectGet()

	got, err := f.svc.Get(t.Context(), member, bucketID)

	wantKind(t, err, domain.KindForbidden, "workspace "+wsID)
	if !reflect.DeepEqual(got, domain.Bucket{}) {
		t.Errorf("Get returned %+v along with the refusal, want the zero bucket", got)
	}
}

// listQuery captures the query the store receives and answers with page.
func (f *bucketsFixture) listQuery(page domain.BucketPage) *domain.BucketQuery {
	var q domain.BucketQuery
	f.store.EXPECT().List(gomock.Any(), orgID, gomock.Any()).DoAndReturn(
		func(_ context.Context, _ string, got domain.BucketQuery) (domain.BucketPage, error) {
			q = got
			return page, nil
		})
	return &q
}

func TestListWithoutFilterScopesByRole(t *testing.T) {
	loner := domain.Principal{UserID: "u-loner", OrgID: orgID, Role: domain.RoleMember}
	tests := []struct {
		name string
		p    domain.Principal
		in   app.ListInput
		want domain.BucketQuery
	}{
		{"admin sees the whole organization", admin, app.ListInput{},
			domain.BucketQuery{WorkspaceIDs: nil, Limit: domain.MaxPageSize}},
		{"admin with the literal undefined", admin, app.ListInput{WorkspaceID: "undefined"},
			domain.BucketQuery{WorkspaceIDs: nil, Limit: domain.MaxPageSize}},
		{"admin with a blank filter", admin, app.ListInput{WorkspaceID: "  "},
			domain.BucketQuery{WorkspaceIDs: nil, Limit: domain.MaxPageSize}},
		{"member sees their workspaces, sorted", wsMember, app.ListInput{},
			domain.BucketQuery{WorkspaceIDs: []string{wsID, "another-ws"}, Limit: domain.MaxPageSize}},
		{"member with the literal undefined", member, app.ListInput{WorkspaceID: "undefined"},
			domain.BucketQuery{WorkspaceIDs: []string{"another-ws"}, Limit: domain.MaxPageSize}},
		{"member without workspaces sees none", loner, app.ListInput{},
			domain.BucketQuery{WorkspaceIDs: []string{}, Limit: domain.MaxPageSize}},
		{"limit and cursor pass through", admin, app.ListInput{Limit: 25, Cursor: "opaque-cursor"},
			domain.BucketQuery{Limit: 25, Cursor: "opaque-cursor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t) // no WorkspaceInOrg expectation: without a filter it must not be asked
			page := domain.BucketPage{Buckets: []domain.Bucket{storedBucket()}, NextCursor: "next"}
			got := f.listQuery(page)

			res, err := f.svc.List(t.Context(), tt.p, tt.in)

			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if (got.WorkspaceIDs == nil) != (tt.want.WorkspaceIDs == nil) || !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("query = %#v, want %#v (nil means every workspace, empty means none)", *got, tt.want)
			}
			if !reflect.DeepEqual(res, page) {
				t.Errorf("List = %+v, want the store's page", res)
			}
		})
	}
}

func TestListWithFilterChecksTheWorkspaceFirst(t *testing.T) {
	for name, p := range map[string]domain.Principal{"admin": admin, "member of it": wsMember} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t)
			gomock.InOrder(
				f.store.EXPECT().WorkspaceInOrg(gomock.Any(), orgID, wsID).Return(true, nil),
				f.store.EXPECT().List(gomock.Any(), orgID, domain.BucketQuery{
					WorkspaceIDs: []string{wsID}, Limit: domain.MaxPageSize, Cursor: "c1",
				}).Return(domain.BucketPage{}, nil),
			)

			if _, err := f.svc.List(t.Context(), p, app.ListInput{WorkspaceID: " " + wsID + " ", Cursor: "c1"}); err != nil {
				t.Fatalf("List: %v", err)
			}
		})
	}
}

func TestListRefusesAFilterTheCallerMayNotUse(t *testing.T) {
	tests := []struct {
		name  string
		p     domain.Principal
		inOrg bool
		kind  domain.Kind
		want  string
	}{
		{"workspace of another organization", admin, false, domain.KindWorkspaceNotFound, "is not a workspace of your organization"},
		{"member outside the workspace", member, true, domain.KindForbidden, "not a member of workspace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t) // no List expectation: a refusal must not read buckets
			f.store.EXPECT().WorkspaceInOrg(gomock.Any(), orgID, wsID).Return(tt.inOrg, nil)

			_, err := f.svc.List(t.Context(), tt.p, app.ListInput{WorkspaceID: wsID})

			wantKind(t, err, tt.kind, tt.want)
		})
	}
}

func TestListPassesStoreFailuresThrough(t *testing.T) {
	down := domain.Errorf(domain.KindUnavailable, "database unreachable")
	t.Run("workspace lookup", func(t *testing.T) {
		f := newBucketsFixture(t)
		f.store.EXPECT().WorkspaceInOrg(gomock.Any(), orgID, wsID).Return(false, down)

		_, err := f.svc.List(t.Context(), admin, app.ListInput{WorkspaceID: wsID})

		if !errors.Is(err, down) {
			t.Fatalf("error = %v, want the store failure", err)
		}
		wantKind(t, err, domain.KindUnavailable, "look up workspace")
	})
	t.Run("list", func(t *testing.T) {
		f := newBucketsFixture(t)
		f.store.EXPECT().List(gomock.Any(), orgID, gomock.Any()).Return(domain.BucketPage{}, down)

		if _, err := f.svc.List(t.Context(), admin, app.ListInput{}); !errors.Is(err, down) {
			t.Fatalf("error = %v, want the store failure", err)
		}
	})
}

func TestQuotaPassesTheStoresUsageThrough(t *testing.T) {
	f := newBucketsFixture(t)
	want := domain.Quota{Plan: domain.PlanTeam, Used: 42, Limit: 100}
	f.store.EXPECT().QuotaUsage(gomock.Any(), orgID).Return(want, nil)

	got, err := f.svc.Quota(t.Context(), member)

	if err != nil || got != want {
		t.Fatalf("Quota = %+v, %v; want %+v", got, err, want)
	}

	f = newBucketsFixture(t)
	down := domain.Errorf(domain.KindUnavailable, "database unreachable")
	f.store.EXPECT().QuotaUsage(gomock.Any(), orgID).Return(domain.Quota{}, down)
	if _, err := f.svc.Quota(t.Context(), admin); !errors.Is(err, down) {
		t.Fatalf("error = %v, want the store failure", err)
	}
}

// holderToken is the bearer token of TestGetAsHolder's reads; the mocked store decides whose.
var holderToken = domain.NewSecret("bkd_tok_holder")

// TestGetAsHolder checks the read as a token's holder: the store's read passes through to a
// caller who may read the bucket's workspace (an admin, a READ member), a member of another
// workspace is refused as Get refuses them, and the store's refusals, of the token or of the
// bucket, pass through unchanged, the principal kept beside a refused bucket.
func TestGetAsHolder(t *testing.T) {
	refusedToken := domain.Errorf(domain.KindUnauthenticated, "the bearer token is invalid, expired or revoked")
	tests := []struct {
		name     string
		stored   ports.HolderRead
		storeErr error
		// wantRead is the kind of the read's refusal and the text it contains; nil when the
		// bucket is answered.
		wantRead *domain.Kind
		wantText string
	}{
		{name: "admin", stored: ports.HolderRead{Principal: admin, Bucket: storedBucket()}},
		{name: "READ member of the bucket's workspace", stored: ports.HolderRead{Principal: reader, Bucket: storedBucket()}},
		{name: "member of another workspace", stored: ports.HolderRead{Principal: member, Bucket: storedBucket()},
			wantRead: new(domain.KindForbidden), wantText: "workspace " + wsID},
		{name: "bucket not found", stored: ports.HolderRead{Principal: admin, Err: errNotFound}, wantRead: new(domain.KindNotFound)},
		{name: "token refused", storeErr: refusedToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t)
			f.store.EXPECT().GetAsHolder(gomock.Any(), holderToken, bucketID).Return(tt.stored, tt.storeErr)

			got, err := f.svc.GetAsHolder(t.Context(), holderToken, bucketID)

			if !errors.Is(err, tt.storeErr) || (err == nil) != (tt.storeErr == nil) {
				t.Fatalf("error = %v, want the store's %v", err, tt.storeErr)
			}
			if !reflect.DeepEqual(got.Principal, tt.stored.Principal) {
				t.Errorf("principal %+v, want the store's %+v", got.Principal, tt.stored.Principal)
			}
			switch {
			case tt.storeErr != nil:
			case tt.wantRead != nil:
				wantKind(t, got.Err, *tt.wantRead, tt.wantText)
				if got.Bucket.ID != "" {
					t.Errorf("bucket %+v beside the refusal, want none", got.Bucket)
				}
			case got.Err != nil || !reflect.DeepEqual(got.Bucket, tt.stored.Bucket):
				t.Errorf("read = %+v, %v; want the stored bucket", got.Bucket, got.Err)
			}
		})
	}
}
