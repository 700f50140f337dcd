package main

import (
	"log/slog"
	"os"

	"github.com/bucketd/bucketd/adapters/fingerprint"
	"github.com/bucketd/bucketd/ports"
)

// fingerprintConfig holds the key secret fingerprints are computed under. It is separate from
// the master keys on purpose: see package fingerprint for why deriving it from them would make
// every fingerprint change at the next master key rotation.
type fingerprintConfig struct {
	key string
}

func (c *fingerprintConfig) register(fs *flagSet) {
	fs.StringVar(&c.key, "fingerprint-key", os.Getenv("BUCKETD_FINGERPRINT_KEY"),
		"key of the secretFingerprint HMAC: base64 of 32 random bytes, the same on every process of one deployment and never changed; "+
			"empty leaves secretFingerprint out (env BUCKETD_FINGERPRINT_KEY)")
}

// fingerprinter returns the configured fingerprinter, or nil, with a warning, when no key is
// configured: bucketd still serves, buckets just carry no fingerprint.
func (c fingerprintConfig) fingerprinter(log *slog.Logger) (ports.Fingerprinter, error) {
	if c.key == "" {
		log.Warn("no fingerprint key configured: buckets get no secretFingerprint; set BUCKETD_FINGERPRINT_KEY to base64 of 32 random bytes")
		return nil, nil
	}
	return fingerprint.ParseKey(c.key)
}
