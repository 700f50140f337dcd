package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bucketd/bucketd/adapters/gcsvalidator"
	"github.com/bucketd/bucketd/domain"
)

// maxIdentityFile bounds bucketd's own service-account key file: Google's are about 2.4 KB.
const maxIdentityFile = 16 << 10

// gcsIdentityConfig is bucketd's own Google identity, with which it impersonates the service
// accounts of GCS_IMPERSONATION credentials, and where it mints their tokens. Both come from
// the server's configuration only: a caller never chooses either.
type gcsIdentityConfig struct {
	identityFile string
	iamEndpoint  string
}

func (c *gcsIdentityConfig) register(fs *flagSet) {
	fs.StringVar(&c.identityFile, "gcs-identity-file", os.Getenv("BUCKETD_GCS_IDENTITY_FILE"),
		"bucketd's own Google service-account JSON key file, mode 0600, with which it impersonates the service accounts "+
			"of GCS_IMPERSONATION credentials; without it they are refused (env BUCKETD_GCS_IDENTITY_FILE)")
	fs.StringVar(&c.iamEndpoint, "gcs-iam-endpoint", envOr("BUCKETD_GCS_IAM_ENDPOINT", gcsvalidator.DefaultIAMCredentialsURL),
		"IAM Service Account Credentials API origin where impersonation mints tokens; bucketd's own token comes from "+
			"--gcs-token-url (env BUCKETD_GCS_IAM_ENDPOINT)")
}

// identity reads the key file, read once at start and kept as a secret; the zero secret when
// none is configured. The file is refused when its mode lets the group or others read it, as
// the master key file is.
func (c gcsIdentityConfig) identity() (domain.Secret, error) {
	if c.identityFile == "" {
		return domain.Secret{}, nil
	}
	f, err := os.Open(c.identityFile) //nolint:gosec // G304: the operator names the key file; reading it is the point
	if err != nil {
		return domain.Secret{}, fmt.Errorf("gcs identity: %w", err)
	}
	defer func() { _ = f.Close() }() // read only: a failed close loses nothing
	info, err := f.Stat()
	switch {
	case err != nil:
		return domain.Secret{}, fmt.Errorf("gcs identity: %w", err)
	case !info.Mode().IsRegular():
		return domain.Secret{}, fmt.Errorf("gcs identity: %s is not a regular file", c.identityFile)
	case info.Mode().Perm()&0o077 != 0:
		return domain.Secret{}, fmt.Errorf("gcs identity: %s has mode %#o, which lets group or others read bucketd's key; run `chmod 600 %s`",
			c.identityFile, info.Mode().Perm(), c.identityFile)
	}
	content, err := io.ReadAll(io.LimitReader(f, maxIdentityFile+1))
	switch {
	case err != nil:
		return domain.Secret{}, fmt.Errorf("gcs identity: read %s: %w", c.identityFile, err)
	case len(content) > maxIdentityFile:
		return domain.Secret{}, fmt.Errorf("gcs identity: %s is larger than %d bytes; it must be a service-account JSON key file", c.identityFile, maxIdentityFile)
	case len(content) == 0:
		return domain.Secret{}, errors.New("gcs identity: " + c.identityFile + " is empty; it must be a service-account JSON key file")
	}
	return domain.NewSecret(string(content)), nil
}
