package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/bucketd/bucketd/app"
)

// adminAudit prints an organization's audit trail as JSON lines, one event per line, so it can
// be piped into jq or a log shipper. Each line has the event's count: 1, except for a tally of
// refused tokens, which stands for every refusal from its client address over a minute.
func adminAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		orgID, since string
		system       bool
		limit        int
	)
	fs := newAdminFlags("audit")
	fs.StringVar(&orgID, "org", "", "organization id whose events to list")
	fs.BoolVar(&system, "system", false, "list the events of no organization: refused tokens (one event per client address and minute, with a count) and key rotations")
	fs.StringVar(&since, "since", "24h", "oldest event: an RFC 3339 time or a duration back from now, such as 24h")
	fs.IntVar(&limit, "limit", 0, "the most events to print (0 = 10000)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	if (orgID == "") == !system {
		return errors.New("give either --org ID or --system")
	}
	from, err := parseSince(since, time.Now())
	if err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		events, err := a.AuditTrail(ctx, orgID, from, limit)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		for _, e := range events {
			if err := enc.Encode(struct {
				ID         string    `json:"id"`
				At         time.Time `json:"at"`
				OrgID      string    `json:"orgId,omitempty"`
				UserID     string    `json:"userId,omitempty"`
				Action     string    `json:"action"`
				BucketID   string    `json:"bucketId,omitempty"`
				Outcome    string    `json:"outcome"`
				RequestID  string    `json:"requestId,omitempty"`
				ClientAddr string    `json:"clientAddr,omitempty"`
				Count      int       `json:"count"`
				// The workspace, member and role of workspace and membership events.
				WorkspaceID   string `json:"workspaceId,omitempty"`
				SubjectUserID string `json:"subjectUserId,omitempty"`
				Detail        string `json:"detail,omitempty"`
			}{e.ID, e.At, e.OrgID, e.UserID, string(e.Action), e.BucketID, e.Outcome, e.RequestID, e.ClientAddr, e.Count,
				e.WorkspaceID, e.SubjectUserID, e.Detail}); err != nil {
				return err
			}
		}
		return nil
	})
}

// parseSince reads --since: an RFC 3339 time, or a duration back from now.
func parseSince(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, errors.New("--since wants an RFC 3339 time or a positive duration such as 24h")
	}
	return now.Add(-d), nil
}
