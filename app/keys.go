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

// Bounds of the number of buckets one read of a key walk returns: a batch is held in memory,
// and every batch is one query.
const (
	DefaultKeyBatch = 100
	MaxKeyBatch     = 1000
)

// maxResealAttempts bounds how often one bucket is read again after a concurrent write moved
// it on. Each conflict means a server wrote the bucket meanwhile; a bucket written this often
// during a rotation is left for the next run, which the error says.
const maxResealAttempts = 10

// KeysDeps are what master key reporting and rotation need. Store, Vault, Keys and Audit are
// required; Keys is normally the same vault. Logger and Now are optional.
type KeysDeps struct {
	Store ports.SealedCredentials
	Vault ports.Vault
	Keys  ports.VaultKeys
	// Audit records each rotation run, as an event of no organization.
	Audit ports.AuditLog
	// BatchSize is how many buckets one read returns, 1 to MaxKeyBatch; 0 means DefaultKeyBatch.
	BatchSize int
	// Logger receives a line when a rotation starts and ends; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock of the audit trail; nil means the wall clock in UTC.
	Now func() time.Time
}

// Keys reports which master keys seal the stored credentials and re-seals them under the
// active key. Both walk every bucket, deleted ones included, in id order and in batches. A
// rotation runs online: the servers keep opening old and new ciphertexts with the same ring,
// and every write is checked against the version it was read at. It keeps no state but the
// ciphertexts themselves, so an interrupted rotation is finished by running it again.
type Keys struct {
	store     ports.SealedCredentials
	vault     ports.Vault
	keys      ports.VaultKeys
	audit     ports.AuditLog
	batchSize int
	log       *slog.Logger
	now       func() time.Time
}

// NewKeys checks the dependencies once, at wiring time.
func NewKeys(deps KeysDeps) (*Keys, error) {
	switch {
	case deps.Store == nil:
		return nil, errors.New("app.NewKeys: Store is nil")
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
	return &Keys{store: deps.Store, vault: deps.Vault, keys: deps.Keys, audit: deps.Audit, batchSize: size, log: logger, now: now}, nil
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
	// Buckets counts the buckets with at least one value under the key, Values the values
	// (each bucket has two: its key and its secret).
	Buckets, Values int
}

// KeyStatus is which master keys seal the stored credentials.
type KeyStatus struct {
	ActiveKeyID string
	// Buckets counts every bucket, deleted ones included: their rows keep their ciphertexts.
	Buckets int
	// Keys lists the ring's keys in ring order, unused ones included, so that an operator sees
	// which can be removed, then the keys outside the ring that stored values name, by id.
	Keys []KeyUsage
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

// Status counts the stored values under each key. It reads every bucket's headers and opens
// nothing.
func (k *Keys) Status(ctx context.Context) (KeyStatus, error) {
	ring := k.keys.KeyIDs()
	usage := make(map[string]*KeyUsage, len(ring))
	for i, id := range ring {
		usage[id] = &KeyUsage{KeyID: id, Active: i == 0, InRing: true}
	}
	status := KeyStatus{ActiveKeyID: k.keys.ActiveKeyID()}
	err := k.walk(ctx, func(batch []ports.SealedRecord) error {
		for _, rec := range batch {
			status.Buckets++
			seen := map[string]bool{}
			for _, v := range sealedValues(rec) {
				id, err := k.keys.KeyID(v.sealed)
				if err != nil {
					return fmt.Errorf("read the key id of the %s of bucket %s: %w", v.field, rec.BucketID, err)
				}
				u := usage[id]
				if u == nil {
					u = &KeyUsage{KeyID: id}
					usage[id] = u
				}
				u.Values++
				if !seen[id] {
					seen[id] = true
					u.Buckets++
				}
			}
		}
		return nil
	})
	if err != nil {
		return KeyStatus{}, err
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
	return status, nil
}

// RotateResult is what a rotation did.
type RotateResult struct {
	ActiveKeyID string
	// Values and Buckets count what was re-sealed; Conflicts the writes that found their bucket
	// changed by a server since the rotation read it, and so read it again.
	Values, Buckets, Conflicts int
}

// Rotate re-seals every stored value that is not under the active key: it opens the value with
// whichever ring key sealed it and seals it again under the active key, bound to the same
// organization, bucket and field, and stores a bucket's two values in one write that lands
// only if the bucket is still at the version read. A bucket another write moved on is read
// again and retried; a deleted bucket is re-sealed too; a bucket that no longer exists is
// skipped. Values already under the active key are left alone, so an interrupted rotation
// resumes where it stopped when run again.
//
// Before it writes anything it counts the values to move, and refuses when some are under a
// key the ring does not hold, which it could not open. progress, when not nil, is called with
// the values re-sealed so far and that count: once before the first write (0 of the count),
// then after each batch that re-sealed any. It is not called when nothing needs moving.
//
// Every run, finished or not, leaves one key_rotation event in the audit trail.
func (k *Keys) Rotate(ctx context.Context, progress func(done, total int)) (RotateResult, error) {
	res, err := k.rotate(ctx, progress)
	recordAudit(ctx, k.audit, k.log, domain.NewAuditEvent(ctx, k.now(), domain.AuditKeyRotation, "", "", "", err))
	return res, err
}

func (k *Keys) rotate(ctx context.Context, progress func(done, total int)) (RotateResult, error) {
	res := RotateResult{ActiveKeyID: k.keys.ActiveKeyID()}
	before, err := k.Status(ctx)
	if err != nil {
		return res, err
	}
	if missing := before.missing(); len(missing) > 0 {
		return res, missingKeysError(missing, res.ActiveKeyID)
	}
	total := before.ToMove()
	if total == 0 {
		return res, nil
	}
	k.log.InfoContext(ctx, "master key rotation started", slog.String("active_key_id", res.ActiveKeyID),
		slog.Int("values_to_move", total), slog.Int("batch_size", k.batchSize))
	report := func() {
		if progress != nil {
			progress(res.Values, total)
		}
	}
	report()
	err = k.walk(ctx, func(batch []ports.SealedRecord) error {
		before := res.Values
		for _, rec := range batch {
			moved, conflicts, err := k.resealBucket(ctx, rec)
			res.Conflicts += conflicts
			if err != nil {
				return err
			}
			if moved > 0 {
				res.Values += moved
				res.Buckets++
			}
		}
		if res.Values > before {
			report()
		}
		return nil
	})
	attrs := []any{slog.String("active_key_id", res.ActiveKeyID), slog.Int("values", res.Values),
		slog.Int("buckets", res.Buckets), slog.Int("conflicts", res.Conflicts)}
	if err != nil {
		k.log.WarnContext(ctx, "master key rotation stopped; run it again to finish", append(attrs, slog.String("error", err.Error()))...)
		return res, err
	}
	k.log.InfoContext(ctx, "master key rotation finished", attrs...)
	return res, nil
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

// walk reads every bucket in id order, batchSize at a time, and hands each batch to visit.
func (k *Keys) walk(ctx context.Context, visit func([]ports.SealedRecord) error) error {
	after := ""
	for {
		batch, err := k.store.SealedBatch(ctx, after, k.batchSize)
		if err != nil {
			return fmt.Errorf("read the buckets after %q: %w", after, err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := visit(batch); err != nil {
			return err
		}
		if len(batch) < k.batchSize {
			return nil
		}
		after = batch[len(batch)-1].BucketID
	}
}

// resealBucket re-seals one bucket's values that are not under the active key, reading the
// bucket again after each conflict, and returns how many values it moved and how many writes
// conflicted.
func (k *Keys) resealBucket(ctx context.Context, rec ports.SealedRecord) (moved, conflicts int, err error) {
	id := rec.BucketID
	for {
		moved, err = k.resealRecord(ctx, rec)
		if !domain.IsKind(err, domain.KindConflict) {
			return moved, conflicts, err
		}
		if conflicts++; conflicts == maxResealAttempts {
			return 0, conflicts, fmt.Errorf("bucket %s changed %d times while it was being re-sealed; run the rotation again: %w", id, conflicts, err)
		}
		rec, err = k.store.ReadSealed(ctx, id)
		switch {
		case domain.IsKind(err, domain.KindNotFound):
			return 0, conflicts, nil
		case err != nil:
			return 0, conflicts, fmt.Errorf("read bucket %s again: %w", id, err)
		}
	}
}

// resealRecord writes rec's values re-sealed under the active key, if any needs it, and
// returns how many did. A bucket that no longer exists has nothing left to re-seal.
func (k *Keys) resealRecord(ctx context.Context, rec ports.SealedRecord) (int, error) {
	values := sealedValues(rec)
	moved := 0
	for i, v := range values {
		resealed, err := k.reseal(ctx, rec, v)
		if err != nil {
			return 0, err
		}
		if resealed != nil {
			values[i].sealed = resealed
			moved++
		}
	}
	if moved == 0 {
		return 0, nil
	}
	err := k.store.Reseal(ctx, rec, values[0].sealed, values[1].sealed)
	if domain.IsKind(err, domain.KindNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store the re-sealed credentials of bucket %s: %w", rec.BucketID, err)
	}
	return moved, nil
}

// reseal returns v sealed under the active key, or nil when it already is.
func (k *Keys) reseal(ctx context.Context, rec ports.SealedRecord, v sealedValue) ([]byte, error) {
	id, err := k.keys.KeyID(v.sealed)
	if err != nil {
		return nil, fmt.Errorf("read the key id of the %s of bucket %s: %w", v.field, rec.BucketID, err)
	}
	if id == k.keys.ActiveKeyID() {
		return nil, nil
	}
	scope := ports.SecretScope{OrgID: rec.OrgID, BucketID: rec.BucketID, Field: v.field}
	plaintext, err := k.vault.Open(ctx, v.sealed, scope)
	if err != nil {
		return nil, fmt.Errorf("open the %s of bucket %s (organization %s), sealed under key %s: %w", v.field, rec.BucketID, rec.OrgID, id, err)
	}
	resealed, err := k.vault.Seal(ctx, plaintext, scope)
	if err != nil {
		return nil, fmt.Errorf("seal the %s of bucket %s again: %w", v.field, rec.BucketID, err)
	}
	return resealed, nil
}

// sealedValue is one sealed field of a bucket.
type sealedValue struct {
	field  string
	sealed []byte
}

// sealedValues returns a bucket's key and secret, in that order.
func sealedValues(rec ports.SealedRecord) []sealedValue {
	return []sealedValue{{ports.FieldKey, rec.SealedKey}, {ports.FieldSecret, rec.SealedSecret}}
}
