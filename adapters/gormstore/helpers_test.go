package gormstore_test

import (
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"

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

// seedLegacyOrg stores an organization with a workspace and a member of it in the columns of
// the first schema only, as a release before any later migration did, and returns it (without
// a token).
func seedLegacyOrg(t *testing.T, store *gormstore.Store) porttest.SeededOrg {
	t.Helper()
	org := porttest.SeededOrg{OrgID: domain.NewID(), WorkspaceID: domain.NewID(), AdminID: domain.NewID()}
	org.AdminEmail = "legacy-" + org.AdminID + "@example.test"
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO organizations (id, name) VALUES (?, 'Legacy')", []any{org.OrgID}},
		{"INSERT INTO workspaces (id, org_id, name) VALUES (?, ?, 'default')", []any{org.WorkspaceID, org.OrgID}},
		{"INSERT INTO users (id, org_id, email, role) VALUES (?, ?, ?, 'ADMIN')", []any{org.AdminID, org.OrgID, org.AdminEmail}},
		{"INSERT INTO workspace_members (user_id, workspace_id) VALUES (?, ?)", []any{org.AdminID, org.WorkspaceID}},
	} {
		if err := gormstore.Exec(t.Context(), store, stmt.sql, stmt.args...); err != nil {
			t.Fatalf("%s: %v", stmt.sql, err)
		}
	}
	return org
}
