package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/bucketd/bucketd/adapters/aesgcm"
	"github.com/bucketd/bucketd/adapters/azurevalidator"
	"github.com/bucketd/bucketd/adapters/gcsvalidator"
	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/adapters/httpapi"
	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/s3validator"
	"github.com/bucketd/bucketd/adapters/s3validator/awsrole"
	"github.com/bucketd/bucketd/adapters/validationmetrics"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/prometheus/client_golang/prometheus"
)

// openStore connects to the database and brings its schema up to date: every process
// migrates at start-up, and the migrations serialize themselves.
func openStore(ctx context.Context, cfg storeConfig, log *slog.Logger) (*gormstore.Store, error) {
	store, err := gormstore.Open(ctx, cfg.databaseURL, gormstore.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := store.Migrate(ctx); err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return store, nil
}

// loadKeyRing reads the master keys from the environment or a file; never from the database.
func loadKeyRing(cfg masterKeyConfig) (*aesgcm.KeyRing, error) {
	switch {
	case cfg.masterKeys != "" && cfg.masterKeyFile != "":
		return nil, errors.New("set either BUCKETD_MASTER_KEYS or BUCKETD_MASTER_KEY_FILE, not both")
	case cfg.masterKeys != "":
		return aesgcm.ParseKeyRing(cfg.masterKeys)
	case cfg.masterKeyFile != "":
		return aesgcm.LoadKeyRingFile(cfg.masterKeyFile)
	}
	return nil, errNoMasterKeys
}

// errNoMasterKeys is loadKeyRing's answer when no key ring is configured; each command adds
// the way out that works for it.
var errNoMasterKeys = errors.New("no master keys: set BUCKETD_MASTER_KEYS or BUCKETD_MASTER_KEY_FILE (--master-keys, --master-key-file)")

// newValidators builds the provider checks on one shared HTTP client whose dialer enforces the
// SSRF guard and whose transport caps every answer's body, so every provider connection and
// answer, whatever the SDK, goes through them.
func newValidators(ctx context.Context, cfg providerConfig, allow netguard.AllowList, log *slog.Logger) (map[domain.StorageType]ports.CredentialValidator, *awsrole.Assumer, error) {
	client := netguard.NewClient(netguard.NewTransport(netguard.NewDialer(allow)), netguard.WithMaxBody(int64(cfg.body.maxBody)))
	roles, err := cfg.aws.assumer(ctx, client, cfg.timeout)
	if err != nil {
		return nil, nil, err
	}
	s3v, err := s3validator.New(s3validator.Config{HTTPClient: client, AllowList: allow, Timeout: cfg.timeout, Logger: log}, s3validator.WithRoles(roles))
	if err != nil {
		return nil, nil, fmt.Errorf("s3 validator: %w", err)
	}
	azv, err := azurevalidator.New(azurevalidator.Config{HTTPClient: client, AllowList: allow, Timeout: cfg.timeout,
		AuthorityHost: cfg.azureAuthorityHost, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("azure validator: %w", err)
	}
	identity, err := cfg.gcs.identity()
	if err != nil {
		return nil, nil, err
	}
	gcsv, err := gcsvalidator.New(gcsvalidator.Config{HTTPClient: client, AllowList: allow, Timeout: cfg.timeout,
		TokenURL: cfg.gcsTokenURL, CertsURL: cfg.gcsCertsURL, APIEndpoint: cfg.gcsEndpoint, HMAC: s3v, Logger: log,
		Identity: identity, IAMCredentialsURL: cfg.gcs.iamEndpoint})
	if err != nil {
		return nil, nil, fmt.Errorf("gcs validator: %w", err)
	}
	return map[domain.StorageType]ports.CredentialValidator{
		domain.StorageS3:    s3v,
		domain.StorageGCS:   gcsv,
		domain.StorageAzure: azv,
	}, roles, nil
}

// newMetrics builds the series GET /metrics serves, on one registry of bucketd's own: the
// process-wide default registry would let any imported library add series bucketd never chose
// to export. The HTTP adapter serves the registry and counts the requests; validationmetrics
// counts the provider validations on it, named by the HTTP adapter's error codes so that an
// outcome is the code callers saw.
func newMetrics(dbStats func() sql.DBStats) (*httpapi.Metrics, *validationmetrics.Counter, error) {
	registry := prometheus.NewRegistry()
	metrics, err := httpapi.NewMetrics(registry, dbStats)
	if err != nil {
		return nil, nil, err
	}
	validations, err := validationmetrics.New(registry, httpapi.ErrorCode)
	if err != nil {
		return nil, nil, err
	}
	return metrics, validations, nil
}

// newBuckets wires the bucket use cases, with every provider validation counted: each
// validator is wrapped by validations before app sees it. It returns the role assumer too,
// whose identity GET /apikeys/aws-trust names.
func newBuckets(ctx context.Context, store *gormstore.Store, ring *aesgcm.KeyRing, fingerprinter ports.Fingerprinter, providers providerConfig, allow netguard.AllowList, validations *validationmetrics.Counter, log *slog.Logger) (*app.Buckets, *awsrole.Assumer, error) {
	vault, err := aesgcm.New(ring)
	if err != nil {
		return nil, nil, err
	}
	validators, roles, err := newValidators(ctx, providers, allow, log)
	if err != nil {
		return nil, nil, err
	}
	// Every validator also proves a stored credential alone (POST /apikeys).
	authenticators := make(map[domain.StorageType]ports.CredentialAuthenticator, len(validators))
	for storageType, v := range validators {
		if a, ok := v.(ports.CredentialAuthenticator); ok {
			authenticators[storageType] = a
		}
		validators[storageType] = validations.Wrap(storageType, v)
	}
	buckets, err := app.NewBuckets(app.BucketsDeps{Store: store, Vault: vault, Audit: store.Audit(), Validators: validators,
		Fingerprinter: fingerprinter, ExternalIDs: store, Credentials: store, Authenticators: authenticators, Logger: log})
	return buckets, roles, err
}

// newWorkspaces wires the API's workspace use cases on the operator's, which they share with
// `bucketd admin workspace` and `bucketd admin member`.
func newWorkspaces(store *gormstore.Store, log *slog.Logger) (*app.Workspaces, error) {
	admin, err := app.NewAdmin(app.AdminDeps{Organizations: store, Workspaces: store, Users: store, Tokens: store, Audit: store.Audit(), Logger: log})
	if err != nil {
		return nil, err
	}
	return app.NewWorkspaces(admin)
}
