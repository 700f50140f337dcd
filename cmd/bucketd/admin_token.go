package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/ports"
)

// tokenJSON is a stored token in --json output: its id, state and history, never the token or
// its digest.
type tokenJSON struct {
	ID         string     `json:"id"`
	UserID     string     `json:"userId"`
	State      string     `json:"state"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

func newTokenJSON(t ports.TokenRecord, now time.Time) tokenJSON {
	return tokenJSON{ID: t.ID, UserID: t.UserID, State: string(t.State(now)),
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt}
}

func adminTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		email string
		ttl   time.Duration
	)
	fs := newAdminFlags("token create")
	fs.StringVar(&email, "email", "", "email of the user the token acts for (required)")
	fs.DurationVar(&ttl, "ttl", 0, "lifetime of the token, e.g. 720h (0 = no expiry)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		issued, err := a.CreateToken(ctx, email, ttl)
		if err != nil {
			return err
		}
		return printResult(stdout, fs.asJSON, struct {
			ID        string     `json:"id"`
			Token     string     `json:"token"`
			ExpiresAt *time.Time `json:"expiresAt"`
		}{issued.ID, issued.Token.Reveal(), issued.ExpiresAt},
			fmt.Sprintf("token   %s\nid      %s\nexpires %s\n(the token is shown only now; store it safely)\n",
				issued.Token.Reveal(), issued.ID, timeText(issued.ExpiresAt)))
	})
}

func adminTokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var email string
	fs := newAdminFlags("token list")
	fs.StringVar(&email, "email", "", "email of the user whose tokens to list (required)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		tokens, err := a.ListTokens(ctx, email)
		if err != nil {
			return err
		}
		now := time.Now()
		if fs.asJSON {
			out := make([]tokenJSON, len(tokens))
			for i, t := range tokens {
				out[i] = newTokenJSON(t, now)
			}
			return printJSON(stdout, out)
		}
		rows := make([][]string, len(tokens))
		for i, t := range tokens {
			rows[i] = []string{t.ID, string(t.State(now)), timeText(&t.CreatedAt), timeText(t.ExpiresAt),
				timeText(t.RevokedAt), timeText(t.LastUsedAt)}
		}
		return printTable(stdout, []string{"ID", "STATE", "CREATED", "EXPIRES", "REVOKED", "LAST USED"}, rows)
	})
}

func adminTokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var tokenID, email string
	fs := newAdminFlags("token revoke")
	fs.StringVar(&tokenID, "id", "", "id of the token to revoke, from `bucketd admin token list`")
	fs.StringVar(&email, "email", "", "revoke every token of the user with this email instead")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	if (tokenID == "") == (email == "") {
		return errors.New("give exactly one of --id TOKEN_ID (one token) and --email EMAIL (every token of the user)")
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		if email != "" {
			n, err := a.RevokeUserTokens(ctx, email)
			if err != nil {
				return err
			}
			return printResult(stdout, fs.asJSON, struct {
				Email   string `json:"email"`
				Revoked int    `json:"revoked"`
			}{email, n}, fmt.Sprintf("revoked %d token(s) of %s; their next request answers 401\n", n, email))
		}
		t, err := a.RevokeToken(ctx, tokenID)
		if err != nil {
			return err
		}
		return printResult(stdout, fs.asJSON, newTokenJSON(t, time.Now()),
			fmt.Sprintf("token %s of user %s revoked at %s; its next request answers 401\n", t.ID, t.UserID, timeText(t.RevokedAt)))
	})
}
