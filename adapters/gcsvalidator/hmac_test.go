package gcsvalidator

import (
	"context"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

func TestValidateRoutesHMACKeys(t *testing.T) {
	const accessID, hmacSecret = "GOOG1EXAMPLEHMACACCESSID0123456789", "hmac-secret-value-0123456789"
	cases := []struct{ name, endpoint, wantEndpoint string }{
		{"default XML endpoint", "", DefaultAPIEndpoint},
		{"the target's endpoint", "https://gcs.example.com", "https://gcs.example.com"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s3 := &recordingValidator{report: domain.ValidationReport{Checks: []domain.Check{{Name: "list", Status: domain.CheckPass}}}}
			h := newHarness(t, "", func(cfg *Config) { cfg.HMAC = s3 })
			target := gcsTarget(c.endpoint, "hmac-bucket", accessID, hmacSecret)
			target.Mode = domain.ValidateReadWrite
			report, err := h.validate(t, target)
			if err != nil || len(report.Checks) != 1 || report.Checks[0].Name != "list" {
				t.Fatalf("Validate = %+v, %v; want the S3 validator's report", report, err)
			}
			if len(s3.targets) != 1 {
				t.Fatalf("the S3 validator was called %d times, want once", len(s3.targets))
			}
			got := s3.targets[0]
			if got.StorageType != domain.StorageS3 || got.Endpoint != c.wantEndpoint || got.Bucket != "hmac-bucket" ||
				got.Region != target.Region || got.Mode != domain.ValidateReadWrite ||
				got.Credentials.Key.Reveal() != accessID || got.Credentials.Secret.Reveal() != hmacSecret {
				t.Errorf("the S3 validator got %+v, want an S3 target at %s with the same bucket, region, mode and credentials", got, c.wantEndpoint)
			}
		})
	}
}

// recordingValidator stands in for the S3 validator: it records its targets and answers report.
type recordingValidator struct {
	targets []domain.ValidationTarget
	report  domain.ValidationReport
}

func (r *recordingValidator) Validate(_ context.Context, t domain.ValidationTarget) (domain.ValidationReport, error) {
	r.targets = append(r.targets, t)
	return r.report, nil
}
