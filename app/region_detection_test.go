package app_test

import (
	"context"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// reportIn is a passing report in which the provider reported region ("" for none).
func reportIn(region string) domain.ValidationReport {
	r := passed
	r.Region = region
	return r
}

// createWithoutRegion creates validCreate without a region, its validation answering report,
// and returns the bucket the store was asked to insert.
func createWithoutRegion(t *testing.T, change func(*app.BucketInput), report domain.ValidationReport) domain.Bucket {
	t.Helper()
	f := newBucketsFixture(t)
	in := validCreate()
	in.Region = " "
	change(&in)
	validator := f.s3
	if in.StorageType != "S3" {
		validator = f.azure
	}
	var stored domain.Bucket
	prev := f.expectChecks("Backups")
	validate := validator.EXPECT().Validate(gomock.Any(), gomock.Cond(func(tg domain.ValidationTarget) bool {
		return tg.Region == ""
	})).Return(report, nil).After(prev)
	insert := f.store.EXPECT().InsertWithinQuota(gomock.Any(), gomock.Any(), gomock.Any()).
		Do(func(_ context.Context, b domain.Bucket, _ domain.AuditEvent) { stored = b })
	insert.After(f.expectSeals(validate))
	if _, err := f.svc.Create(t.Context(), admin, in); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return stored
}

// A create without a region validates without one and stores the region the provider
// reported, or none when it reported none or one that cannot be a region: nothing is guessed.
func TestCreateWithoutRegionStoresTheDetectedOne(t *testing.T) {
	for reported, want := range map[string]string{"eu-west-1": "eu-west-1", "": "", "EU West": ""} {
		t.Run("reported "+reported, func(t *testing.T) {
			stored := createWithoutRegion(t, func(*app.BucketInput) {}, reportIn(reported))
			if stored.Region != want {
				t.Errorf("stored region = %q, want %q", stored.Region, want)
			}
		})
	}
}

// A bucket registered as BLOB is Azure for every rule and answers BLOB; one registered as
// AZURE answers AZURE.
func TestCreateKeepsTheStorageTypesSpelling(t *testing.T) {
	for _, spelling := range []string{"BLOB", "AZURE"} {
		t.Run(spelling, func(t *testing.T) {
			stored := createWithoutRegion(t, func(in *app.BucketInput) { in.StorageType = spelling }, reportIn(""))
			if stored.StorageType != domain.StorageAzure || stored.StorageTypeAnswer() != spelling {
				t.Errorf("stored storage type %s answering %s, want AZURE answering %s",
					stored.StorageType, stored.StorageTypeAnswer(), spelling)
			}
		})
	}
}

// A dry run says whether it detected the region when none was given, and nothing about
// detection when one was; its status is its own verdict.
func TestValidateReportsRegionDetectionAndVerdict(t *testing.T) {
	cases := []struct {
		name, given, reported string
		failure               error
		detection             domain.RegionDetection
		status                domain.Status
	}{
		{"detected", "", "eu-west-1", nil, domain.RegionDetected, domain.StatusOnline},
		{"undetected", "", "", nil, domain.RegionUndetected, domain.StatusOnline},
		{"given", "us-east-1", "us-east-1", nil, "", domain.StatusOnline},
		{"failed check", "", "", domain.Errorf(domain.KindAccessDenied, "list: denied"), domain.RegionUndetected, domain.StatusOffline},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newBucketsFixture(t)
			in := validCreate()
			in.Region, in.WorkspaceID = c.given, ""
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(reportIn(c.reported), c.failure)
			out, err := f.svc.Validate(t.Context(), admin, in)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if out.Report.RegionDetection != c.detection || out.Status() != c.status {
				t.Errorf("detection %q, status %s; want %q, %s", out.Report.RegionDetection, out.Status(), c.detection, c.status)
			}
		})
	}
}

// An update that empties the region, of a bucket stored without one, or that changes where the
// bucket is, learns the region again; one that names a region stores that one.
func TestUpdateWithoutRegionStoresTheDetectedOne(t *testing.T) {
	cases := []struct {
		name   string
		stored string
		in     app.UpdateInput
		want   string
	}{
		{"region emptied", "eu-west-1", app.UpdateInput{Region: ptr("")}, "eu-central-1"},
		{"stored without a region", "", app.UpdateInput{Bucket: ptr("other-bucket")}, "eu-central-1"},
		{"region given", "", app.UpdateInput{Region: ptr("eu-north-1")}, "eu-north-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newBucketsFixture(t)
			stored := storedBucket()
			stored.Region = c.stored
			var written domain.Bucket
			gomock.InOrder(
				f.store.EXPECT().Get(gomock.Any(), orgID, bucketID).Return(stored, nil),
				f.expectOpen(ports.FieldKey),
				f.expectOpen(ports.FieldSecret),
				f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(reportIn("eu-central-1"), nil),
				f.expectWrite(&written),
			)
			if _, err := f.svc.Update(t.Context(), admin, bucketID, c.in); err != nil {
				t.Fatalf("Update: %v", err)
			}
			if written.Region != c.want {
				t.Errorf("written region = %q, want %q", written.Region, c.want)
			}
		})
	}
}
