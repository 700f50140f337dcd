package domain

import (
	"fmt"
	"maps"
)

// Plan is an organization's subscription; it sets the default bucket limit.
type Plan string

// The plans bucketd knows. An organization may override its plan's limit.
const (
	PlanFreeTrial  Plan = "FREE_TRIAL"
	PlanTeam       Plan = "TEAM"
	PlanEnterprise Plan = "ENTERPRISE"
)

var planBucketLimits = map[Plan]int{
	PlanFreeTrial:  10,
	PlanTeam:       100,
	PlanEnterprise: 1000,
}

// ParsePlan accepts a plan name as stored or typed on the admin command line.
func ParsePlan(s string) (Plan, error) {
	p := Plan(s)
	if _, ok := planBucketLimits[p]; !ok {
		return "", Errorf(KindInvalidInput, "plan %q is not one of FREE_TRIAL, TEAM, ENTERPRISE", s)
	}
	return p, nil
}

// BucketLimit returns the limit of the plan, or of the free trial for an unknown plan, so a
// typo in the database can never lift a limit.
func (p Plan) BucketLimit() int {
	if n, ok := planBucketLimits[p]; ok {
		return n
	}
	return planBucketLimits[PlanFreeTrial]
}

// PlanBucketLimits returns the bucket limit of every plan bucketd knows, for a store that
// enforces EffectiveBucketLimit inside its database; an unknown plan's limit is
// Plan("").BucketLimit().
func PlanBucketLimits() map[Plan]int { return maps.Clone(planBucketLimits) }

// EffectiveBucketLimit is the override when one is set, else the plan's limit.
func EffectiveBucketLimit(p Plan, override *int) int {
	if override != nil {
		return *override
	}
	return p.BucketLimit()
}

// Quota is an organization's live bucket count against its limit.
type Quota struct {
	Plan  Plan
	Used  int
	Limit int
}

// Full reports whether one more bucket would exceed the limit.
func (q Quota) Full() bool { return q.Used >= q.Limit }

// Err returns the QUOTA_EXCEEDED error for a full quota, saying how much is used, or nil.
func (q Quota) Err() error {
	if !q.Full() {
		return nil
	}
	return &Error{Kind: KindQuotaExceeded, Message: fmt.Sprintf(
		"bucket quota exceeded: %d of %d buckets used on plan %s; delete a bucket or raise the organization's limit",
		q.Used, q.Limit, q.Plan)}
}
