package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// ListOrganizations returns every organization with its plan, limit and live bucket count,
// oldest first.
func (a *Admin) ListOrganizations(ctx context.Context) ([]ports.OrganizationRecord, error) {
	orgs, err := a.orgs.ListOrganizations(ctx)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	return orgs, nil
}

// OrganizationUpdate changes an organization's plan or bucket limit; a zero field keeps what
// is stored, and at least one field must change something.
type OrganizationUpdate struct {
	OrgID string
	// Plan is FREE_TRIAL, TEAM or ENTERPRISE; empty keeps the plan.
	Plan string
	// BucketLimit sets the limit override; nil keeps it.
	BucketLimit *int
	// ClearBucketLimit removes the override so that the plan's limit applies.
	ClearBucketLimit bool
}

// UpdateOrganization applies an update and returns the organization as it then is. A limit
// below the organization's live bucket count is allowed, because an operator may need to stop
// growth at once: the existing buckets stay and every create is refused with QUOTA_EXCEEDED
// until enough are deleted. The returned record's Quota shows whether that is the case, and
// the log line is then a warning.
func (a *Admin) UpdateOrganization(ctx context.Context, req OrganizationUpdate) (ports.OrganizationRecord, error) {
	change, orgID, err := organizationChange(req)
	if err != nil {
		return ports.OrganizationRecord{}, err
	}
	org, err := a.orgs.UpdateOrganization(ctx, orgID, change)
	if err != nil {
		return ports.OrganizationRecord{}, fmt.Errorf("update organization %s: %w", orgID, err)
	}
	quota, level := org.Quota(), slog.LevelInfo
	if quota.Used > quota.Limit {
		level = slog.LevelWarn
	}
	a.log.LogAttrs(ctx, level, "update organization", slog.String("org_id", org.ID), slog.String("plan", string(org.Plan)),
		slog.Int("bucket_limit", quota.Limit), slog.Int("buckets", quota.Used))
	return org, nil
}

// organizationChange checks an update and returns the change for the directory.
func organizationChange(req OrganizationUpdate) (ports.OrganizationChange, string, error) {
	var change ports.OrganizationChange
	orgID, err := parseID("organization", req.OrgID)
	if err != nil {
		return change, "", err
	}
	switch {
	case req.Plan == "" && req.BucketLimit == nil && !req.ClearBucketLimit:
		return change, "", domain.Errorf(domain.KindInvalidInput,
			"nothing to change for organization %s: give a plan, a bucket limit, or clear the bucket limit", orgID)
	case req.BucketLimit != nil && req.ClearBucketLimit:
		return change, "", domain.Errorf(domain.KindInvalidInput, "give a new bucket limit or clear it, not both")
	}
	if req.Plan != "" {
		if change.Plan, err = domain.ParsePlan(req.Plan); err != nil {
			return change, "", err
		}
	}
	if change.BucketLimit, err = copyBucketLimit(req.BucketLimit); err != nil {
		return change, "", err
	}
	change.ClearBucketLimit = req.ClearBucketLimit
	return change, orgID, nil
}
