// Package fingerprint implements ports.Fingerprinter with HMAC-SHA256 under a dedicated server
// key.
//
// The key is its own configuration value (BUCKETD_FINGERPRINT_KEY), not the master key ring nor
// anything derived from it, because fingerprints must outlive master key rotation: after
// `bucketd keys rotate` the old master key is removed, and a fingerprint derived from it, or
// from whichever key is active, would change for every bucket although no secret did, which is
// exactly the false drift fingerprints exist to avoid. A separate key also keeps the sealing
// keys single-purpose. The key never rotates in place: a new key changes every fingerprint.
package fingerprint

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/bucketd/bucketd/domain"
)

// KeySize is the length in bytes of a fingerprint key: a full HMAC-SHA256 block of strength.
const KeySize = 32

// size is how many bytes of the HMAC a fingerprint keeps: 128 bits leave collisions of
// different secrets out of reach while the encoded form stays short (22 characters).
const size = 16

// HMAC fingerprints secrets with HMAC-SHA256 under one key, truncated to 16 bytes and encoded
// as unpadded base64url. It is safe for concurrent use.
//
// The key lives only inside the newMAC closure, so printing an HMAC with any verb shows no
// key material.
type HMAC struct {
	newMAC func() hash.Hash
}

// ParseKey reads the value of BUCKETD_FINGERPRINT_KEY: the standard base64 encoding of 32
// random bytes. Errors never repeat the value.
func ParseKey(encoded string) (*HMAC, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return nil, errors.New("parse fingerprint key: not valid standard base64; generate one with `openssl rand -base64 32`")
	}
	if len(raw) != KeySize {
		return nil, fmt.Errorf("parse fingerprint key: decodes to %d bytes; it must be exactly %d, e.g. `openssl rand -base64 32`", len(raw), KeySize)
	}
	return &HMAC{newMAC: func() hash.Hash { return hmac.New(sha256.New, raw) }}, nil
}

// GenerateKey returns a new random key in the ParseKey format, for development servers.
func GenerateKey() (string, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate fingerprint key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// Fingerprint returns the fingerprint of secret.
func (h *HMAC) Fingerprint(secret domain.Secret) string {
	mac := h.newMAC()
	mac.Write([]byte(secret.Reveal()))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:size])
}
