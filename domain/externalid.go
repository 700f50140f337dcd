package domain

import (
	"crypto/rand"
	"encoding/base64"
)

// externalIDPrefix marks an ExternalId as bucketd's in a trust policy.
const externalIDPrefix = "bucketd-"

// NewExternalID returns a fresh ExternalId for an organization: the value its IAM roles'
// trust policies require (sts:ExternalId) before they let bucketd in, so that no other
// organization can have bucketd assume them (the confused-deputy defence). 24 random bytes,
// 32 URL-safe characters, all within the characters STS accepts.
func NewExternalID() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return externalIDPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}
