package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/bucketd/bucketd/adapters/aesgcm"
	"github.com/bucketd/bucketd/adapters/argon2id"
	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
)

// signInForget is how long failed sign-ins are remembered after the last one: long enough to
// hold a guesser to one guess per --login-backoff-max, short enough that yesterday's typo never
// delays anyone.
const signInForget = time.Hour

// signInBackoffBase is the first wait after the free failures; it doubles with each failure.
const signInBackoffBase = time.Second

// emailKeyPurpose names the key, derived from the master keys, under which emails are hashed
// for the failure counts.
const emailKeyPurpose = "bucketd sign-in failure counts v1"

// signInConfig is how long sign-in tokens live and how failed sign-ins are held back.
type signInConfig struct {
	accessTTL, refreshTTL time.Duration
	emailFree, addrFree   int
	backoffMax            time.Duration
}

func (c *signInConfig) register(fs *flagSet) {
	c.accessTTL, c.refreshTTL = app.DefaultAccessTokenTTL, app.DefaultRefreshTokenTTL
	fs.duration(&c.accessTTL, "access-token-ttl", "BUCKETD_ACCESS_TOKEN_TTL",
		"how long the access token of a sign-in or a refresh authenticates")
	fs.duration(&c.refreshTTL, "refresh-token-ttl", "BUCKETD_REFRESH_TOKEN_TTL",
		"how long a refresh token may be exchanged for new tokens; each refresh starts a new one")
	c.emailFree, c.addrFree, c.backoffMax = 5, 20, 15*time.Minute
	fs.integer(&c.emailFree, "login-free-failures", "BUCKETD_LOGIN_FREE_FAILURES", 1,
		"failed sign-ins per email before each further one doubles the wait, from 1s")
	fs.integer(&c.addrFree, "login-address-free-failures", "BUCKETD_LOGIN_ADDRESS_FREE_FAILURES", 1,
		"failed sign-ins per client address (IPv6: /64) before each further one doubles the wait, from 1s")
	fs.duration(&c.backoffMax, "login-backoff-max", "BUCKETD_LOGIN_BACKOFF_MAX",
		"the longest wait after failed sign-ins; at most 1h, after which failures are forgotten")
}

func (c signInConfig) check() error {
	if c.backoffMax > signInForget {
		return fmt.Errorf("--login-backoff-max %s must not exceed %s: failures are forgotten an hour after the last one", c.backoffMax, signInForget)
	}
	return nil
}

func (c signInConfig) backoff(free int) domain.Backoff {
	return domain.Backoff{Free: free, Base: signInBackoffBase, Max: c.backoffMax, Forget: signInForget}
}

// newPasswordHasher is argon2id under its default parameters, as many hashes at once as the
// process has cores.
func newPasswordHasher() (*argon2id.Hasher, error) {
	return argon2id.New(argon2id.DefaultParams, 0)
}

// newSignIn wires signing in: the store's accounts, sessions and failure counts, the password
// hasher, and the key emails are hashed under, derived from the active master key (a rotation
// starts the counts afresh, which forgets at most an hour of failures).
func newSignIn(store *gormstore.Store, ring *aesgcm.KeyRing, hasher *argon2id.Hasher, cfg signInConfig, log *slog.Logger) (*app.SignIn, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return app.NewSignIn(app.SignInDeps{Accounts: store, Sessions: store, Failures: store, Hasher: hasher, Tokens: store,
		Audit: store.Audit(), EmailKey: ring.Derive(emailKeyPurpose)[0].Key, AccessTTL: cfg.accessTTL, RefreshTTL: cfg.refreshTTL,
		EmailBackoff: cfg.backoff(cfg.emailFree), AddressBackoff: cfg.backoff(cfg.addrFree), Logger: log})
}
