package domain_test

import (
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

func TestSessionTokensHaveTheirOwnPrefixes(t *testing.T) {
	api, access, refresh := domain.NewToken().Reveal(), domain.NewAccessToken().Reveal(), domain.NewRefreshToken().Reveal()
	for token, prefix := range map[string]string{api: "bkd_", access: "bka_", refresh: "bkr_"} {
		if !strings.HasPrefix(token, prefix) || len(token) != len(prefix)+43 {
			t.Errorf("token %.4s… of %d bytes, want prefix %s and 43 characters of randomness", token, len(token), prefix)
		}
	}
	if domain.NewAccessToken().Reveal() == access {
		t.Error("two access tokens are equal")
	}
	if !domain.IsRefreshToken(domain.NewSecret(refresh)) || domain.IsRefreshToken(domain.NewSecret(access)) || domain.IsRefreshToken(domain.NewSecret(api)) {
		t.Error("IsRefreshToken tells the kinds apart wrongly")
	}
}
