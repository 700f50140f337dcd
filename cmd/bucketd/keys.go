package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/bucketd/bucketd/adapters/aesgcm"
	"github.com/bucketd/bucketd/adapters/fingerprint"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/ports"
)

// keysConfig is what the keys commands need: the database, the master key ring and, to fill in
// missing fingerprints, the fingerprint key.
type keysConfig struct {
	storeConfig
	masterKeyConfig
	// fingerprint is nil for the commands that fill in no fingerprint.
	fingerprint *fingerprintConfig
}

func (c *keysConfig) register(fs *flagSet) {
	c.storeConfig.register(fs, "warn")
	c.masterKeyConfig.register(fs)
}

// withKeys loads the key ring and the fingerprint key, opens the store, runs fn with the key use
// cases reading batchSize buckets at a time, and closes the store.
func withKeys(ctx context.Context, cfg keysConfig, batchSize int, stderr io.Writer, fn func(*app.Keys) error) (err error) {
	log, err := newLogger(cfg.logLevel, stderr)
	if err != nil {
		return err
	}
	fingerprinter, err := cfg.fingerprinter()
	if err != nil {
		return err
	}
	ring, err := loadKeyRing(cfg.masterKeyConfig)
	if errors.Is(err, errNoMasterKeys) && cfg.databaseURL == defaultDatabaseURL {
		if _, statErr := os.Stat(devKeyFile); statErr == nil {
			return fmt.Errorf("%w; the development server's key is --master-key-file %s", err, devKeyFile)
		}
	}
	if err != nil {
		return err
	}
	vault, err := aesgcm.New(ring)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg.storeConfig, log)
	if err != nil {
		return err
	}
	// A failed close (a connection lost, a WAL not checkpointed) is the command's failure too.
	defer func() { err = errors.Join(err, store.Close()) }()
	k, err := app.NewKeys(app.KeysDeps{Store: store, Credentials: store, Vault: vault, Keys: vault, Audit: store.Audit(), Fingerprinter: fingerprinter,
		BatchSize: batchSize, Logger: log})
	if err != nil {
		return err
	}
	return fn(k)
}

// fingerprinter returns the configured fingerprinter, or nil when the command fills in no
// fingerprint or no key is configured: a rotation without one still re-seals, and says what it
// left. Unlike serve's, it logs no warning, since most rotations have no fingerprint to fill.
func (c keysConfig) fingerprinter() (ports.Fingerprinter, error) {
	if c.fingerprint == nil || c.fingerprint.key == "" {
		return nil, nil
	}
	return fingerprint.ParseKey(c.fingerprint.key)
}

func keysStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		cfg    keysConfig
		asJSON bool
	)
	fs := newFlagSet("keys status")
	cfg.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the counts as one JSON object")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	return withKeys(ctx, cfg, 0, stderr, func(k *app.Keys) error {
		status, err := k.Status(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(stdout).Encode(statusJSON(status))
		}
		return printKeyStatus(stdout, status)
	})
}

// keyStatusJSON is the output of `bucketd keys status --json`. removableKeyIds lists the ring's
// keys, the active one aside, under which no bucket and no stored credential has a value.
type keyStatusJSON struct {
	ActiveKeyID                   string         `json:"activeKeyId"`
	Buckets                       int            `json:"buckets"`
	Credentials                   int            `json:"credentials"`
	ValuesToMove                  int            `json:"valuesToMove"`
	BucketsWithoutFingerprint     int            `json:"bucketsWithoutFingerprint"`
	CredentialsWithoutFingerprint int            `json:"credentialsWithoutFingerprint"`
	RemovableKeyIDs               []string       `json:"removableKeyIds"`
	Keys                          []keyUsageJSON `json:"keys"`
}

type keyUsageJSON struct {
	KeyID       string `json:"keyId"`
	Active      bool   `json:"active"`
	InRing      bool   `json:"inRing"`
	Buckets     int    `json:"buckets"`
	Credentials int    `json:"credentials"`
	Values      int    `json:"values"`
}

func statusJSON(s app.KeyStatus) keyStatusJSON {
	out := keyStatusJSON{ActiveKeyID: s.ActiveKeyID, Buckets: s.Buckets, Credentials: s.Credentials, ValuesToMove: s.ToMove(),
		BucketsWithoutFingerprint: s.WithoutFingerprint, CredentialsWithoutFingerprint: s.CredentialsWithoutFingerprint,
		RemovableKeyIDs: append([]string{}, s.Removable()...), Keys: []keyUsageJSON{}}
	for _, k := range s.Keys {
		out.Keys = append(out.Keys, keyUsageJSON(k))
	}
	return out
}

// printKeyStatus prints a table of the keys and what the operator can do next.
func printKeyStatus(w io.Writer, s app.KeyStatus) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "KEY ID\tSTATE\tBUCKETS\tAPI KEYS\tVALUES\n")
	var missing []string
	for _, k := range s.Keys {
		state := "in ring"
		switch {
		case k.Active:
			state = "active"
		case !k.InRing:
			state = "NOT IN RING"
			missing = append(missing, k.KeyID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", k.KeyID, state, k.Buckets, k.Credentials, k.Values)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d buckets and %d API keys (deleted ones included), %d values not under the active key %s\n",
		s.Buckets, s.Credentials, s.ToMove(), s.ActiveKeyID)
	switch {
	case len(missing) > 0:
		fmt.Fprintf(w, "values under %s cannot be opened with this ring: add those keys to it, after the active key\n", strings.Join(missing, ", "))
	case s.ToMove() > 0:
		fmt.Fprintf(w, "run %q with the same key ring to re-seal them under the active key\n", self()+" keys rotate")
	case len(s.Removable()) > 0:
		fmt.Fprintf(w, "no bucket and no API key has a value sealed under %s: once every server runs with this ring, the key may be removed from it\n",
			strings.Join(s.Removable(), ", "))
	}
	if s.WithoutFingerprint > 0 {
		fmt.Fprintf(w, "%d buckets have no secret fingerprint (stored before fingerprints existed, or by a server without a fingerprint key): "+
			"run %q with the same key ring %s to fill them in\n", s.WithoutFingerprint, self()+" keys rotate", withFingerprintKey)
	}
	if s.CredentialsWithoutFingerprint > 0 {
		fmt.Fprintf(w, "%d API keys have no secret fingerprint (stored by a server without a fingerprint key): "+
			"run %q with the same key ring %s to fill them in\n", s.CredentialsWithoutFingerprint, self()+" keys rotate", withFingerprintKey)
	}
	return nil
}

// withFingerprintKey says how to give a rotation the fingerprint key.
const withFingerprintKey = "and the servers' fingerprint key in --fingerprint-key (BUCKETD_FINGERPRINT_KEY)"

func keysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		cfg   = keysConfig{fingerprint: &fingerprintConfig{}}
		batch int
	)
	fs := newFlagSet("keys rotate")
	cfg.register(fs)
	cfg.fingerprint.register(fs)
	fs.IntVar(&batch, "batch", app.DefaultKeyBatch, fmt.Sprintf("buckets or API keys read and re-sealed per batch, 1 to %d", app.MaxKeyBatch))
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if batch < 1 || batch > app.MaxKeyBatch {
		return fmt.Errorf("--batch %d is out of range: use 1 to %d", batch, app.MaxKeyBatch)
	}
	return withKeys(ctx, cfg, batch, stderr, func(k *app.Keys) error {
		res, err := k.Rotate(ctx, func(p app.RotateProgress) { printRotateProgress(stdout, k.ActiveKeyID(), p) })
		if err != nil {
			if res.Values > 0 || res.Fingerprinted > 0 {
				fmt.Fprintf(stdout, "stopped after re-sealing %d values and filling in %d secret fingerprints; "+
					"what is done stays done, run the rotation again to finish\n", res.Values, res.Fingerprinted)
			}
			return err
		}
		printRotateResult(stdout, res)
		return nil
	})
}

// printRotateProgress prints what a rotation is about to do, before its first write, then how
// far it is.
func printRotateProgress(w io.Writer, active string, p app.RotateProgress) {
	if p.Values == 0 && p.Fingerprints == 0 {
		if p.ValuesTotal > 0 {
			fmt.Fprintf(w, "active key %s: re-sealing %d values sealed under older keys\n", active, p.ValuesTotal)
		}
		if p.FingerprintsTotal > 0 {
			fmt.Fprintf(w, "filling in the secret fingerprint of %d buckets and API keys that have none\n", p.FingerprintsTotal)
		}
		return
	}
	var parts []string
	if p.ValuesTotal > 0 {
		parts = append(parts, fmt.Sprintf("re-sealed %d of %d values", p.Values, p.ValuesTotal))
	}
	if p.FingerprintsTotal > 0 {
		parts = append(parts, fmt.Sprintf("filled in %d of %d secret fingerprints", p.Fingerprints, p.FingerprintsTotal))
	}
	fmt.Fprintln(w, strings.Join(parts, ", "))
}

// printRotateResult prints what a finished rotation did, what the operator does next, and the
// fingerprints it could not fill in for want of the key.
func printRotateResult(w io.Writer, res app.RotateResult) {
	var done []string
	if res.Values > 0 {
		done = append(done, fmt.Sprintf("%d values of %d buckets and %d API keys re-sealed under %s", res.Values, res.Buckets, res.Credentials, res.ActiveKeyID))
	}
	if res.Fingerprinted > 0 {
		done = append(done, fmt.Sprintf("the missing secret fingerprint of %d buckets and API keys filled in", res.Fingerprinted))
	}
	if len(done) == 0 {
		fmt.Fprintf(w, "every value is already sealed under the active key %s; nothing to do\n", res.ActiveKeyID)
	} else {
		fmt.Fprintf(w, "done: %s (writes retried after a concurrent change: %d)\n", strings.Join(done, "; "), res.Conflicts)
	}
	if res.Values > 0 {
		fmt.Fprintf(w, "check with %q and the same key ring; once no value is under an older key, remove it from the ring of every server\n", self()+" keys status")
	}
	if res.NotFingerprinted > 0 {
		fmt.Fprintf(w, "%d buckets and API keys have no secret fingerprint and were not filled in, as no fingerprint key is configured: "+
			"run %q again with the same key ring %s to fill them in\n", res.NotFingerprinted, self()+" keys rotate", withFingerprintKey)
	}
}
