package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// TestUpdateAndRevalidateNeverLogCredentials runs the use cases that handle plaintext
// credentials (opened from the vault or sent by the caller) through success and failure, and
// searches the captured log for every plaintext.
func TestUpdateAndRevalidateNeverLogCredentials(t *testing.T) {
	denied := domain.Errorf(domain.KindInvalidCredentials, "authenticate: the access key id was not accepted")
	newCreds := app.UpdateInput{Key: ptr(domain.NewSecret(newKey)), Secret: ptr(domain.NewSecret(newSecret))}
	tests := []struct {
		name string
		msg  string
		// run returns the use case's error; its kind, else the verdict kind below, is the outcome.
		run     func(t *testing.T, f *bucketsFixture) error
		verdict string
	}{
		{"update with a new secret", "update bucket", func(t *testing.T, f *bucketsFixture) error {
			f.expectGet()
			f.expectOpen(ports.FieldKey)
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil)
			f.vault.EXPECT().Seal(gomock.Any(), gomock.Any(), gomock.Any()).Return([]byte("sealed-new-secret"), nil)
			f.store.EXPECT().Update(gomock.Any(), gomock.Any())
			_, err := f.svc.Update(t.Context(), admin, bucketID, app.UpdateInput{Secret: newCreds.Secret})
			return err
		}, ""},
		{"update with new credentials the provider refuses", "update bucket", func(t *testing.T, f *bucketsFixture) error {
			f.expectGet()
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(failedAuth, denied)
			_, err := f.svc.Update(t.Context(), admin, bucketID, newCreds)
			return err
		}, ""},
		{"revalidate the stored credentials", "revalidate bucket", func(t *testing.T, f *bucketsFixture) error {
			f.expectGet()
			f.expectOpen(ports.FieldKey)
			f.expectOpen(ports.FieldSecret)
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(failedAuth, denied)
			f.store.EXPECT().RecordStatus(gomock.Any(), orgID, bucketID, storedBucket().Version, recordedAt(domain.StatusOffline, denied.Message))
			_, err := f.svc.Revalidate(t.Context(), admin, bucketID, app.RevalidateInput{})
			return err
		}, "invalid credentials"},
		{"revalidate with credentials in the body", "revalidate bucket", func(t *testing.T, f *bucketsFixture) error {
			f.expectGet()
			f.expectOpen(ports.FieldKey)
			f.expectOpen(ports.FieldSecret)
			f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil)
			_, err := f.svc.Revalidate(t.Context(), admin, bucketID, app.RevalidateInput{Key: newCreds.Key, Secret: newCreds.Secret})
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBucketsFixture(t)

			runErr := tt.run(t, f)

			out := f.logs.String()
			for _, plaintext := range []string{oldKey, oldSecret, newKey, newSecret} {
				if strings.Contains(out, plaintext) {
					t.Fatalf("log contains a credential in plaintext:\n%s", out)
				}
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 1 {
				t.Fatalf("got %d log lines, want 1:\n%s", len(lines), out)
			}
			var line map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
				t.Fatalf("log line is not JSON: %v", err)
			}
			wantOutcome := "ok"
			if tt.verdict != "" {
				wantOutcome = tt.verdict
			}
			if runErr != nil {
				wantOutcome = domain.KindOf(runErr).String()
			}
			if line["msg"] != tt.msg || line["bucket_id"] != bucketID || line["outcome"] != wantOutcome {
				t.Errorf("log line = %v, want msg %q for bucket %s with outcome %q", line, tt.msg, bucketID, wantOutcome)
			}
		})
	}
}
