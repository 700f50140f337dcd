package app_test

import (
	"errors"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/domain"
)

func TestDeleteSoftDeletesAtTheClocksTime(t *testing.T) {
	for name, p := range map[string]domain.Principal{"admin": admin, "member of its workspace": wsMember} {
		t.Run(name, func(t *testing.T) {
			f := newBucketsFixture(t)
			gomock.InOrder(
				f.expectGet(),
				f.store.EXPECT().Delete(gomock.Any(), orgID, bucketID, clock).Return(nil),
			)

			if err := f.svc.Delete(t.Context(), p, bucketID); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if logs := f.logs.String(); !strings.Contains(logs, `"msg":"delete bucket"`) || !strings.Contains(logs, `"outcome":"ok"`) {
				t.Errorf("log = %s, want one ok line for the delete", logs)
			}
		})
	}
}

func TestDeleteStopsBeforeWritingWhenGetRefuses(t *testing.T) {
	tests := []struct {
		name   string
		p      domain.Principal
		stored domain.Bucket
		err    error
		kind   domain.Kind
	}{
		{"unknown or already deleted", admin, domain.Bucket{}, errNotFound, domain.KindNotFound},
		{"member outside the workspace", member, storedBucket(), nil, domain.KindForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t) // no Delete expectation: the store must not be asked to delete
			f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(tt.stored, tt.err)

			err := f.svc.Delete(t.Context(), tt.p, bucketID)

			wantKind(t, err, tt.kind, "")
		})
	}
}

func TestDeletePassesTheStoresFailureThrough(t *testing.T) {
	f := newBucketsFixture(t)
	// Another request deleted the bucket between the read and the write.
	gomock.InOrder(f.expectGet(), f.store.EXPECT().Delete(gomock.Any(), orgID, bucketID, clock).Return(errNotFound))

	if err := f.svc.Delete(t.Context(), admin, bucketID); !errors.Is(err, errNotFound) {
		t.Fatalf("error = %v, want the store's NotFound", err)
	}
}
