package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
)

// validateRequest is an authenticated POST /bucket/validate with a JSON body.
func validateRequest(t testing.TB, body map[string]any) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/bucket/validate", strings.NewReader(mustJSON(t, body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testToken)
	return req
}

func TestValidateBucketAcceptsADryRunWithoutNameOrWorkspace(t *testing.T) {
	h := newHarness(t)
	body := validRequest()
	delete(body, "name")
	delete(body, "workspaceId")
	body["validation"] = "readwrite"
	res := h.serve(t, validateRequest(t, body))
	if res.status != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", res.status, res.body)
	}
	calls := h.buckets.received()
	if len(calls) != 1 {
		t.Fatalf("service called %d times, want once", len(calls))
	}
	got := calls[0].cmd
	if got.Name != "" || got.WorkspaceID != "" || got.Mode != domain.ValidateReadWrite || got.Secret.Reveal() != testSecret {
		t.Errorf("service got %+v", got)
	}
}

func TestValidateBucketReportsEveryCheck(t *testing.T) {
	report := domain.ValidationReport{
		Checks: []domain.Check{
			{Name: "connect", Status: domain.CheckPass, Message: "reached"},
			{Name: "authenticate", Status: domain.CheckPass, Message: "accepted"},
			{Name: "list", Status: domain.CheckFail, Message: "list: access denied", ProviderCode: "AccessDenied"},
			{Name: "region", Status: domain.CheckSkip, Message: "skipped"},
		},
		Region:          "us-east-1",
		AddressingStyle: domain.AddressingPath,
		Latency:         1500 * time.Millisecond,
	}
	for name, tc := range map[string]struct {
		failure     *domain.Error
		wantSuccess bool
		wantCode    string
		wantMessage string
		wantStatus  api.BucketStatus
	}{
		"failing": {domain.Errorf(domain.KindAccessDenied, "list: access denied"), false, "ACCESS_DENIED", "list: access denied", api.OFFLINE},
		"passing": {nil, true, "", "all checks passed", api.ONLINE},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.buckets.validate = func(app.BucketInput) (app.ValidationOutcome, error) {
				return app.ValidationOutcome{Report: report, Failure: tc.failure}, nil
			}
			res := h.serve(t, validateRequest(t, validRequest()))
			if res.status != http.StatusOK {
				t.Fatalf("status = %d, want 200 whatever the verdict (body %s)", res.status, res.body)
			}
			var got api.ValidationResult
			if err := json.Unmarshal(res.body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Success != tc.wantSuccess || got.Status != tc.wantStatus || got.Message != tc.wantMessage || got.LatencyMs != 1500 {
				t.Errorf("result = %+v", got)
			}
			if (got.Code == nil) != (tc.wantCode == "") || (got.Code != nil && *got.Code != tc.wantCode) {
				t.Errorf("code = %v, want %q", got.Code, tc.wantCode)
			}
			if len(got.Checks) != 4 || got.Checks[2].Status != api.Fail || *got.Checks[2].ProviderCode != "AccessDenied" ||
				got.Checks[0].ProviderCode != nil || *got.AddressingStyle != "path" || *got.Region != "us-east-1" {
				t.Errorf("checks or details lost: %s", res.body)
			}
			if got.RegionDetection != nil {
				t.Errorf("regionDetection = %v for a validation given a region, want it absent", *got.RegionDetection)
			}
		})
	}
}

// A validation without a given region answers whether it detected one.
func TestValidateBucketSaysWhetherItDetectedTheRegion(t *testing.T) {
	for _, detection := range []domain.RegionDetection{domain.RegionDetected, domain.RegionUndetected} {
		t.Run(string(detection), func(t *testing.T) {
			h := newHarness(t)
			h.buckets.validate = func(app.BucketInput) (app.ValidationOutcome, error) {
				return app.ValidationOutcome{Report: domain.ValidationReport{
					Checks:          []domain.Check{{Name: "connect", Status: domain.CheckPass, Message: "reached"}},
					RegionDetection: detection,
				}}, nil
			}
			body := validRequest()
			delete(body, "region")
			res := h.serve(t, validateRequest(t, body))
			wantStatus(t, res, http.StatusOK)
			var got api.ValidationResult
			if err := json.Unmarshal(res.body, &got); err != nil {
				t.Fatal(err)
			}
			if got.RegionDetection == nil || string(*got.RegionDetection) != string(detection) {
				t.Errorf("answer %s, want regionDetection %s", res.body, detection)
			}
			if calls := h.buckets.received(); len(calls) != 1 || calls[0].cmd.Region != "" {
				t.Errorf("service got %+v, want one call without a region", calls)
			}
		})
	}
}

func TestValidateBucketErrors(t *testing.T) {
	t.Run("malformed request", func(t *testing.T) {
		h := newHarness(t)
		body := validRequest()
		delete(body, "key")
		wantError(t, h.serve(t, validateRequest(t, body)), http.StatusBadRequest, "INVALID_REQUEST")
		h.wantNoCalls(t)
	})
	t.Run("no token", func(t *testing.T) {
		h := newHarness(t)
		req := validateRequest(t, validRequest())
		req.Header.Del("Authorization")
		wantError(t, h.serve(t, req), http.StatusUnauthorized, "UNAUTHENTICATED")
	})
	t.Run("workspace refused", func(t *testing.T) {
		h := newHarness(t)
		h.buckets.validate = func(app.BucketInput) (app.ValidationOutcome, error) {
			return app.ValidationOutcome{}, domain.Errorf(domain.KindForbidden, "you are not a member")
		}
		wantError(t, h.serve(t, validateRequest(t, validRequest())), http.StatusForbidden, "FORBIDDEN")
	})
}
