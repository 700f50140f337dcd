// Package app is bucketd's application service: one use case per method, written against the
// ports only. It decides the order of the checks (access, field rules, quota and name, provider
// validation, sealing, the transactional insert) so that cheap refusals never cost a provider
// call and no credential is stored before it has been proved to work.
//
// It imports the standard library, domain and ports, and nothing else.
package app
