// Package netguard keeps provider traffic away from the server's own network. bucketd connects
// to endpoints its callers name, so without a guard a caller could make it fetch the cloud
// metadata service (169.254.169.254), a database on the private network, or anything on
// loopback. The guard works at two levels: CheckEndpoint refuses endpoint URLs that are not
// plain https origins before anything is stored, and Dialer, installed as the DialContext of
// the one shared transport, resolves every host itself and connects only to the address it
// checked, so DNS answers that change between check and connect (DNS rebinding) gain nothing.
// NewClient, the one client all provider traffic shares, also bounds what a provider can make
// bucketd read: each answer's body is capped (BodyLimitError), and the transport bounds headers
// and what HTTP/2 may send ahead. Both guards honour an explicit allow list
// (BUCKETD_ENDPOINT_ALLOWLIST) for local emulators and private deployments.
package netguard
