package app

import (
	"context"
	"strings"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// noWorkspaceFilter lists the workspaceId values that mean "every workspace": empty, and the
// literal "undefined" Flashback's TypeScript client sends when the argument is missing.
var noWorkspaceFilter = map[string]bool{"": true, "undefined": true}

// ListInput selects a page of buckets.
type ListInput struct {
	// WorkspaceID restricts the list to one workspace; empty or "undefined" means every
	// workspace the caller may see.
	WorkspaceID string
	// Limit is the page size; 0 means domain.MaxPageSize.
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

// Get returns one bucket of the caller's organization, to read. Buckets of other organizations do not
// exist for the caller; a member is refused a bucket of a workspace they do not belong to.
func (s *Buckets) Get(ctx context.Context, p domain.Principal, bucketID string) (domain.Bucket, error) {
	b, err := s.store.Get(ctx, p.OrgID, bucketID)
	if err != nil {
		return domain.Bucket{}, err
	}
	if err := mayRead(p, b); err != nil {
		return domain.Bucket{}, err
	}
	return b, nil
}

// GetAsHolder is Get for the holder of a bearer token, authenticated by the same store round
// trip that reads the bucket (ports.BucketReader.GetAsHolder): GET /bucket/{id}, the hottest
// request, pays for one round trip instead of two. The error refuses the token (or is the
// store's failure); a refusal of the bucket itself, not found or forbidden as Get's, is the
// read's Err, beside the principal, which the caller may need before it answers.
func (s *Buckets) GetAsHolder(ctx context.Context, token domain.Secret, bucketID string) (ports.HolderRead, error) {
	read, err := s.store.GetAsHolder(ctx, token, bucketID)
	if err != nil || read.Err != nil {
		return read, err
	}
	if err := mayRead(read.Principal, read.Bucket); err != nil {
		return ports.HolderRead{Principal: read.Principal, Err: err}, nil
	}
	return read, nil
}

// mayRead refuses a caller a bucket of a workspace they may not read.
func mayRead(p domain.Principal, b domain.Bucket) error {
	if !p.MayUseWorkspace(b.WorkspaceID) {
		return domain.Errorf(domain.KindForbidden,
			"bucket %s belongs to workspace %s, which you are not a member of; ask an admin of your organization to add you", b.ID, b.WorkspaceID)
	}
	return nil
}

// getToWrite is Get for the use cases that change a bucket or record its status: they need the
// WRITE role in the bucket's workspace.
func (s *Buckets) getToWrite(ctx context.Context, p domain.Principal, bucketID string) (domain.Bucket, error) {
	b, err := s.Get(ctx, p, bucketID)
	if err != nil {
		return domain.Bucket{}, err
	}
	return b, mayWriteBuckets(p, b.WorkspaceID, domain.WorkspaceWrite)
}

// List returns one page of the buckets the caller may see: every workspace of the organization
// for an admin, the member's own workspaces for a member.
func (s *Buckets) List(ctx context.Context, p domain.Principal, in ListInput) (domain.BucketPage, error) {
	q := domain.BucketQuery{Limit: in.Limit, Cursor: in.Cursor}
	if q.Limit == 0 {
		q.Limit = domain.MaxPageSize
	}
	switch ws := strings.TrimSpace(in.WorkspaceID); {
	case !noWorkspaceFilter[ws]:
		if err := s.authorizeWorkspace(ctx, p, ws, domain.WorkspaceRead); err != nil {
			return domain.BucketPage{}, err
		}
		q.WorkspaceIDs = []string{ws}
	case p.Role != domain.RoleAdmin:
		q.WorkspaceIDs = append([]string{}, p.WorkspaceIDs()...) // non-nil: none when they have none
	}
	return s.store.List(ctx, p.OrgID, q)
}

// Quota reports the organization's bucket usage against its limit.
func (s *Buckets) Quota(ctx context.Context, p domain.Principal) (domain.Quota, error) {
	return s.store.QuotaUsage(ctx, p.OrgID)
}
