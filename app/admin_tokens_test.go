package app_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

const tokenID = "0190f5c2-0000-7000-8000-0000000000e1"

func TestListTokensOfUser(t *testing.T) {
	a, store, _ := newAdmin(t)
	used := clock.Add(-time.Minute)
	want := []ports.TokenRecord{{ID: tokenID, UserID: devID, CreatedAt: clock.Add(-time.Hour), LastUsedAt: &used}}
	gomock.InOrder(
		store.users.EXPECT().UserByEmail(gomock.Any(), dev.Email).Return(dev, nil),
		store.tokens.EXPECT().ListTokens(gomock.Any(), devID).Return(want, nil),
	)

	got, err := a.ListTokens(t.Context(), " DEV@acme.example ")

	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ListTokens = %+v, %v; want %+v", got, err, want)
	}
}

func TestRevokeTokenAtNow(t *testing.T) {
	a, store, logs := newAdmin(t)
	revoked := ports.TokenRecord{ID: tokenID, UserID: devID, CreatedAt: clock.Add(-time.Hour), RevokedAt: new(clock)}
	store.tokens.EXPECT().RevokeToken(gomock.Any(), tokenID, clock).Return(revoked, nil)

	got, err := a.RevokeToken(t.Context(), strings.ToUpper(tokenID))

	if err != nil || !reflect.DeepEqual(got, revoked) {
		t.Errorf("RevokeToken = %+v, %v; want %+v", got, err, revoked)
	}
	if !strings.Contains(logs.String(), tokenID) {
		t.Errorf("log does not name the revoked token:\n%s", logs)
	}
}

func TestRevokeTokenRejects(t *testing.T) {
	t.Run("malformed id", func(t *testing.T) {
		a, _, _ := newAdmin(t)
		_, err := a.RevokeToken(t.Context(), "bkd_not-an-id")
		wantKind(t, err, domain.KindInvalidInput, `token id "bkd_not-an-id" is not a UUID`)
	})
	t.Run("unknown id", func(t *testing.T) {
		a, store, _ := newAdmin(t)
		store.tokens.EXPECT().RevokeToken(gomock.Any(), tokenID, clock).
			Return(ports.TokenRecord{}, domain.Errorf(domain.KindNotFound, "no token has the id %s", tokenID))
		_, err := a.RevokeToken(t.Context(), tokenID)
		wantKind(t, err, domain.KindNotFound, "no token has the id "+tokenID)
	})
}

func TestRevokeUserTokens(t *testing.T) {
	a, store, logs := newAdmin(t)
	gomock.InOrder(
		store.users.EXPECT().UserByEmail(gomock.Any(), dev.Email).Return(dev, nil),
		store.tokens.EXPECT().RevokeUserTokens(gomock.Any(), devID, clock).Return(2, nil),
	)

	n, err := a.RevokeUserTokens(t.Context(), dev.Email)

	if err != nil || n != 2 {
		t.Errorf("RevokeUserTokens = %d, %v; want 2, nil", n, err)
	}
	if !strings.Contains(logs.String(), `"revoked":2`) {
		t.Errorf("log does not count the revoked tokens:\n%s", logs)
	}
}

func TestTokenUseCasesRejectBadEmail(t *testing.T) {
	a, store, _ := newAdmin(t)
	unknown := domain.Errorf(domain.KindNotFound, `no user has the email "nobody@acme.example"; check the address`)
	store.users.EXPECT().UserByEmail(gomock.Any(), "nobody@acme.example").Return(domain.User{}, unknown).Times(2)

	_, errList := a.ListTokens(t.Context(), "nobody@acme.example")
	_, errRevoke := a.RevokeUserTokens(t.Context(), "nobody@acme.example")
	_, errInvalid := a.ListTokens(t.Context(), "nobody")

	wantKind(t, errList, domain.KindNotFound, "nobody@acme.example")
	wantKind(t, errRevoke, domain.KindNotFound, "nobody@acme.example")
	wantKind(t, errInvalid, domain.KindInvalidInput, "exactly one @")
}
