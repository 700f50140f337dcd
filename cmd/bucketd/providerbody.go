package main

import "github.com/bucketd/bucketd/adapters/netguard"

// minProviderMaxBody is the smallest --provider-max-body: below it, a provider's error
// document or a service account's key list could be cut off, and the GCS validator reads up to
// 64 KiB of a token answer and of a key list on its own.
const minProviderMaxBody = 64 << 10

// providerBody bounds how much of one answer bucketd reads from a provider (S3, GCS, Azure,
// the GCS token endpoint and key lists, the health job's validations), so a provider that
// never stops sending costs at most this much memory per request.
type providerBody struct {
	maxBody int
}

func (c *providerBody) register(fs *flagSet) {
	c.maxBody = netguard.DefaultMaxBody
	fs.integer(&c.maxBody, "provider-max-body", "BUCKETD_PROVIDER_MAX_BODY", minProviderMaxBody,
		"most bytes bucketd reads of one answer from a provider, its token endpoint or key lists, at least 65536; "+
			"a longer answer fails the validation with PROVIDER_ERROR")
}
