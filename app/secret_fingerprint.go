package app

import (
	"time"

	"github.com/bucketd/bucketd/domain"
)

// firstSecretVersion is the secret version of a newly registered bucket.
const firstSecretVersion = 1

// fingerprint names secret for drift detection, or returns "" on a server without a
// fingerprint key.
func (s *Buckets) fingerprint(secret domain.Secret) string {
	if s.fingerprinter == nil {
		return ""
	}
	return s.fingerprinter.Fingerprint(secret)
}

// replaceCredentials records on next a change of credentials made at at. A secret counts as
// replaced only when its fingerprint differs from the stored one, so sending the stored secret
// again (as a declarative tool does on every apply) moves neither the secret version nor the
// credentials time. Without both fingerprints the two cannot be told apart without opening
// the vault, so a sent secret counts as new; that is also how a bucket stored before
// fingerprints existed gets one. A sent key always counts as a change of credentials: keys are
// not fingerprinted.
func (s *Buckets) replaceCredentials(next *domain.Bucket, cur domain.Bucket, key, secret *domain.Secret, at time.Time) {
	secretReplaced := false
	if secret != nil {
		fp := s.fingerprint(*secret)
		secretReplaced = fp == "" || cur.SecretFingerprint == "" || fp != cur.SecretFingerprint
		if secretReplaced {
			next.SecretFingerprint = fp
			next.SecretVersion = max(cur.SecretVersion, firstSecretVersion) + 1
		}
	}
	if secretReplaced || key != nil {
		next.CredentialsUpdatedAt = &at
	}
}
