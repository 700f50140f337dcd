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
	if org.BucketLimit, err = copyBucketLimit(req.BucketLimit); err != nil {
		return org, ws, admin, err
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

// copyBucketLimit checks a limit override and copies it, so that the caller's variable cannot
// change the row afterwards. Nil stays nil: the plan's limit applies.
func copyBucketLimit(limit *int) (*int, error) {
	if limit == nil {
		return nil, nil
	}
	if *limit < 0 {
		return nil, domain.Errorf(domain.KindInvalidInput,
			"bucket limit %d is negative; give 0 or more, or none to use the plan's limit", *limit)
	}
	return new(*limit), nil
}

// parseID checks an id the operator typed, naming what it should identify, and returns it in
// the lowercase form ids are minted in.
func parseID(what, id string) (string, error) {
	id = strings.TrimSpace(id)
	switch {
	case id == "":
		return "", domain.Errorf(domain.KindInvalidInput, "%s id must not be empty", what)
	case !domain.IsID(id):
		return "", domain.Errorf(domain.KindInvalidInput,
			"%s id %q is not a UUID such as 0190f5c2-4d2a-7c3e-8f00-1a2b3c4d5e6f; copy it from the list of %ss", what, id, what)
	}
	return strings.ToLower(id), nil
}

// parseIDs applies parseID to each id.
func parseIDs(what string, ids []string) ([]string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		var err error
		if out[i], err = parseID(what, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseRole accepts the role names as stored.
func parseRole(role string) (domain.Role, error) {
	switch r := domain.Role(role); r {
	case domain.RoleAdmin, domain.RoleMember:
		return r, nil
	}
	return "", domain.Errorf(domain.KindInvalidInput, "role %q is not one of %s, %s", role, domain.RoleAdmin, domain.RoleMember)
}
