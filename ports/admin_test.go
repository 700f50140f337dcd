package ports_test

import (
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestOrganizationRecordQuota(t *testing.T) {
	two := 2
	for _, tc := range []struct {
		org  ports.OrganizationRecord
		want domain.Quota
	}{
		{ports.OrganizationRecord{Organization: domain.Organization{Plan: domain.PlanTeam}, Buckets: 4},
			domain.Quota{Plan: domain.PlanTeam, Used: 4, Limit: 100}},
		{ports.OrganizationRecord{Organization: domain.Organization{Plan: domain.PlanTeam, BucketLimit: &two}, Buckets: 4},
			domain.Quota{Plan: domain.PlanTeam, Used: 4, Limit: 2}},
	} {
		if got := tc.org.Quota(); got != tc.want {
			t.Errorf("Quota() = %+v, want %+v", got, tc.want)
		}
	}
}

func TestTokenRecordState(t *testing.T) {
	past, future := now.Add(-time.Second), now.Add(time.Second)
	for _, tc := range []struct {
		name  string
		token ports.TokenRecord
		want  ports.TokenState
	}{
		{"no expiry", ports.TokenRecord{}, ports.TokenActive},
		{"expires later", ports.TokenRecord{ExpiresAt: &future}, ports.TokenActive},
		{"expires now", ports.TokenRecord{ExpiresAt: new(now)}, ports.TokenExpired},
		{"expired", ports.TokenRecord{ExpiresAt: &past}, ports.TokenExpired},
		{"revoked", ports.TokenRecord{RevokedAt: &past, ExpiresAt: &future}, ports.TokenRevoked},
		{"revoked and expired", ports.TokenRecord{RevokedAt: &past, ExpiresAt: &past}, ports.TokenRevoked},
	} {
		if got := tc.token.State(now); got != tc.want {
			t.Errorf("%s: State = %s, want %s", tc.name, got, tc.want)
		}
	}
}
