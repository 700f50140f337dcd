package main

import (
	"time"

	"github.com/bucketd/bucketd/adapters/httpapi"
)

// clientConfig says who the client of a request is, and bounds what a client without a valid
// token can cost.
type clientConfig struct {
	trustedProxies   httpapi.TrustedProxies
	authFailureRate  float64
	authFailureBurst int
	corsOrigins      httpapi.CORSOrigins
}

func (c *clientConfig) register(fs *flagSet) {
	fs.withEnv("trusted-proxies", "BUCKETD_TRUSTED_PROXIES",
		"comma-separated IPs and CIDR prefixes of the proxies in front of bucketd, whose X-Forwarded-For and X-Real-IP "+
			"headers name the client; from any other peer the headers are ignored and the socket address is the client "+
			"(default none, env BUCKETD_TRUSTED_PROXIES)",
		func(v string) (err error) {
			c.trustedProxies, err = httpapi.ParseTrustedProxies(v)
			return err
		})
	fs.withEnv("cors-origins", "BUCKETD_CORS_ORIGINS",
		"comma-separated web origins (such as https://app.example.com) whose pages may call the API from a browser; "+
			"preflights from them are answered and their answers carry Access-Control-Allow-Origin "+
			"(default none, env BUCKETD_CORS_ORIGINS)",
		func(v string) (err error) {
			c.corsOrigins, err = httpapi.ParseCORSOrigins(v)
			return err
		})
	// A person mistyping a token, or a script with a revoked one, stays well within a burst of
	// 20; a flood of guesses gets one database lookup a second per address.
	c.authFailureRate, c.authFailureBurst = 1, 20
	fs.perSecond(&c.authFailureRate, "auth-failure-rate", "BUCKETD_AUTH_FAILURE_RATE",
		"steady refused bearer tokens per second each client address (IPv6: /64) may send to this process; over it, its "+
			"requests with a token are answered 429 without a lookup (each process counts its own); 0 turns the limit off")
	fs.integer(&c.authFailureBurst, "auth-failure-burst", "BUCKETD_AUTH_FAILURE_BURST", 1,
		"refused bearer tokens a client address may send at once before the steady rate applies")
}

// auditConfig is how long the audit trail is kept.
type auditConfig struct {
	retention time.Duration
}

func (c *auditConfig) register(fs *flagSet) {
	// A quarter: long enough to investigate an incident noticed weeks after the fact, and to
	// compare a refused-token flood with the months before it, while the table, which every
	// bucket create also writes to, stays small. Operators bound by a longer legal retention
	// raise it, or export the trail (bucketd admin audit) before it ages out.
	c.retention = 90 * 24 * time.Hour
	fs.duration(&c.retention, "audit-retention", "BUCKETD_AUDIT_RETENTION",
		"how long audit events are kept; older ones are deleted every hour")
}
