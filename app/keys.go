package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// Bounds of the number of buckets or stored credentials one read of a key walk returns: a
// batch is held in memory, and every batch is one query.
const (
	DefaultKeyBatch = 100
	MaxKeyBatch     = 1000
)

// maxResealAttempts bounds how often one bucket or credential is read again after a concurrent
// write moved it on. Each conflict means a server wrote it meanwhile; one written this often
// during a rotation is left for the next run, which the error says.
const maxResealAttempts = 10

// KeysDeps are what master key reporting and rotation need. Store, Credentials, Vault, Keys and
// Audit are required; Store and Credentials are normally the same store, Keys the same vault.
// Fingerprinter, Logger and Now are optional.
type KeysDeps struct {
	// Store holds the buckets' own sealed key and secret.
	Store ports.SealedCredentials
	// Credentials holds the stored credentials' sealed values, which buckets that use them
	// open: a rotation that left them would keep the old key needed.
	Credentials ports.SealedStoredCredentials
	Vault       ports.Vault
	Keys        ports.VaultKeys
	// Audit records each rotation run, as an event of no organization.
	Audit ports.AuditLog
	// Fingerprinter lets a rotation fill in the secret fingerprints that buckets and credentials
	// stored without one lack, since it opens their secrets anyway; nil leaves them missing. It
	// must hold the servers' fingerprint key: see Rotate.
	Fingerprinter ports.Fingerprinter
	// BatchSize is how many buckets or credentials one read returns, 1 to MaxKeyBatch; 0 means DefaultKeyBatch.
	BatchSize int
	// Logger receives a line when a rotation starts and ends; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock of the audit trail; nil means the wall clock in UTC.
	Now func() time.Time
}

// Keys reports which master keys seal the stored secrets and re-seals them under the active
// key, filling in missing secret fingerprints on the way. Both walk every bucket, then every
// stored credential, deleted ones included, in id order and in batches. A rotation runs online: the servers keep opening
// old and new ciphertexts with the same ring, and every write is checked against the version it
// was read at. It keeps no state but the rows themselves, so an interrupted rotation is
// finished by running it again.
type Keys struct {
	// sources are the buckets, then the stored credentials.
	sources       []sealedSource
	vault         ports.Vault
	keys          ports.VaultKeys
	audit         ports.AuditLog
	fingerprinter ports.Fingerprinter
	batchSize     int
	log           *slog.Logger
	now           func() time.Time
}

// NewKeys checks the dependencies once, at wiring time.
func NewKeys(deps KeysDeps) (*Keys, error) {
	switch {
	case deps.Store == nil:
		return nil, errors.New("app.NewKeys: Store is nil")
	case deps.Credentials == nil:
		return nil, errors.New("app.NewKeys: Credentials is nil")
	case deps.Vault == nil:
		return nil, errors.New("app.NewKeys: Vault is nil")
	case deps.Keys == nil:
		return nil, errors.New("app.NewKeys: Keys is nil")
	case deps.Audit == nil:
		return nil, errors.New("app.NewKeys: Audit is nil")
	}
	size := cmp.Or(deps.BatchSize, DefaultKeyBatch)
	if size < 1 || size > MaxKeyBatch {
		return nil, domain.Errorf(domain.KindInvalidInput, "batch size %d is out of range; use 1 to %d", deps.BatchSize, MaxKeyBatch)
	}
	logger, now := withDefaults(deps.Logger, deps.Now)
	sources := []sealedSource{bucketSource(deps.Store), credentialSource(deps.Credentials)}
	return &Keys{sources: sources, vault: deps.Vault, keys: deps.Keys, audit: deps.Audit, fingerprinter: deps.Fingerprinter,
		batchSize: size, log: logger, now: now}, nil
}

// ActiveKeyID returns the id of the key that seals, which a rotation re-seals under.
func (k *Keys) ActiveKeyID() string { return k.keys.ActiveKeyID() }

// KeyUsage is what one master key seals.
type KeyUsage struct {
	KeyID string
	// Active is true for the key that seals new values.
	Active bool
	// InRing is true when the configured ring holds the key, so that its values can be opened.
	InRing bool
	// Buckets and Credentials count the buckets and the stored credentials with at least one
	// value under the key, Values the values (a bucket has two: its key and its secret; a
	// credential one to three: its key, and its secret and session token when its kind has
	// them). A key outside the active one that seals no value can be removed from the ring.
	Buckets, Credentials, Values int
}

// KeyStatus is which master keys seal the buckets' and the stored credentials' values.
type KeyStatus struct {
	ActiveKeyID string
	// Buckets counts every bucket with its own key and secret, Credentials every stored
	// credential, deleted ones included: their rows keep their ciphertexts.
	Buckets, Credentials int
	// Keys lists the ring's keys in ring order, unused ones included, so that an operator sees
	// which can be removed, then the keys outside the ring that stored values name, by id.
	Keys []KeyUsage
	// WithoutFingerprint counts the buckets, CredentialsWithoutFingerprint the credentials with
	// a secret, deleted ones included, that have no secret fingerprint: what a rotation with a
	// fingerprint key fills in.
	WithoutFingerprint, CredentialsWithoutFingerprint int
}

// Removable returns the keys of the ring, the active one aside, that seal no value of any
// bucket or credential: once every server runs with a ring without them, nothing needs them.
func (s KeyStatus) Removable() []string {
	var ids []string
	for _, k := range s.Keys {
		if k.InRing && !k.Active && k.Values == 0 {
			ids = append(ids, k.KeyID)
		}
	}
	return ids
}

// ToMove counts the values not sealed under the active key: what a rotation re-seals.
func (s KeyStatus) ToMove() int {
	n := 0
	for _, k := range s.Keys {
		if !k.Active {
			n += k.Values
		}
	}
	return n
}

// missing returns the keys outside the ring that still seal values.
func (s KeyStatus) missing() []KeyUsage {
	return slices.DeleteFunc(slices.Clone(s.Keys), func(k KeyUsage) bool { return k.InRing || k.Values == 0 })
}

// Status counts the stored values under each key and the buckets and credentials without a
// secret fingerprint. It reads every bucket's and credential's headers and opens nothing.
func (k *Keys) Status(ctx context.Context) (KeyStatus, error) {
	status, _, err := k.survey(ctx)
	return status, err
}

// fingerprintSample is a bucket or credential that has a secret fingerprint, against which a
// rotation checks its fingerprint key.
type fingerprintSample struct {
	source sealedSource
	id     string
}

// survey is Status, and also returns the first bucket or credential that has a secret
// fingerprint, nil when none has.
func (k *Keys) survey(ctx context.Context) (status KeyStatus, fingerprinted *fingerprintSample, err error) {
	ring := k.keys.KeyIDs()
	usage := make(map[string]*KeyUsage, len(ring))
	for i, id := range ring {
		usage[id] = &KeyUsage{KeyID: id, Active: i == 0, InRing: true}
	}
	status.ActiveKeyID = k.keys.ActiveKeyID()
	err = k.walk(ctx, func(src sealedSource, batch []sealedOwner) error {
		for _, o := range batch {
			status.count(o)
			if fingerprinted == nil && o.fingerprint != "" {
				fingerprinted = &fingerprintSample{source: src, id: o.id}
			}
			seen := map[string]bool{}
			for _, v := range o.values {
				if len(v.sealed) == 0 {
					continue
				}
				id, err := k.sealedUnder(o, v)
				if err != nil {
					return err
				}
				u := usage[id]
				if u == nil {
					u = &KeyUsage{KeyID: id}
					usage[id] = u
				}
				u.Values++
				if !seen[id] {
					seen[id] = true
					u.countOwner(o)
				}
			}
		}
		return nil
	})
	if err != nil {
		return KeyStatus{}, nil, err
	}
	for _, id := range ring {
		status.Keys = append(status.Keys, *usage[id])
		delete(usage, id)
	}
	others := make([]KeyUsage, 0, len(usage))
	for _, u := range usage {
		others = append(others, *u)
	}
	slices.SortFunc(others, func(a, b KeyUsage) int { return strings.Compare(a.KeyID, b.KeyID) })
	status.Keys = append(status.Keys, others...)
	return status, fingerprinted, nil
}

// count counts o and its missing fingerprint.
func (s *KeyStatus) count(o sealedOwner) {
	if o.kind == ownerCredential {
		s.Credentials++
		if o.lacksFingerprint() {
			s.CredentialsWithoutFingerprint++
		}
		return
	}
	s.Buckets++
	if o.lacksFingerprint() {
		s.WithoutFingerprint++
	}
}

// countOwner counts o as one of the key's buckets or credentials.
func (u *KeyUsage) countOwner(o sealedOwner) {
	if o.kind == ownerCredential {
		u.Credentials++
	} else {
		u.Buckets++
	}
}

// RotateResult is what a rotation did.
type RotateResult struct {
	ActiveKeyID string
	// Values, Buckets and Credentials count what was re-sealed; Conflicts the writes that found
	// their bucket or credential changed by a server since the rotation read it, and so read it
	// again.
	Values, Buckets, Credentials, Conflicts int
	// Fingerprinted counts the buckets and credentials whose missing secret fingerprint was
	// filled in.
	Fingerprinted int
	// NotFingerprinted counts the buckets and credentials left without a secret fingerprint
	// because no Fingerprinter is configured; with one it is 0.
	NotFingerprinted int
}

// RotateProgress is how far a rotation is: the values re-sealed and the fingerprints filled in
// so far, each next to the count the rotation found to do before it began.
type RotateProgress struct {
	Values, ValuesTotal             int
	Fingerprints, FingerprintsTotal int
}

// Rotate re-seals every stored value that is not under the active key, the buckets' own and
// then the stored credentials': it opens the value with whichever ring key sealed it and seals
// it again under the active key, bound to the same organization, bucket or credential, and
// field. With a Fingerprinter it also fills in the secret fingerprint of every bucket and
// credential with a secret that has none, values under the active key included, from the
// secret it opens; the secret version and the credentials time stay as they are, since the
// credentials did not change. One bucket's or credential's changes are stored in one write that
// lands only if it is still at the version read (a credential's secret version, which every
// rotation of its values through PUT /apikeys moves on), so a concurrent update is never
// overwritten and a fingerprint is never that of an older secret. One that another write moved
// on is read again and retried; a deleted one is changed too; one that no longer exists is
// skipped. Those with nothing to change are left alone, so an interrupted rotation resumes
// where it stopped when run again.
//
// Before it writes anything it counts what there is to do, and refuses when some values are
// under a key the ring does not hold, which it could not open, or when it has fingerprints to
// fill and its fingerprint key does not reproduce a stored fingerprint: fingerprints under
// another key than the servers' would differ from those the servers show for the same secret.
// progress, when not nil, is called once before the first write (nothing done yet), then after
// each batch that changed anything. It is not called when there is nothing to do.
//
// Every run, finished or not, leaves one key_rotation event in the audit trail.
func (k *Keys) Rotate(ctx context.Context, progress func(RotateProgress)) (RotateResult, error) {
	res, err := k.rotate(ctx, progress)
	recordAudit(ctx, k.audit, k.log, domain.NewAuditEvent(ctx, k.now(), domain.AuditKeyRotation, "", "", "", err))
	return res, err
}

func (k *Keys) rotate(ctx context.Context, progress func(RotateProgress)) (RotateResult, error) {
	res := RotateResult{ActiveKeyID: k.keys.ActiveKeyID()}
	before, fingerprinted, err := k.survey(ctx)
	if err != nil {
		return res, err
	}
	if missing := before.missing(); len(missing) > 0 {
		return res, missingKeysError(missing, res.ActiveKeyID)
	}
	todo := RotateProgress{ValuesTotal: before.ToMove()}
	if k.fingerprinter == nil {
		res.NotFingerprinted = before.WithoutFingerprint + before.CredentialsWithoutFingerprint
	} else {
		todo.FingerprintsTotal = before.WithoutFingerprint + before.CredentialsWithoutFingerprint
	}
	if todo.ValuesTotal == 0 && todo.FingerprintsTotal == 0 {
		return res, nil
	}
	if todo.FingerprintsTotal > 0 && fingerprinted != nil {
		if err := k.checkFingerprintKey(ctx, *fingerprinted); err != nil {
			return res, err
		}
	}
	k.log.InfoContext(ctx, "master key rotation started", slog.String("active_key_id", res.ActiveKeyID),
		slog.Int("values_to_move", todo.ValuesTotal), slog.Int("fingerprints_to_fill", todo.FingerprintsTotal),
		slog.Int("batch_size", k.batchSize))
	report := func() {
		if progress != nil {
			todo.Values, todo.Fingerprints = res.Values, res.Fingerprinted
			progress(todo)
		}
	}
	report()
	err = k.walk(ctx, func(src sealedSource, batch []sealedOwner) error {
		changed := false
		for _, o := range batch {
			change, conflicts, err := k.resealOwner(ctx, src, o)
			res.Conflicts += conflicts
			if err != nil {
				return err
			}
			res.add(change)
			changed = changed || change.any()
		}
		if changed {
			report()
		}
		return nil
	})
	attrs := []any{slog.String("active_key_id", res.ActiveKeyID), slog.Int("values", res.Values),
		slog.Int("buckets", res.Buckets), slog.Int("credentials", res.Credentials), slog.Int("fingerprints_filled", res.Fingerprinted), slog.Int("conflicts", res.Conflicts)}
	if err != nil {
		k.log.WarnContext(ctx, "master key rotation stopped; run it again to finish", append(attrs, slog.String("error", err.Error()))...)
		return res, err
	}
	k.log.InfoContext(ctx, "master key rotation finished", attrs...)
	return res, nil
}

// ownerChange is what a rotation wrote to one bucket or credential.
type ownerChange struct {
	kind string
	// values counts the values re-sealed.
	values int
	// fingerprinted is true when the missing secret fingerprint was filled in.
	fingerprinted bool
}

func (c ownerChange) any() bool { return c.values > 0 || c.fingerprinted }

// add counts one bucket's or credential's change.
func (r *RotateResult) add(c ownerChange) {
	if c.values > 0 {
		r.Values += c.values
		if c.kind == ownerCredential {
			r.Credentials++
		} else {
			r.Buckets++
		}
	}
	if c.fingerprinted {
		r.Fingerprinted++
	}
}

func missingKeysError(missing []KeyUsage, active string) error {
	parts := make([]string, len(missing))
	for i, m := range missing {
		parts[i] = fmt.Sprintf("%d under %s", m.Values, m.KeyID)
	}
	return domain.Errorf(domain.KindInvalidInput,
		"stored values are sealed under keys the configured ring does not hold (%s), so they cannot be re-sealed; "+
			"add those keys to the ring after the active key %s and run the rotation again", strings.Join(parts, ", "), active)
}

// checkFingerprintKey reads the sample again, so that its secret and its fingerprint are of one
// moment, opens the secret and refuses when the configured fingerprint key does not reproduce
// the stored fingerprint. One that lost its fingerprint or its row meanwhile proves nothing
// either way.
func (k *Keys) checkFingerprintKey(ctx context.Context, sample fingerprintSample) error {
	o, err := sample.source.read(ctx, sample.id)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("read %s %s to check the fingerprint key: %w", sample.source.kind, sample.id, err)
	case o.fingerprint == "":
		return nil
	}
	var secret sealedValue
	for _, v := range o.values {
		if v.field == o.secretField {
			secret = v
		}
	}
	keyID, err := k.sealedUnder(o, secret)
	if err != nil {
		return err
	}
	plaintext, err := k.open(ctx, o, secret, keyID)
	if err != nil {
		return err
	}
	if k.fingerprinter.Fingerprint(plaintext) != o.fingerprint {
		return domain.Errorf(domain.KindInvalidInput,
			"the configured fingerprint key is not the one the stored fingerprints were made with: %s %s shows another "+
				"fingerprint of its secret; nothing was changed. Run the rotation with the servers' fingerprint key, or with none "+
				"to re-seal without filling in fingerprints", o.kind, o.id)
	}
	return nil
}

// walk reads every bucket, then every credential, in id order, batchSize at a time, and hands
// each batch to visit with its source.
func (k *Keys) walk(ctx context.Context, visit func(sealedSource, []sealedOwner) error) error {
	for _, src := range k.sources {
		if err := k.walkSource(ctx, src, visit); err != nil {
			return err
		}
	}
	return nil
}

func (k *Keys) walkSource(ctx context.Context, src sealedSource, visit func(sealedSource, []sealedOwner) error) error {
	after := ""
	for {
		batch, err := src.batch(ctx, after, k.batchSize)
		if err != nil {
			return fmt.Errorf("read the %ss after %q: %w", src.kind, after, err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := visit(src, batch); err != nil {
			return err
		}
		if len(batch) < k.batchSize {
			return nil
		}
		after = batch[len(batch)-1].id
	}
}

// resealOwner re-seals one bucket's or credential's values that are not under the active key
// and fills in its missing fingerprint, reading it again after each conflict, and returns what
// it changed and how many writes conflicted.
func (k *Keys) resealOwner(ctx context.Context, src sealedSource, o sealedOwner) (change ownerChange, conflicts int, err error) {
	id := o.id
	for {
		change, err = k.resealRecord(ctx, src, o)
		if !domain.IsKind(err, domain.KindConflict) {
			return change, conflicts, err
		}
		if conflicts++; conflicts == maxResealAttempts {
			return ownerChange{}, conflicts, fmt.Errorf("%s %s changed %d times while it was being re-sealed; run the rotation again: %w", src.kind, id, conflicts, err)
		}
		o, err = src.read(ctx, id)
		switch {
		case domain.IsKind(err, domain.KindNotFound):
			return ownerChange{}, conflicts, nil
		case err != nil:
			return ownerChange{}, conflicts, fmt.Errorf("read %s %s again: %w", src.kind, id, err)
		}
	}
}

// resealRecord writes o's values that are not under the active key re-sealed, and the
// fingerprint of its secret when it has none and a Fingerprinter is configured, in one write,
// and returns what it changed. Each value is opened at most once, and only when it must be;
// an empty value (one its kind has not) stays empty. One that no longer exists has nothing
// left to change.
func (k *Keys) resealRecord(ctx context.Context, src sealedSource, o sealedOwner) (ownerChange, error) {
	values := slices.Clone(o.values)
	var fingerprint string
	change := ownerChange{kind: o.kind}
	for i, v := range values {
		if len(v.sealed) == 0 {
			continue
		}
		keyID, err := k.sealedUnder(o, v)
		if err != nil {
			return ownerChange{}, err
		}
		move := keyID != k.keys.ActiveKeyID()
		fill := v.field == o.secretField && o.fingerprint == "" && k.fingerprinter != nil
		if !move && !fill {
			continue
		}
		plaintext, err := k.open(ctx, o, v, keyID)
		if err != nil {
			return ownerChange{}, err
		}
		if fill {
			fingerprint, change.fingerprinted = k.fingerprinter.Fingerprint(plaintext), true
		}
		if move {
			if values[i].sealed, err = k.seal(ctx, o, v, plaintext); err != nil {
				return ownerChange{}, err
			}
			change.values++
		}
	}
	if !change.any() {
		return change, nil
	}
	err := src.reseal(ctx, o, values, fingerprint)
	if domain.IsKind(err, domain.KindNotFound) {
		return ownerChange{}, nil
	}
	if err != nil {
		return ownerChange{}, fmt.Errorf("store the re-sealed values of %s %s: %w", o.kind, o.id, err)
	}
	return change, nil
}

// sealedUnder returns the id of the key that sealed v, without opening it.
func (k *Keys) sealedUnder(o sealedOwner, v sealedValue) (string, error) {
	id, err := k.keys.KeyID(v.sealed)
	if err != nil {
		return "", fmt.Errorf("read the key id of the %s of %s %s: %w", v.field, o.kind, o.id, err)
	}
	return id, nil
}

// open opens v, which keyID sealed, in its own scope.
func (k *Keys) open(ctx context.Context, o sealedOwner, v sealedValue, keyID string) (domain.Secret, error) {
	plaintext, err := k.vault.Open(ctx, v.sealed, scopeOfValue(o, v))
	if err != nil {
		return domain.Secret{}, fmt.Errorf("open the %s of %s %s (organization %s), sealed under key %s: %w", v.field, o.kind, o.id, o.orgID, keyID, err)
	}
	return plaintext, nil
}

// seal seals v's plaintext again under the active key, in v's own scope.
func (k *Keys) seal(ctx context.Context, o sealedOwner, v sealedValue, plaintext domain.Secret) ([]byte, error) {
	resealed, err := k.vault.Seal(ctx, plaintext, scopeOfValue(o, v))
	if err != nil {
		return nil, fmt.Errorf("seal the %s of %s %s again: %w", v.field, o.kind, o.id, err)
	}
	return resealed, nil
}
