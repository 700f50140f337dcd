package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/ports"
)

func adminBootstrap(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		req   app.BootstrapOrg
		limit int
	)
	fs := newAdminFlags("bootstrap")
	fs.StringVar(&req.OrgName, "org", "", "organization name (required)")
	fs.StringVar(&req.Email, "email", "", "email of the organization's first admin (required)")
	fs.StringVar(&req.Plan, "plan", "FREE_TRIAL", "plan: FREE_TRIAL (10 buckets), TEAM (100) or ENTERPRISE (1000)")
	fs.IntVar(&limit, "bucket-limit", -1, "override the plan's bucket limit (-1 keeps the plan's)")
	fs.StringVar(&req.WorkspaceName, "workspace", app.DefaultWorkspaceName, "name of the first workspace")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	if limit >= 0 {
		req.BucketLimit = &limit
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		res, err := a.Bootstrap(ctx, req)
		if err != nil {
			return err
		}
		return printResult(stdout, fs.asJSON, struct {
			OrgID       string `json:"orgId"`
			WorkspaceID string `json:"workspaceId"`
			UserID      string `json:"userId"`
			Token       string `json:"token"`
		}{res.OrgID, res.WorkspaceID, res.UserID, res.Token.Reveal()},
			fmt.Sprintf("organization %s\nworkspace    %s\nadmin user   %s\ntoken        %s\n(the token is shown only now; store it safely)\n",
				res.OrgID, res.WorkspaceID, res.UserID, res.Token.Reveal()))
	})
}

// orgJSON is an organization in --json output. bucketLimit is the override (null: the plan's
// limit applies); effectiveBucketLimit is the limit creates are checked against; externalId is
// what the organization's AWS roles' trust policies require (sts:ExternalId).
type orgJSON struct {
	ID                   string    `json:"id"`
	Name                 string    `json:"name"`
	Plan                 string    `json:"plan"`
	BucketLimit          *int      `json:"bucketLimit"`
	EffectiveBucketLimit int       `json:"effectiveBucketLimit"`
	Buckets              int       `json:"buckets"`
	ExternalID           string    `json:"externalId"`
	CreatedAt            time.Time `json:"createdAt"`
}

func newOrgJSON(o ports.OrganizationRecord) orgJSON {
	return orgJSON{ID: o.ID, Name: o.Name, Plan: string(o.Plan), BucketLimit: o.BucketLimit,
		EffectiveBucketLimit: o.Quota().Limit, Buckets: o.Buckets, ExternalID: o.ExternalID, CreatedAt: o.CreatedAt}
}

// printOrgs prints organizations as a JSON array or a table.
func printOrgs(w io.Writer, asJSON bool, orgs []ports.OrganizationRecord) error {
	if asJSON {
		out := make([]orgJSON, len(orgs))
		for i, o := range orgs {
			out[i] = newOrgJSON(o)
		}
		return printJSON(w, out)
	}
	rows := make([][]string, len(orgs))
	for i, o := range orgs {
		limit := strconv.Itoa(o.Quota().Limit) + " (plan)"
		if o.BucketLimit != nil {
			limit = strconv.Itoa(*o.BucketLimit) + " (set)"
		}
		rows[i] = []string{o.ID, o.Name, string(o.Plan), strconv.Itoa(o.Buckets), limit, o.ExternalID, timeText(&o.CreatedAt)}
	}
	return printTable(w, []string{"ID", "NAME", "PLAN", "BUCKETS", "LIMIT", "EXTERNAL ID", "CREATED"}, rows)
}

func adminOrgList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newAdminFlags("org list")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		orgs, err := a.ListOrganizations(ctx)
		if err != nil {
			return err
		}
		return printOrgs(stdout, fs.asJSON, orgs)
	})
}

func adminOrgSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var req app.OrganizationUpdate
	fs := newAdminFlags("org set")
	fs.StringVar(&req.OrgID, "org", "", "id of the organization (required)")
	fs.StringVar(&req.Plan, "plan", "", "new plan: FREE_TRIAL (10 buckets), TEAM (100) or ENTERPRISE (1000)")
	fs.Func("bucket-limit", "new bucket limit, overriding the plan's; may be below the current usage", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", v)
		}
		req.BucketLimit = &n
		return nil
	})
	fs.BoolVar(&req.ClearBucketLimit, "clear-bucket-limit", false, "remove the override, so that the plan's limit applies")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		org, err := a.UpdateOrganization(ctx, req)
		if err != nil {
			return err
		}
		if q := org.Quota(); q.Used > q.Limit {
			fmt.Fprintf(stderr, "warning: organization %s holds %d buckets, more than its new limit of %d. They stay, "+
				"but every create answers 429 QUOTA_EXCEEDED until fewer than %d remain.\n", org.ID, q.Used, q.Limit, q.Limit)
		}
		if fs.asJSON {
			return printJSON(stdout, newOrgJSON(org))
		}
		return printOrgs(stdout, false, []ports.OrganizationRecord{org})
	})
}
