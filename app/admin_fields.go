package app

import (
	"errors"
	"strings"
	"unicode"

	"github.com/bucketd/bucketd/domain"
)

// maxEmailLength is the longest address SMTP can deliver to (RFC 5321 path limit).
const maxEmailLength = 254

// newOrganization checks a bootstrap request and builds the rows it creates, with fresh ids.
func newOrganization(req BootstrapOrg) (domain.Organization, domain.Workspace, domain.User, error) {
	var (
		org   domain.Organization
		ws    domain.Workspace
		admin domain.User
		err   error
	)
	if org.Name, err = normalizeLabel("organization", req.OrgName); err != nil {
		return org, ws, admin, err
	}
	if admin.Email, err = normalizeEmail(req.Email); err != nil {
		return org, ws, admin, err
	}
	org.Plan = domain.PlanFreeTrial
	if req.Plan != "" {
		if org.Plan, err = domain.ParsePlan(req.Plan); err != nil {
			return org, ws, admin, err
		}
	}
	if req.BucketLimit != nil {
		if *req.BucketLimit < 0 {
			return org, ws, admin, domain.Errorf(domain.KindInvalidInput,
				"bucket limit %d is negative; give 0 or more, or none to use the plan's limit", *req.BucketLimit)
		}
		org.BucketLimit = new(*req.BucketLimit) // a copy, so the caller's variable cannot change the row
	}
	wsName := req.WorkspaceName
	if strings.TrimSpace(wsName) == "" {
		wsName = DefaultWorkspaceName
	}
	if ws.Name, err = normalizeLabel("workspace", wsName); err != nil {
		return org, ws, admin, err
	}
	org.ID = domain.NewID()
	ws.ID, ws.OrgID = domain.NewID(), org.ID
	admin.ID, admin.OrgID, admin.Role = domain.NewID(), org.ID, domain.RoleAdmin
	return org, ws, admin, nil
}

// normalizeLabel applies the bucket display-name rules to another kind of name and says whose
// name broke them: every domain.NormalizeName message starts with "name".
func normalizeLabel(owner, name string) (string, error) {
	n, err := domain.NormalizeName(name)
	var de *domain.Error
	if errors.As(err, &de) {
		return "", domain.Errorf(de.Kind, "%s %s", owner, de.Message)
	}
	return n, err
}

// normalizeEmail trims and lowercases an address and checks its shape: one @ between a
// non-empty local part and domain, and no whitespace. Delivery is not bucketd's concern; the
// address only has to identify a user unambiguously.
func normalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	local, host, found := strings.Cut(email, "@")
	switch {
	case email == "":
		return "", domain.Errorf(domain.KindInvalidInput, "email must not be empty")
	case len(email) > maxEmailLength:
		return "", domain.Errorf(domain.KindInvalidInput, "email is %d bytes long; the limit is %d", len(email), maxEmailLength)
	case !found || local == "" || host == "" || strings.Contains(host, "@"):
		return "", domain.Errorf(domain.KindInvalidInput, "email %q must contain exactly one @ between a name and a domain, like admin@example.com", email)
	case strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "", domain.Errorf(domain.KindInvalidInput, "email %q must not contain spaces or control characters", email)
	}
	return email, nil
}
