package gormstore

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/bucketd/bucketd/ports"
)

var _ ports.ExternalIDs = (*Store)(nil)

// OrganizationExternalID returns the ExternalId of the organization; an unknown organization is
// a KindNotFound error.
func (s *Store) OrganizationExternalID(ctx context.Context, orgID string) (string, error) {
	db := s.db.WithContext(ctx)
	if err := requireOrganization(db, orgID); err != nil {
		return "", wrap("read the organization's external id", err)
	}
	var row organizationRow
	err := db.Select("external_id").Where("id = ?", canonicalID(orgID)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", wrap("read the organization's external id", organizationNotFound(orgID))
	}
	return row.ExternalID, wrap("read the organization's external id", err)
}
