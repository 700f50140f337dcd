package httpapi

import (
	"fmt"
	"math"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
)

// allChecksPassed is the message of a validation in which no check failed.
const allChecksPassed = "all checks passed"

// validationResult renders a validation outcome with its own verdict as status. A failed check
// carries the code a create would have answered, from the same table as every error.
func validationResult(out app.ValidationOutcome) api.ValidationResult {
	r := api.ValidationResult{
		Success:   out.Failure == nil,
		Status:    api.BucketStatus(out.Status()),
		Message:   allChecksPassed,
		Checks:    make([]api.ValidationCheck, len(out.Report.Checks)),
		LatencyMs: int(out.Report.Latency.Milliseconds()),
	}
	if out.Failure != nil {
		r.Message = out.Failure.Message
		r.Code = ptr(classOf(out.Failure.Kind).code)
	}
	for i, c := range out.Report.Checks {
		r.Checks[i] = api.ValidationCheck{
			Name:         c.Name,
			Status:       api.ValidationCheckStatus(c.Status),
			Message:      c.Message,
			ProviderCode: nonEmpty(c.ProviderCode),
		}
	}
	r.Region = nonEmpty(out.Report.Region)
	if d := out.Report.RegionDetection; d != "" {
		r.RegionDetection = ptr(api.ValidationResultRegionDetection(d))
	}
	r.AddressingStyle = nonEmpty(out.Report.AddressingStyle)
	return r
}

// deref reads an optional request field; absent and empty mean the same to the use cases.
func deref[T ~string](p *T) T {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// nonEmpty leaves an empty value out of the response instead of sending "".
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// availableBucketOf renders a bucket as an entry of Flashback's short list: its region and
// endpoint only when it has them, as Flashback's optional fields, and so its status message.
func availableBucketOf(b domain.Bucket) api.AvailableBucket {
	return api.AvailableBucket{
		Id:            b.ID,
		Name:          b.Name,
		StorageType:   api.CanonicalStorageType(b.StorageTypeAnswer()),
		Bucket:        b.Bucket,
		Region:        nonEmpty(b.Region),
		Endpoint:      nonEmpty(b.Endpoint),
		Status:        api.BucketStatus(b.Status),
		StatusMessage: nonEmpty(b.StatusMessage),
		WorkspaceId:   b.WorkspaceID,
		CreatedAt:     b.CreatedAt,
	}
}

// bucketOf renders a bucket: metadata and the key hint, never a credential.
func bucketOf(b domain.Bucket) api.Bucket {
	return api.Bucket{
		Id:           b.ID,
		Name:         b.Name,
		Bucket:       b.Bucket,
		StorageType:  api.CanonicalStorageType(b.StorageTypeAnswer()),
		Region:       b.Region,
		Endpoint:     nonEmpty(b.Endpoint),
		WorkspaceId:  b.WorkspaceID,
		Status:       api.BucketStatus(b.Status),
		LastStatusAt: b.LastStatusAt,
		KeyHint:      b.KeyHint,
		// Buckets stored before fingerprints existed, or on a server without a fingerprint
		// key, have none: the field is left out rather than sent empty.
		SecretFingerprint: nonEmpty(b.SecretFingerprint),
		// Every bucket has at least its first secret, also one built without a version.
		SecretVersion:        max(b.SecretVersion, 1),
		CredentialsUpdatedAt: b.CredentialsUpdatedAt,
		CreatedAt:            b.CreatedAt,
		UpdatedAt:            b.UpdatedAt,
		ApiKeyId:             nonEmpty(b.CredentialID),
		StatusMessage:        nonEmpty(b.StatusMessage),
	}
}

// planNames are the plans as Flashback's quota answer names them for people.
var planNames = map[domain.Plan]string{
	domain.PlanFreeTrial:  "Free trial",
	domain.PlanTeam:       "Team",
	domain.PlanEnterprise: "Enterprise",
}

// quotaOf renders the bucket quota in the shape of Flashback's GET /user/quota.
func quotaOf(q domain.Quota) api.QuotaResponse {
	var r api.QuotaResponse
	r.Success = true
	r.Subscription.Id = string(q.Plan)
	r.Subscription.Name = planNames[q.Plan]
	if r.Subscription.Name == "" {
		r.Subscription.Name = string(q.Plan)
	}
	r.Subscription.Description = fmt.Sprintf("Up to %d buckets", q.Limit)
	var u api.QuotaUsage
	u.Capability.Id, u.Capability.Code = "BUCKETS", "BUCKETS"
	u.Capability.Description, u.Capability.Type, u.Capability.PeriodType = "Registered buckets", "COUNT", api.ALLTIME
	u.Usage.Current, u.Usage.Max = q.Used, q.Limit
	if q.Limit > 0 {
		u.Usage.Percentage = float32(math.Round(float64(q.Used)*10000/float64(q.Limit)) / 100)
	}
	r.QuotaUsage = []api.QuotaUsage{u}
	return r
}

// secretOf wraps an optional credential field the moment it leaves the request.
func secretOf(v *string) *domain.Secret {
	if v == nil {
		return nil
	}
	s := domain.NewSecret(*v)
	return &s
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
