package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/bucketd/bucketd/adapters/gcsvalidator"
	"github.com/bucketd/bucketd/adapters/httpapi"
)

// storeConfig is what every command that touches the database needs.
type storeConfig struct {
	databaseURL string
	logLevel    string
}

func (c *storeConfig) register(fs *flagSet) {
	fs.StringVar(&c.databaseURL, "database-url", envOr("BUCKETD_DATABASE_URL", "sqlite://./var/bucketd.db"),
		"database: postgres://user@host:5432/db?sslmode=... or sqlite://PATH (env BUCKETD_DATABASE_URL)")
	fs.StringVar(&c.logLevel, "log-level", envOr("BUCKETD_LOG_LEVEL", "info"),
		"debug, info, warn or error (env BUCKETD_LOG_LEVEL)")
}

// providerConfig tunes how bucketd reaches the storage providers.
type providerConfig struct {
	timeout     time.Duration
	gcsTokenURL string
	gcsEndpoint string
}

func (c *providerConfig) register(fs *flagSet) {
	c.timeout = 10 * time.Second
	fs.duration(&c.timeout, "validation-timeout", "BUCKETD_VALIDATION_TIMEOUT",
		"deadline of one credential validation at the provider")
	fs.StringVar(&c.gcsTokenURL, "gcs-token-url", envOr("BUCKETD_GCS_TOKEN_URL", gcsvalidator.DefaultTokenURL),
		"OAuth token endpoint for GCS service accounts, e.g. a Private Service Connect address (env BUCKETD_GCS_TOKEN_URL)")
	fs.StringVar(&c.gcsEndpoint, "gcs-endpoint", envOr("BUCKETD_GCS_ENDPOINT", gcsvalidator.DefaultAPIEndpoint),
		"GCS API endpoint used when a bucket names none (env BUCKETD_GCS_ENDPOINT)")
}

// serveConfig adds what the HTTP server needs.
type serveConfig struct {
	storeConfig
	providers       providerConfig
	addr            string
	masterKeys      string
	masterKeyFile   string
	allowList       string
	dev             bool
	shutdownTimeout time.Duration
}

func (c *serveConfig) register(fs *flagSet) {
	c.storeConfig.register(fs)
	c.providers.register(fs)
	fs.StringVar(&c.addr, "addr", envOr("BUCKETD_ADDR", ":8080"), "listen address (env BUCKETD_ADDR)")
	fs.StringVar(&c.masterKeys, "master-keys", os.Getenv("BUCKETD_MASTER_KEYS"),
		"master key ring: comma-separated id:base64(32 bytes) entries, the first is active (env BUCKETD_MASTER_KEYS)")
	fs.StringVar(&c.masterKeyFile, "master-key-file", os.Getenv("BUCKETD_MASTER_KEY_FILE"),
		"file holding the master key ring in the same format, mode 0600 (env BUCKETD_MASTER_KEY_FILE)")
	fs.StringVar(&c.allowList, "endpoint-allowlist", os.Getenv("BUCKETD_ENDPOINT_ALLOWLIST"),
		"comma-separated IPs, CIDR prefixes or host names that custom endpoints may reach although private or plain http (env BUCKETD_ENDPOINT_ALLOWLIST)")
	fs.BoolVar(&c.dev, "dev", false,
		"development mode: create ./var/master.key, allow loopback endpoints, bootstrap a dev organization and print its token")
	c.shutdownTimeout = 15 * time.Second
	fs.duration(&c.shutdownTimeout, "shutdown-timeout", "BUCKETD_SHUTDOWN_TIMEOUT",
		"how long SIGTERM waits for in-flight requests")
}

// flagSet is a command's flags, with the malformed environment values found while registering
// them, so a typo in the environment stops the command instead of being ignored.
type flagSet struct {
	*flag.FlagSet
	envErrs []error
}

func newFlagSet(name string) *flagSet {
	return &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
}

// duration registers a duration flag whose default comes from the environment variable env
// when set. A malformed value fails the parse, whether it came from the flag or from env.
func (fs *flagSet) duration(d *time.Duration, name, env, usage string) {
	fs.Func(name, fmt.Sprintf("%s (default %s, env %s)", usage, *d, env), func(v string) error {
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed <= 0 {
			return fmt.Errorf("want a positive duration such as 10s, got %q", v)
		}
		*d = parsed
		return nil
	})
	if v, ok := os.LookupEnv(env); ok && v != "" {
		if err := fs.Set(name, v); err != nil {
			fs.envErrs = append(fs.envErrs, fmt.Errorf("%s: %w", env, err))
		}
	}
}

func envOr(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return fallback
}

// parseFlags parses args, printing usage to stderr on -h or an error.
func parseFlags(fs *flagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := errors.Join(fs.envErrs...); err != nil {
		return err
	}
	return fs.Parse(args)
}

// newLogger writes JSON lines to w, each carrying the request id when logged with a request's
// context. Secrets redact themselves (domain.Secret implements slog.LogValuer).
func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})
	return slog.New(httpapi.RequestIDHandler(h)), nil
}
