package httpapi

import (
	"strings"

	"github.com/bucketd/bucketd/domain"
)

// Flashback's OrgRoles values for bucketd's two organization roles: a MEMBER is a USER, an ADMIN
// is one of the ADMINISTRATORS (bucketd has no billing or owner roles).
const (
	orgRoleUser           = 0x00
	orgRoleAdministrators = 0xfe
)

// flashbackOrgRole is the OrgRoles number Flashback's types give a user of role r.
func flashbackOrgRole(r domain.Role) int {
	if r == domain.RoleAdmin {
		return orgRoleAdministrators
	}
	return orgRoleUser
}

// displayName is what a user's name is in Flashback's shapes. bucketd keeps no names: the
// email's local part is something a UI can show that says nothing the email does not, where a
// made-up name would mislead.
func displayName(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}
