package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/bucketd/bucketd/domain"
)

// rotationConcurrency bounds the bucket validations one rotation runs at once.
const rotationConcurrency = 4

// RotationFailure is one bucket a credential's new values failed against.
type RotationFailure struct {
	BucketID string
	Name     string
	// Failure is the classified reason, as a validation of the bucket would answer it.
	Failure *domain.Error
}

// RotationRefused is the error of a rotation that failed against at least one bucket: nothing
// changed. It is a domain error of kind KindRotationRefused whose message names each bucket.
type RotationRefused struct {
	CredentialID string
	Failures     []RotationFailure
}

func (r *RotationRefused) Error() string { return r.asDomain().Error() }

// Unwrap gives the domain error, so the refusal is classified like any other.
func (r *RotationRefused) Unwrap() error { return r.asDomain() }

func (r *RotationRefused) asDomain() *domain.Error {
	parts := make([]string, len(r.Failures))
	for i, f := range r.Failures {
		parts[i] = fmt.Sprintf("bucket %s (%q): %s", f.BucketID, f.Name, f.Failure.Message)
	}
	return domain.Errorf(domain.KindRotationRefused,
		"the new values of API key %s fail for %d bucket(s) that use it, so nothing changed: %s",
		r.CredentialID, len(r.Failures), strings.Join(parts, "; "))
}

// proveBuckets validates creds against every bucket, read-only and at most rotationConcurrency
// at a time, and returns a *RotationRefused naming those that failed. An unclassified failure
// (the context's deadline, say) is returned as it is: it proves nothing either way.
func (s *Buckets) proveBuckets(ctx context.Context, buckets []domain.Bucket, creds domain.Credentials) error {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		failures []RotationFailure
		internal error
		slots    = make(chan struct{}, rotationConcurrency)
	)
	for _, b := range buckets {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			out, err := s.validateWith(ctx, b, creds)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				internal = errors.Join(internal, fmt.Errorf("validate bucket %s: %w", b.ID, err))
			case out.Failure != nil:
				failures = append(failures, RotationFailure{BucketID: b.ID, Name: b.Name, Failure: out.Failure})
			}
		})
	}
	wg.Wait()
	if internal != nil {
		return internal
	}
	if len(failures) > 0 {
		// By bucket id, so an answer does not depend on which validation finished first.
		slices.SortFunc(failures, func(a, b RotationFailure) int { return strings.Compare(a.BucketID, b.BucketID) })
		return &RotationRefused{CredentialID: buckets[0].CredentialID, Failures: failures}
	}
	return nil
}

// validateWith runs the read-only provider checks on a stored bucket's location with creds.
func (s *Buckets) validateWith(ctx context.Context, b domain.Bucket, creds domain.Credentials) (ValidationOutcome, error) {
	f, err := s.checkFields(BucketInput{Bucket: b.Bucket, StorageType: string(b.StorageType), Region: b.Region,
		Endpoint: b.Endpoint, resolved: &creds}, nameOptional)
	if err != nil {
		return ValidationOutcome{}, err
	}
	return verdict(f.validate(ctx))
}
