package domain

// MaxPageSize is the most buckets one page holds; it is also the size of a page when the
// caller names none, which keeps Flashback's unpaginated list working for any real organization.
const MaxPageSize = 1000

// BucketQuery selects a page of an organization's live buckets, oldest first.
type BucketQuery struct {
	// WorkspaceIDs restricts the page to these workspaces. Nil means every workspace of the
	// organization; an empty, non-nil slice means none.
	WorkspaceIDs []string
	// Limit is the page size, 1 to MaxPageSize.
	Limit int
	// Cursor continues after the last bucket of the previous page; empty starts at the first.
	Cursor string
}

// BucketPage is one page of buckets. NextCursor is empty on the last page.
type BucketPage struct {
	Buckets    []Bucket
	NextCursor string
}
