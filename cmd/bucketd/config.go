package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/bucketd/bucketd/adapters/httpapi"
)

// storeConfig is what every command that touches the database needs.
type storeConfig struct {
	databaseURL string
	logLevel    string
}

func (c *storeConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.databaseURL, "database-url", envOr("BUCKETD_DATABASE_URL", "sqlite://./var/bucketd.db"),
		"database: postgres://user@host:5432/db?sslmode=... or sqlite://PATH (env BUCKETD_DATABASE_URL)")
	fs.StringVar(&c.logLevel, "log-level", envOr("BUCKETD_LOG_LEVEL", "info"),
		"debug, info, warn or error (env BUCKETD_LOG_LEVEL)")
}

// serveConfig adds what the HTTP server needs.
type serveConfig struct {
	storeConfig
	addr           string
	masterKeys     string
	masterKeyFile  string
	allowList      string
	dev            bool
	shutdownPeriod string
}

func (c *serveConfig) register(fs *flag.FlagSet) {
	c.storeConfig.register(fs)
	fs.StringVar(&c.addr, "addr", envOr("BUCKETD_ADDR", ":8080"), "listen address (env BUCKETD_ADDR)")
	fs.StringVar(&c.masterKeys, "master-keys", os.Getenv("BUCKETD_MASTER_KEYS"),
		"master key ring: comma-separated id:base64(32 bytes) entries, the first is active (env BUCKETD_MASTER_KEYS)")
	fs.StringVar(&c.masterKeyFile, "master-key-file", os.Getenv("BUCKETD_MASTER_KEY_FILE"),
		"file holding the master key ring in the same format, mode 0600 (env BUCKETD_MASTER_KEY_FILE)")
	fs.StringVar(&c.allowList, "endpoint-allowlist", os.Getenv("BUCKETD_ENDPOINT_ALLOWLIST"),
		"comma-separated IPs, CIDR prefixes or host names that custom endpoints may reach although private or plain http (env BUCKETD_ENDPOINT_ALLOWLIST)")
	fs.BoolVar(&c.dev, "dev", false,
		"development mode: create ./var/master.key, allow loopback endpoints, bootstrap a dev organization and print its token")
	fs.StringVar(&c.shutdownPeriod, "shutdown-timeout", envOr("BUCKETD_SHUTDOWN_TIMEOUT", "15s"),
		"how long SIGTERM waits for in-flight requests (env BUCKETD_SHUTDOWN_TIMEOUT)")
}

func envOr(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return fallback
}

// parseFlags parses args, printing usage to stderr on -h or an error.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
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
