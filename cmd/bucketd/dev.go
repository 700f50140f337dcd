package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/bucketd/bucketd/adapters/aesgcm"
	"github.com/bucketd/bucketd/adapters/fingerprint"
	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Development mode relaxes three things, each announced by a warning in the log.
const (
	devKeyFile = "var/master.key"
	// devFingerprintKeyFile keeps a development server's fingerprints stable across restarts.
	devFingerprintKeyFile = "var/fingerprint.key"
	devKeyID              = "dev-1"
	devAllowList          = "127.0.0.0/8,::1,localhost"
	devOrgName            = "dev"
	devAdminEmail         = "dev@localhost"
	devBucketLimit        = 10
)

// prepareDev fills in what a local server lacks: a master key file and a fingerprint key file
// (each created once, mode 0600) and an allow-list that lets endpoints reach local emulators
// over plain http.
func prepareDev(cfg *serveConfig, log *slog.Logger) error {
	if cfg.masterKeys == "" && cfg.masterKeyFile == "" {
		if err := ensureDevFile(devKeyFile, "dev master key", func() (string, error) { return aesgcm.GenerateKeyEntry(devKeyID) }); err != nil {
			return err
		}
		cfg.masterKeyFile = devKeyFile
		log.Warn("DEV MODE: secrets are sealed with a development master key kept next to the database; never use --dev in production",
			slog.String("file", devKeyFile))
	}
	if cfg.fingerprint.key == "" {
		if err := ensureDevFile(devFingerprintKeyFile, "dev fingerprint key", fingerprint.GenerateKey); err != nil {
			return err
		}
		key, err := os.ReadFile(devFingerprintKeyFile)
		if err != nil {
			return fmt.Errorf("dev fingerprint key: %w", err)
		}
		cfg.fingerprint.key = strings.TrimSpace(string(key))
	}
	if cfg.allowList == "" {
		cfg.allowList = devAllowList
	} else {
		cfg.allowList += "," + devAllowList
	}
	log.Warn("DEV MODE: custom endpoints may reach loopback addresses, over plain http too",
		slog.String("allowlist", cfg.allowList))
	return nil
}

// ensureDevFile creates the key file at path, mode 0600, with what generate returns, unless
// the file exists already; what names the key in errors.
func ensureDevFile(path, what string, generate func() (string, error)) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	entry, err := generate()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // G304: one of the dev key files, constants
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if _, err := fmt.Fprintln(f, entry); err != nil {
		_ = f.Close()
		return fmt.Errorf("%s: %w", what, err)
	}
	return f.Close()
}

// bootstrapDev creates a dev organization in an empty database and prints its token, workspace
// id, and the dev admin's email and a generated password, so the README's curl and a sign-in
// work right after `make run`. On a restart it prints the workspace id and email again and the
// commands that issue a new token and set a new password, since the first ones are shown once.
func bootstrapDev(ctx context.Context, store *gormstore.Store, hasher ports.PasswordHasher, databaseURL string, stdout io.Writer, log *slog.Logger) error {
	empty, err := store.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return remindDev(ctx, store, databaseURL, stdout)
	}
	a, err := app.NewAdmin(app.AdminDeps{Organizations: store, Workspaces: store, Users: store, Tokens: store,
		Accounts: store, Hasher: hasher, Logger: log})
	if err != nil {
		return err
	}
	limit := devBucketLimit
	res, err := a.Bootstrap(ctx, app.BootstrapOrg{OrgName: devOrgName, Email: devAdminEmail, BucketLimit: &limit})
	if err != nil {
		return fmt.Errorf("dev bootstrap: %w", err)
	}
	password := newDevPassword()
	if _, err := a.SetPassword(ctx, devAdminEmail, password); err != nil {
		return fmt.Errorf("dev bootstrap: %w", err)
	}
	log.Warn("DEV MODE: bootstrapped a dev organization with an admin token and password (printed on stdout, once)",
		slog.String("org_id", res.OrgID), slog.String("workspace_id", res.WorkspaceID))
	_, err = fmt.Fprintf(stdout, "DEV token:       %s\nDEV workspaceId: %s\nDEV email:       %s\nDEV password:    %s\n",
		res.Token.Reveal(), res.WorkspaceID, devAdminEmail, password.Reveal())
	return err
}

// remindDev prints, on a restart, the dev workspace's id, the dev admin's email, and the admin
// commands that issue a new token and set a new password for the dev admin, written so that
// they work as typed from where the server was started.
func remindDev(ctx context.Context, store *gormstore.Store, databaseURL string, stdout io.Writer) error {
	var database string
	if databaseURL != defaultDatabaseURL && os.Getenv("BUCKETD_DATABASE_URL") != databaseURL {
		// A sqlite URL is a path; any other may carry a password, which is not printed.
		database = " --database-url '" + databaseURL + "'"
		if !strings.HasPrefix(databaseURL, "sqlite://") {
			database = " --database-url URL"
		}
	}
	admin, err := store.UserByEmail(ctx, devAdminEmail)
	if err != nil {
		_, err = fmt.Fprintf(stdout, "DEV: this database has organizations but no %s; list them with: %s admin org list%s\n",
			devAdminEmail, self(), database)
		return err
	}
	workspaces, err := store.ListWorkspaces(ctx, admin.OrgID)
	if err != nil {
		return err
	}
	if len(workspaces) > 0 {
		fmt.Fprintf(stdout, "DEV workspaceId: %s\n", workspaces[0].ID)
	}
	_, err = fmt.Fprintf(stdout, "DEV email:       %s\n"+
		"DEV: the token is shown on the first start only; for a new one run: %s admin token create --email %s%s\n"+
		"DEV: the password is shown on the first start only; to set a new one run: %s admin user password --email %s%s\n",
		devAdminEmail, self(), devAdminEmail, database, self(), devAdminEmail, database)
	return err
}

// newDevPassword is a random password for the dev admin: 144 bits, 24 characters.
func newDevPassword() domain.Secret {
	var b [18]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return domain.NewSecret(base64.RawURLEncoding.EncodeToString(b[:]))
}
