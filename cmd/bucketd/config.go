package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bucketd/bucketd/adapters/azurevalidator"
	"github.com/bucketd/bucketd/adapters/gcsvalidator"
	"github.com/bucketd/bucketd/adapters/httpapi"
)

// storeConfig is what every command that touches the database needs.
type storeConfig struct {
	databaseURL string
	logLevel    string
}

// defaultDatabaseURL is where `make run` keeps its data, so every command run from the
// repository root reaches the development server's database without a flag.
const defaultDatabaseURL = "sqlite://./var/bucketd.db"

// register adds the database and log level flags. logLevel is the command's default: serve logs
// what it does at info; a one-shot command's output is its answer on stdout, so its log on
// stderr says only what went wrong (warn) unless --log-level asks for more.
func (c *storeConfig) register(fs *flagSet, logLevel string) {
	fs.StringVar(&c.databaseURL, "database-url", envOr("BUCKETD_DATABASE_URL", defaultDatabaseURL),
		"database: postgres://user@host:5432/db?sslmode=... or sqlite://PATH (env BUCKETD_DATABASE_URL)")
	fs.StringVar(&c.logLevel, "log-level", envOr("BUCKETD_LOG_LEVEL", logLevel),
		"debug, info, warn or error (env BUCKETD_LOG_LEVEL)")
}

// providerConfig tunes how bucketd reaches the storage providers.
type providerConfig struct {
	timeout     time.Duration
	gcsTokenURL string
	gcsCertsURL string
	gcsEndpoint string
	// azureAuthorityHost is where Azure service principals get their tokens.
	azureAuthorityHost string
	gcs                gcsIdentityConfig
	aws                awsConfig
	body               providerBody
}

func (c *providerConfig) register(fs *flagSet) {
	c.timeout = 10 * time.Second
	fs.duration(&c.timeout, "validation-timeout", "BUCKETD_VALIDATION_TIMEOUT",
		"deadline of one credential validation at the provider")
	fs.StringVar(&c.gcsTokenURL, "gcs-token-url", envOr("BUCKETD_GCS_TOKEN_URL", gcsvalidator.DefaultTokenURL),
		"OAuth token endpoint for GCS service accounts, e.g. a Private Service Connect address (env BUCKETD_GCS_TOKEN_URL)")
	fs.StringVar(&c.gcsCertsURL, "gcs-certs-url", envOr("BUCKETD_GCS_CERTS_URL", gcsvalidator.DefaultCertsURL),
		"base URL of the GCS service accounts' public key lists (JSON Web Key Sets), to which the client email is appended; "+
			"a bare PEM key's id is looked up there so repeat validations need no token exchange (env BUCKETD_GCS_CERTS_URL)")
	fs.StringVar(&c.gcsEndpoint, "gcs-endpoint", envOr("BUCKETD_GCS_ENDPOINT", gcsvalidator.DefaultAPIEndpoint),
		"GCS API endpoint used when a bucket names none (env BUCKETD_GCS_ENDPOINT)")
	fs.StringVar(&c.azureAuthorityHost, "azure-authority-host", envOr("BUCKETD_AZURE_AUTHORITY_HOST", azurevalidator.DefaultAuthorityHost),
		"Microsoft Entra ID authority host (https origin) Azure service principals get their storage tokens from, "+
			"e.g. https://login.microsoftonline.us/ for Azure Government (env BUCKETD_AZURE_AUTHORITY_HOST)")
	c.gcs.register(fs)
	c.aws.register(fs)
	c.body.register(fs)
}

// masterKeyConfig names the master key ring, from the environment or a file; serve and the
// keys commands read it alike, so a rotation runs with exactly the ring the servers use.
type masterKeyConfig struct {
	masterKeys    string
	masterKeyFile string
}

func (c *masterKeyConfig) register(fs *flagSet) {
	fs.StringVar(&c.masterKeys, "master-keys", os.Getenv("BUCKETD_MASTER_KEYS"),
		"master key ring: comma-separated id:base64(32 bytes) entries, the first is active (env BUCKETD_MASTER_KEYS)")
	fs.StringVar(&c.masterKeyFile, "master-key-file", os.Getenv("BUCKETD_MASTER_KEY_FILE"),
		"file holding the master key ring in the same format, mode 0600 (env BUCKETD_MASTER_KEY_FILE)")
}

// serveConfig adds what the HTTP server needs.
type serveConfig struct {
	storeConfig
	masterKeyConfig
	fingerprint     fingerprintConfig
	providers       providerConfig
	health          healthConfig
	addr            string
	allowList       string
	dev             bool
	shutdownTimeout time.Duration
	limits          serverLimits
	clients         clientConfig
	audit           auditConfig
	signIn          signInConfig
	pprof           pprofConfig
}

func (c *serveConfig) register(fs *flagSet) {
	c.storeConfig.register(fs, "info")
	c.providers.register(fs)
	c.health.register(fs)
	fs.StringVar(&c.addr, "addr", envOr("BUCKETD_ADDR", ":8080"), "listen address (env BUCKETD_ADDR)")
	c.masterKeyConfig.register(fs)
	c.fingerprint.register(fs)
	fs.StringVar(&c.allowList, "endpoint-allowlist", os.Getenv("BUCKETD_ENDPOINT_ALLOWLIST"),
		"comma-separated IPs, CIDR prefixes or host names that custom endpoints may reach although private or plain http (env BUCKETD_ENDPOINT_ALLOWLIST)")
	fs.BoolVar(&c.dev, "dev", false,
		"development mode: create ./var/master.key, allow loopback endpoints, bootstrap a dev organization and print its token")
	c.shutdownTimeout = 15 * time.Second
	fs.duration(&c.shutdownTimeout, "shutdown-timeout", "BUCKETD_SHUTDOWN_TIMEOUT",
		"how long SIGTERM waits for in-flight requests")
	c.limits.register(fs)
	c.clients.register(fs)
	c.audit.register(fs)
	c.signIn.register(fs)
	c.pprof.register(fs)
}

// serverLimits bound what one client can take from the server: the time to send a request and
// to be answered, idle keep-alive connections, the header size, and each token's request rate.
type serverLimits struct {
	readHeaderTimeout time.Duration
	readTimeout       time.Duration
	writeTimeout      time.Duration
	idleTimeout       time.Duration
	maxHeaderBytes    int
	rateLimit         float64
	rateBurst         int
}

func (c *serverLimits) register(fs *flagSet) {
	// Headers must arrive quickly, which cuts slow-loris connections; a bucket validation takes
	// up to --validation-timeout at the provider, so answers get well beyond that.
	c.readHeaderTimeout, c.readTimeout = 10*time.Second, 30*time.Second
	c.writeTimeout, c.idleTimeout = 60*time.Second, 120*time.Second
	fs.duration(&c.readHeaderTimeout, "read-header-timeout", "BUCKETD_READ_HEADER_TIMEOUT",
		"how long a client may take to send a request's headers")
	fs.duration(&c.readTimeout, "read-timeout", "BUCKETD_READ_TIMEOUT",
		"how long a client may take to send a whole request, body included")
	fs.duration(&c.writeTimeout, "write-timeout", "BUCKETD_WRITE_TIMEOUT",
		"how long answering a request may take after its headers arrived; must exceed --validation-timeout")
	fs.duration(&c.idleTimeout, "idle-timeout", "BUCKETD_IDLE_TIMEOUT",
		"how long an idle keep-alive connection stays open")
	c.maxHeaderBytes = 64 << 10
	fs.integer(&c.maxHeaderBytes, "max-header-bytes", "BUCKETD_MAX_HEADER_BYTES", 1,
		"largest request header block in bytes; a larger one is answered 431")
	// A burst absorbs a client that starts many requests at once (a Terraform apply, a script
	// registering a batch of buckets); the steady rate stops a runaway loop.
	c.rateLimit, c.rateBurst = 20, 100
	fs.perSecond(&c.rateLimit, "rate-limit", "BUCKETD_RATE_LIMIT",
		"steady requests per second each API token may send to this process (each process counts its own); 0 turns the limit off")
	fs.integer(&c.rateBurst, "rate-burst", "BUCKETD_RATE_BURST", 1,
		"requests a token may send at once before the steady rate applies")
}

// flagSet is a command's flags, with the malformed environment values found while registering
// them, so a typo in the environment stops the command instead of being ignored.
type flagSet struct {
	*flag.FlagSet
	envErrs []error
}

// newFlagSet makes the flag set of the command whose words are name; its usage names the
// command as typed, with its synopsis and summary from the command tree.
func newFlagSet(name string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), leafUsage(name))
		fs.PrintDefaults()
	}
	return fs
}

// withEnv registers a flag that set parses, taking its value from the environment variable env
// when that is set, so the command line overrides the environment. A malformed value fails the
// parse, whether it came from the flag or from env.
func (fs *flagSet) withEnv(name, env, usage string, set func(string) error) {
	fs.Func(name, usage, set)
	if v, ok := os.LookupEnv(env); ok && v != "" {
		if err := fs.Set(name, v); err != nil {
			fs.envErrs = append(fs.envErrs, fmt.Errorf("%s: %w", env, err))
		}
	}
}

// duration registers a positive duration flag; *d holds its default.
func (fs *flagSet) duration(d *time.Duration, name, env, usage string) {
	fs.withEnv(name, env, fmt.Sprintf("%s (default %s, env %s)", usage, *d, env), func(v string) error {
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed <= 0 {
			return fmt.Errorf("want a positive duration such as 10s, got %q", v)
		}
		*d = parsed
		return nil
	})
}

// integer registers a whole-number flag of at least least; *n holds its default.
func (fs *flagSet) integer(n *int, name, env string, least int, usage string) {
	fs.withEnv(name, env, fmt.Sprintf("%s (default %d, env %s)", usage, *n, env), func(v string) error {
		parsed, err := strconv.Atoi(v)
		if err != nil || parsed < least {
			return fmt.Errorf("want a whole number of at least %d, got %q", least, v)
		}
		*n = parsed
		return nil
	})
}

// perSecond registers a rate flag: a finite number, 0 or more; *r holds its default.
func (fs *flagSet) perSecond(r *float64, name, env, usage string) {
	fs.withEnv(name, env, fmt.Sprintf("%s (default %g, env %s)", usage, *r, env), func(v string) error {
		parsed, err := strconv.ParseFloat(v, 64)
		if err != nil || !(parsed >= 0) || math.IsInf(parsed, 1) {
			return fmt.Errorf("want a number per second, 0 or more, such as 20 or 0.5, got %q", v)
		}
		*r = parsed
		return nil
	})
}

func envOr(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return fallback
}

// parseFlags parses args. Asked for with -h, the usage is the command's output and goes to
// stdout; beside a malformed flag it explains an error and goes to stderr.
func parseFlags(fs *flagSet, args []string, stdout, stderr io.Writer) error {
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		_, werr := usage.WriteTo(stdout)
		return errors.Join(err, werr)
	}
	if _, werr := usage.WriteTo(stderr); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	return errors.Join(fs.envErrs...)
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
