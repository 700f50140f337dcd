package gormstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// The states of an idempotency_keys row.
const (
	keyRunning = "RUNNING"
	keyDone    = "DONE"
)

// maxIdempotencyKeyLength is the longest Idempotency-Key accepted, in bytes. A UUID, the usual
// key, takes 36.
const maxIdempotencyKeyLength = 255

// runningClaimLifetime is how long a RUNNING claim lives before Purge removes it (its
// expires_at is claimed_at plus this). It bounds how long a claim whose process died keeps its
// key bound to one request; it is generous, far beyond any request's deadline and any lease,
// so no live request ever loses its claim to Purge.
const runningClaimLifetime = time.Hour

// maxClaimAttempts bounds Begin's retries when another request changes the key's row between
// two of Begin's statements; each retry means that request made progress.
const maxClaimAttempts = 3

// keyOfOrg selects one Idempotency-Key of one organization.
const keyOfOrg = "org_id = ? AND key = ?"

// Begin claims key for a request with the given fingerprint, race-free across processes: it
// inserts a RUNNING claim, keeping fingerprint.Stored(), unless the organization's key exists
// (INSERT ... ON CONFLICT DO NOTHING), and otherwise reads the row the key has:
//
//   - expired (expires_at <= now): as if absent; the row is replaced by a fresh claim;
//   - a fingerprint the request does not match: KindIdempotencyKeyReused, whether that request
//     is done or running (and the request's own error when it cannot tell);
//   - DONE: its stored response, to replay;
//   - RUNNING, claimed less than lease ago: KindIdempotencyInProgress;
//   - RUNNING, claimed lease or more ago: its process is presumed dead and the claim is taken
//     over, fresh.
//
// Replacing and taking over are compare-and-set updates on the state and claim time read, so
// of any number of concurrent takers exactly one wins. A fresh claim returns nil, nil. The key
// must be 1 to maxIdempotencyKeyLength printable ASCII characters (KindInvalidInput); lease
// must be positive. Times are stored in UTC to the microsecond.
func (s *Store) Begin(ctx context.Context, orgID, key string, fingerprint ports.RequestFingerprint, now time.Time, lease time.Duration) (*ports.StoredResponse, error) {
	if err := checkIdempotencyKey(key); err != nil {
		return nil, err
	}
	if !domain.IsID(orgID) {
		return nil, organizationNotFound(orgID)
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim Idempotency-Key: lease %v must be positive", lease)
	}
	now = dbTime(now)
	claim := idempotencyKeyRow{
		OrgID:       canonicalID(orgID),
		Key:         key,
		Fingerprint: fingerprint.Stored(),
		State:       keyRunning,
		ClaimedAt:   now,
		ExpiresAt:   now.Add(runningClaimLifetime),
	}
	db := s.db.WithContext(ctx)
	for range maxClaimAttempts {
		claimed, err := insertClaim(db, claim)
		if err != nil || claimed {
			return nil, err
		}
		var held idempotencyKeyRow
		err = db.Where(keyOfOrg, claim.OrgID, key).Take(&held).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			continue // abandoned or purged since the insert: claim it again
		}
		if err != nil {
			return nil, wrap("read Idempotency-Key", err)
		}
		resp, reclaimable, err := held.verdict(fingerprint, now, lease)
		if !reclaimable {
			return resp, err
		}
		claimed, err = reclaim(db, held, claim)
		if err != nil || claimed {
			return nil, err
		}
	}
	// Every attempt lost to a concurrent request with the key, which therefore holds it now.
	return nil, idempotencyInProgress()
}

// Complete stores the answer of a running claim until expiresAt, for Begin to replay. A key
// with no running claim (abandoned, purged, or never claimed) is an error: the answer is still
// the request's answer, but a retry will run the request again, which the caller should log.
func (s *Store) Complete(ctx context.Context, orgID, key string, resp ports.StoredResponse, expiresAt time.Time) error {
	res := s.db.WithContext(ctx).Table(tableIdempotencyKeys).
		Where(keyOfOrg+" AND state = ?", canonicalID(orgID), key, keyRunning).
		Updates(map[string]any{"state": keyDone, "status": resp.Status, "body": resp.Body, "expires_at": dbTime(expiresAt)})
	if res.Error != nil {
		return wrap("store the answer to an Idempotency-Key", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store the answer to Idempotency-Key %q of organization %s: the key has no running claim (abandoned or purged)", key, orgID)
	}
	return nil
}

// Abandon deletes a running claim, so a retry with the key runs the request again. A key that
// is not claimed, or already done, is left alone and is no error.
func (s *Store) Abandon(ctx context.Context, orgID, key string) error {
	err := s.db.WithContext(ctx).Where(keyOfOrg+" AND state = ?", canonicalID(orgID), key, keyRunning).
		Delete(&idempotencyKeyRow{}).Error
	return wrap("abandon Idempotency-Key", err)
}

// Purge deletes every key of every organization that expired at or before now: answers kept
// long enough, and claims older than runningClaimLifetime. It returns how many.
func (s *Store) Purge(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at <= ?", dbTime(now)).Delete(&idempotencyKeyRow{})
	if res.Error != nil {
		return 0, wrap("purge expired Idempotency-Keys", res.Error)
	}
	return res.RowsAffected, nil
}

// verdict decides what Begin answers for a key held by row: the response to replay, an error,
// or reclaimable when the row counts as absent and may be replaced by a fresh claim.
func (row idempotencyKeyRow) verdict(fingerprint ports.RequestFingerprint, now time.Time, lease time.Duration) (resp *ports.StoredResponse, reclaimable bool, err error) {
	if !now.Before(row.ExpiresAt) {
		return nil, true, nil
	}
	same, err := fingerprint.Matches(row.Fingerprint)
	switch {
	case err != nil:
		return nil, false, err
	case !same:
		return nil, false, domain.Errorf(domain.KindIdempotencyKeyReused,
			"Idempotency-Key %q was used for a different request; use a new key", row.Key)
	case row.State == keyDone && row.Status != nil:
		return &ports.StoredResponse{Status: *row.Status, Body: row.Body}, false, nil
	case row.State == keyDone:
		return nil, false, fmt.Errorf("read Idempotency-Key %q: it is done but has no status", row.Key)
	case now.Sub(row.ClaimedAt) < lease:
		return nil, false, idempotencyInProgress()
	}
	return nil, true, nil
}

// insertClaim inserts claim unless its key exists, and reports whether it did.
func insertClaim(db *gorm.DB, claim idempotencyKeyRow) (bool, error) {
	res := db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "org_id"}, {Name: "key"}},
		DoNothing: true,
	}).Create(&claim)
	if violatesForeignKey(res.Error) {
		return false, organizationNotFound(claim.OrgID)
	}
	if res.Error != nil {
		return false, wrap("claim Idempotency-Key", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// reclaim replaces the row Begin read with claim if the row is still in the state, and claimed
// at the time, that Begin saw: of concurrent reclaimers the first changes both, so the others
// match nothing. It reports whether this one won.
func reclaim(db *gorm.DB, held, claim idempotencyKeyRow) (bool, error) {
	res := db.Table(tableIdempotencyKeys).
		Where(keyOfOrg+" AND state = ? AND claimed_at = ?", held.OrgID, held.Key, held.State, held.ClaimedAt).
		Updates(map[string]any{
			"fingerprint": claim.Fingerprint,
			"state":       claim.State,
			"status":      nil,
			"body":        nil,
			"claimed_at":  claim.ClaimedAt,
			"expires_at":  claim.ExpiresAt,
		})
	if res.Error != nil {
		return false, wrap("take over Idempotency-Key", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// checkIdempotencyKey accepts 1 to maxIdempotencyKeyLength printable ASCII characters.
func checkIdempotencyKey(key string) error {
	valid := len(key) >= 1 && len(key) <= maxIdempotencyKeyLength
	for i := 0; valid && i < len(key); i++ {
		valid = key[i] >= 0x20 && key[i] <= 0x7e
	}
	if !valid {
		return domain.Errorf(domain.KindInvalidInput,
			"Idempotency-Key must be 1 to %d printable ASCII characters; use a new random value such as a UUID", maxIdempotencyKeyLength)
	}
	return nil
}

func idempotencyInProgress() error {
	return domain.Errorf(domain.KindIdempotencyInProgress,
		"a request with this Idempotency-Key is still being processed; retry shortly")
}

// dbTime is t as both databases store it: UTC, to the microsecond (PostgreSQL's precision), so
// a time read back compares equal to the time written on either.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
