package httpapi

import (
	"context"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
)

// ListBuckets answers one page of the caller's buckets (GET /bucket).
func (s *Server) ListBuckets(ctx context.Context, req api.ListBucketsRequestObject) (api.ListBucketsResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.buckets.List(ctx, p, app.ListInput{
		WorkspaceID: deref(req.Params.WorkspaceId),
		Limit:       derefInt(req.Params.Limit),
		Cursor:      deref(req.Params.Cursor),
	})
	if err != nil {
		return nil, err
	}
	out := api.ListBuckets200JSONResponse{Success: true, Buckets: make([]api.Bucket, len(page.Buckets)),
		NextCursor: nonEmpty(page.NextCursor)}
	for i, b := range page.Buckets {
		out.Buckets[i] = bucketOf(b)
	}
	return out, nil
}

// ListAvailableBuckets answers Flashback's bare array of short entries (GET /bucket/available).
func (s *Server) ListAvailableBuckets(ctx context.Context, req api.ListAvailableBucketsRequestObject) (api.ListAvailableBucketsResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.buckets.List(ctx, p, app.ListInput{WorkspaceID: deref(req.Params.WorkspaceId)})
	if err != nil {
		return nil, err
	}
	out := make(api.ListAvailableBuckets200JSONResponse, len(page.Buckets))
	for i, b := range page.Buckets {
		out[i] = availableBucketOf(b)
	}
	return out, nil
}

// GetBucket answers one bucket (GET /bucket/{bucketId}).
// Authentication read the bucket already, in the same round trip as the token (lookUp).
func (s *Server) GetBucket(ctx context.Context, req api.GetBucketRequestObject) (api.GetBucketResponseObject, error) {
	read, err := heldReadFrom(ctx, req.BucketId)
	if err != nil {
		return nil, err
	}
	if read.Err != nil {
		return nil, read.Err
	}
	return api.GetBucket200JSONResponse{Success: true, Bucket: bucketOf(read.Bucket)}, nil
}

// UpdateBucket changes a bucket, validating new credentials first (PUT /bucket/{bucketId}).
func (s *Server) UpdateBucket(ctx context.Context, req api.UpdateBucketRequestObject) (api.UpdateBucketResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	res, err := s.buckets.Update(ctx, p, req.BucketId, app.UpdateInput{
		Name:        b.Name,
		Bucket:      b.Bucket,
		StorageType: (*string)(b.StorageType),
		Key:         secretOf(b.Key),
		Secret:      secretOf(b.Secret),
		Region:      b.Region,
		Endpoint:    b.Endpoint,
		WorkspaceID: b.WorkspaceId,
		APIKeyID:    b.ApiKeyUuid,
		Mode:        domain.ValidationMode(deref(b.Validation)),
	})
	if err != nil {
		return nil, err
	}
	return api.UpdateBucket200JSONResponse{Success: true, BucketId: res.BucketID,
		Status: api.BucketStatus(res.Status), LatencyMs: int(res.Latency.Milliseconds())}, nil
}

// DeleteBucket soft-deletes a bucket (DELETE /bucket/{bucketId}).
func (s *Server) DeleteBucket(ctx context.Context, req api.DeleteBucketRequestObject) (api.DeleteBucketResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.buckets.Delete(ctx, p, req.BucketId); err != nil {
		return nil, err
	}
	return api.DeleteBucket200JSONResponse{Success: true}, nil
}

// RevalidateBucket validates a stored bucket again (POST /bucket/{bucketId}/validate).
func (s *Server) RevalidateBucket(ctx context.Context, req api.RevalidateBucketRequestObject) (api.RevalidateBucketResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	var in app.RevalidateInput
	if b := req.Body; b != nil {
		in = app.RevalidateInput{Key: secretOf(b.Key), Secret: secretOf(b.Secret), Endpoint: b.Endpoint, Bucket: b.Bucket,
			APIKeyID: b.ApiKeyUuid, Mode: domain.ValidationMode(deref(b.Validation))}
	}
	res, err := s.buckets.Revalidate(ctx, p, req.BucketId, in)
	if err != nil {
		return nil, err
	}
	v := validationResult(res.ValidationOutcome)
	v.Status = api.BucketStatus(res.Status)
	return api.RevalidateBucket200JSONResponse(v), nil
}

// GetQuota answers the organization's bucket usage in Flashback's shape (GET /user/quota).
func (s *Server) GetQuota(ctx context.Context, _ api.GetQuotaRequestObject) (api.GetQuotaResponseObject, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	q, err := s.buckets.Quota(ctx, p)
	if err != nil {
		return nil, err
	}
	return api.GetQuota200JSONResponse(quotaOf(q)), nil
}
