package gormstore_test

import (
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/porttest"
)

func newBucket(org porttest.SeededOrg, name string) domain.Bucket {
	now := time.Now().UTC()
	return domain.Bucket{
		ID:           domain.NewID(),
		OrgID:        org.OrgID,
		WorkspaceID:  org.WorkspaceID,
		Name:         name,
		Bucket:       "photos",
		StorageType:  domain.StorageS3,
		Region:       "eu-west-1",
		KeyHint:      "AKIA…MPLE",
		Status:       domain.StatusOnline,
		CreatedAt:    now,
		UpdatedAt:    now,
		SealedKey:    []byte("sealed key"),
		SealedSecret: []byte("sealed secret"),
	}
}

func intPtr(n int) *int { return &n }
