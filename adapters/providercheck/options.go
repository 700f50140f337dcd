package providercheck

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
)

// DefaultTimeout bounds one whole validation when Options.Timeout is zero: long enough for a
// slow provider across an ocean, short enough for an interactive request.
const DefaultTimeout = 10 * time.Second

// Options are the settings every validator takes, whatever its provider; each validator's
// Config carries them (S3's and Azure's are nothing else), and its New checks them and fills
// in their defaults through Normalize, so all three refuse and default them alike.
type Options struct {
	// HTTPClient carries every provider request. Build it with
	// netguard.NewClient(netguard.NewTransport(...)) so each connection passes the SSRF guard
	// and no answer is read beyond the body cap; share it, it pools connections. Required.
	HTTPClient *http.Client
	// AllowList is BUCKETD_ENDPOINT_ALLOWLIST; it decides which custom endpoints may use plain
	// http. Give the transport's dialer the same list.
	AllowList netguard.AllowList
	// Timeout bounds one whole validation; zero means DefaultTimeout.
	Timeout time.Duration
	// Logger receives one debug line per validation (the application logs the outcome at info);
	// nil discards them.
	Logger *slog.Logger
}

// Normalize returns o with its defaults filled in, or an error naming validator (the package,
// "s3validator") and the field to fix when o is unusable: without an HTTP client a validator
// would have no SSRF guard, and a negative timeout would fail every validation at once.
func (o Options) Normalize(validator string) (Options, error) {
	if o.HTTPClient == nil {
		return Options{}, errors.New(validator + ": Config.HTTPClient is required (build it with netguard.NewClient on netguard.NewTransport)")
	}
	if o.Timeout < 0 {
		return Options{}, errors.New(validator + ": Config.Timeout must not be negative")
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
