// Package providercheck holds what every credential validator shares, whatever the provider's
// SDK: the per-check report, and the classification and wording of failures that are not the
// provider's verdict (refused by the SSRF guard, unreachable, TLS, timeout, canceled, a provider
// 5xx). Keeping them in one place makes "connection refused" or "is the endpoint plain http?"
// read the same for S3, GCS and Azure.
package providercheck
