package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/bucketd/bucketd/app"
)

const adminUsage = `usage:
  bucketd admin bootstrap --org NAME --email EMAIL [--plan PLAN] [--bucket-limit N] [--workspace NAME] [--json]
  bucketd admin token create --email EMAIL [--ttl DURATION] [--json]
`

func admin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) >= 1 && args[0] == "bootstrap":
		return adminBootstrap(ctx, args[1:], stdout, stderr)
	case len(args) >= 2 && args[0] == "token" && args[1] == "create":
		return adminTokenCreate(ctx, args[2:], stdout, stderr)
	}
	fmt.Fprint(stderr, adminUsage)
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		return flag.ErrHelp
	}
	return errors.New("unknown admin command")
}

// withAdmin opens the store, runs fn with the admin use cases, and closes the store.
func withAdmin(ctx context.Context, cfg storeConfig, stderr io.Writer, fn func(*app.Admin) error) error {
	log, err := newLogger(cfg.logLevel, stderr)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	a, err := app.NewAdmin(app.AdminDeps{Directory: store, Logger: log})
	if err != nil {
		return err
	}
	return fn(a)
}

func adminBootstrap(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		cfg    storeConfig
		req    app.BootstrapOrg
		limit  int
		asJSON bool
	)
	fs := newFlagSet("admin bootstrap")
	cfg.register(fs)
	fs.StringVar(&req.OrgName, "org", "", "organization name (required)")
	fs.StringVar(&req.Email, "email", "", "email of the organization's first admin (required)")
	fs.StringVar(&req.Plan, "plan", "FREE_TRIAL", "plan: FREE_TRIAL (10 buckets), TEAM (100) or ENTERPRISE (1000)")
	fs.IntVar(&limit, "bucket-limit", -1, "override the plan's bucket limit (-1 keeps the plan's)")
	fs.StringVar(&req.WorkspaceName, "workspace", app.DefaultWorkspaceName, "name of the first workspace")
	fs.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if limit >= 0 {
		req.BucketLimit = &limit
	}
	return withAdmin(ctx, cfg, stderr, func(a *app.Admin) error {
		res, err := a.Bootstrap(ctx, req)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(stdout).Encode(struct {
				OrgID       string `json:"orgId"`
				WorkspaceID string `json:"workspaceId"`
				UserID      string `json:"userId"`
				Token       string `json:"token"`
			}{res.OrgID, res.WorkspaceID, res.UserID, res.Token.Reveal()})
		}
		_, err = fmt.Fprintf(stdout, "organization %s\nworkspace    %s\nadmin user   %s\ntoken        %s\n(the token is shown only now; store it safely)\n",
			res.OrgID, res.WorkspaceID, res.UserID, res.Token.Reveal())
		return err
	})
}

func adminTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		cfg    storeConfig
		email  string
		ttl    time.Duration
		asJSON bool
	)
	fs := newFlagSet("admin token create")
	cfg.register(fs)
	fs.StringVar(&email, "email", "", "email of the user the token acts for (required)")
	fs.DurationVar(&ttl, "ttl", 0, "lifetime of the token, e.g. 720h (0 = no expiry)")
	fs.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, cfg, stderr, func(a *app.Admin) error {
		token, err := a.CreateToken(ctx, email, ttl)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(stdout).Encode(struct {
				Token string `json:"token"`
			}{token.Reveal()})
		}
		_, err = fmt.Fprintf(stdout, "token %s\n(the token is shown only now; store it safely)\n", token.Reveal())
		return err
	})
}
