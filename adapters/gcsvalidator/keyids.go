package gcsvalidator

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/bucketd/bucketd/adapters/providercheck"
)

// A self-signed JWT must name its key's id, which a bare PEM key lacks. Google publishes every
// service account's public keys by id, to anyone, so the validator looks the id up there while
// the first validation of a key trades it for a token, and remembers it: later validations of
// the key sign a JWT naming it, as for a key file. The list is read as a JSON Web Key Set (the
// jwk form) rather than as X.509 certificates: matching a key takes a base64url decode of n and
// e and two integer comparisons, with no certificate parser that could refuse one of Google's
// certificates for some property of no interest here (Go's refuses negative serial numbers,
// for one) and so keep the cache silently cold.
const (
	// maxKeyListResponse bounds the key list's answer; Google's hold a few keys of about 450
	// bytes each.
	maxKeyListResponse = 64 << 10
	// maxKnownKeyIDs bounds the key ids remembered; past it an arbitrary one is forgotten, which
	// costs its key one token exchange more.
	maxKnownKeyIDs = 1024
	// maxKeyIDLookups bounds the key list requests in flight, so that a stalled key list cannot
	// pile up goroutines; past it a validation does not look.
	maxKeyIDLookups = 16
	// maxKeyIDLength bounds a listed key id; Google's are 40 hex digits.
	maxKeyIDLength = 128
)

// keyRef names a key without a key id in the cache: its account and the SHA-256 of its public
// key (PKIX DER). Neither is secret.
type keyRef struct {
	email  string
	digest [sha256.Size]byte
}

// refOf returns the cache name of the account's key.
func refOf(sa serviceAccount) (keyRef, error) {
	der, err := x509.MarshalPKIXPublicKey(&sa.key.PublicKey)
	if err != nil {
		return keyRef{}, fmt.Errorf("encode public key: %w", err)
	}
	return keyRef{email: sa.email, digest: sha256.Sum256(der)}, nil
}

// keyIDCache remembers the key ids of keys the token endpoint accepted and the key list named,
// and which keys are being looked up. It is safe for concurrent use. An id never expires: a
// stale one costs one refused request, after which it is forgotten (see probe.run).
type keyIDCache struct {
	mu      sync.Mutex
	ids     map[keyRef]string
	pending map[keyRef]struct{}
}

func newKeyIDCache() *keyIDCache {
	return &keyIDCache{ids: make(map[keyRef]string), pending: make(map[keyRef]struct{})}
}

func (c *keyIDCache) get(ref keyRef) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kid, ok := c.ids[ref]
	return kid, ok
}

// put remembers kid for ref, forgetting an arbitrary other key's id when the cache is full.
func (c *keyIDCache) put(ref keyRef, kid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, known := c.ids[ref]; !known && len(c.ids) >= maxKnownKeyIDs {
		for other := range c.ids {
			delete(c.ids, other)
			break
		}
	}
	c.ids[ref] = kid
}

// forget drops ref's id if it is still kid: a concurrent validation may have stored a newer one.
func (c *keyIDCache) forget(ref keyRef, kid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids[ref] == kid {
		delete(c.ids, ref)
	}
}

// beginLookup reserves the lookup of ref's id; false when one is under way already or too many
// are.
func (c *keyIDCache) beginLookup(ref keyRef) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, busy := c.pending[ref]; busy || len(c.pending) >= maxKeyIDLookups {
		return false
	}
	c.pending[ref] = struct{}{}
	return true
}

func (c *keyIDCache) endLookup(ref keyRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, ref)
}

// lookUpKeyID looks for the id of sa's key in its account's key list, in the background, and
// returns the function the validation calls once it knows whether the token endpoint accepted
// the key. Only an accepted key's id is remembered: the list is public, and Google's answer is
// what proves the key belongs to the account, so a key the endpoint refuses (disabled, say,
// if Google still lists it) never makes later validations try a JWT first. The lookup
// outlives the validation, up to the validation timeout, so a slow key list never delays one;
// its failures are logged at debug level and change no validation.
func (v *Validator) lookUpKeyID(ctx context.Context, sa serviceAccount, ref keyRef) (settle func(accepted bool)) {
	if !v.keyIDs.beginLookup(ref) {
		return func(bool) {}
	}
	verdict := make(chan bool, 1)
	providercheck.Go(ctx, &v.lookups, v.log, "the key id lookup", func() {
		defer v.keyIDs.endLookup(ref)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.timeout)
		defer cancel()
		kid, err := v.findKeyID(ctx, sa)
		accepted := false
		select {
		case accepted = <-verdict:
		case <-ctx.Done(): // the validation never said; remember nothing
		}
		v.rememberKeyID(ctx, sa, ref, kid, err, accepted)
	}, nil) // a lookup's failure changes no validation
	var once sync.Once
	return func(accepted bool) { once.Do(func() { verdict <- accepted }) }
}

// rememberKeyID stores what a lookup found, if the key was accepted, and logs what happened.
func (v *Validator) rememberKeyID(ctx context.Context, sa serviceAccount, ref keyRef, kid string, err error, accepted bool) {
	hint := slog.String("key_hint", sa.hint)
	switch {
	case err != nil:
		v.log.LogAttrs(ctx, slog.LevelDebug, "gcs key id lookup failed", hint, slog.String("error", err.Error()))
	case kid == "":
		v.log.LogAttrs(ctx, slog.LevelDebug, "gcs key id lookup: the account's key list does not name this key", hint)
	case !accepted:
		v.log.LogAttrs(ctx, slog.LevelDebug, "gcs key id lookup: key listed but not accepted by the token endpoint; not remembered", hint)
	default:
		v.keyIDs.put(ref, kid)
		v.log.LogAttrs(ctx, slog.LevelDebug, "gcs key id remembered", hint)
	}
}

// findKeyID returns the id under which sa's account lists sa's public key, "" if it does not.
func (v *Validator) findKeyID(ctx context.Context, sa serviceAccount) (string, error) {
	set, err := v.fetchKeyList(ctx, sa.email)
	if err != nil {
		return "", err
	}
	return set.keyIDOf(&sa.key.PublicKey), nil
}

// fetchKeyList reads the account's public key list, on the guarded client like every other
// request. The errors name neither the URL (it holds the client email) nor anything the
// answer says.
func (v *Validator) fetchKeyList(ctx context.Context, email string) (jwkSet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.certsURL+url.PathEscape(email), nil)
	if err != nil {
		return jwkSet{}, errors.New("key list request could not be built")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.httpClient.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return jwkSet{}, fmt.Errorf("key list request: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return jwkSet{}, fmt.Errorf("the key list answered %d", resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxKeyListResponse+1))
	switch {
	case err != nil:
		return jwkSet{}, fmt.Errorf("reading the key list: %w", err)
	case len(raw) > maxKeyListResponse:
		return jwkSet{}, fmt.Errorf("the key list is larger than %d bytes", maxKeyListResponse)
	}
	var set jwkSet
	if err := json.Unmarshal(raw, &set); err != nil {
		return jwkSet{}, errors.New("the key list is not a JSON Web Key Set")
	}
	return set, nil
}

// jwkSet is an account's key list: a JSON Web Key Set (RFC 7517) whose keys Google names by
// their private_key_id.
type jwkSet struct {
	Keys []jsonWebKey `json:"keys"`
}

// jsonWebKey is the part of a listed key the match needs: an RSA key's modulus and exponent,
// unsigned big-endian integers in base64url (RFC 7518 section 6.3.1).
type jsonWebKey struct {
	KeyType  string `json:"kty"`
	KeyID    string `json:"kid"`
	Modulus  string `json:"n"`
	Exponent string `json:"e"`
}

// keyIDOf returns the id of the first listed key that is pub, "" when none is. Ids that could
// not be Google's are skipped: the id goes into every later JWT header.
func (s jwkSet) keyIDOf(pub *rsa.PublicKey) string {
	for _, k := range s.Keys {
		if k.KeyType == "RSA" && plausibleKeyID(k.KeyID) && k.is(pub) {
			return k.KeyID
		}
	}
	return ""
}

// is reports whether k's modulus and exponent are pub's.
func (k jsonWebKey) is(pub *rsa.PublicKey) bool {
	n, okN := decodeUnsigned(k.Modulus)
	e, okE := decodeUnsigned(k.Exponent)
	return okN && okE && n.Cmp(pub.N) == 0 && e.Cmp(big.NewInt(int64(pub.E))) == 0
}

// decodeUnsigned reads a base64url integer, padded or not, as RFC 7518 writes n and e.
func decodeUnsigned(s string) (*big.Int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(raw) == 0 {
		return nil, false
	}
	return new(big.Int).SetBytes(raw), true
}

// plausibleKeyID accepts ids of at most maxKeyIDLength letters, digits, '-', '_' and '.'.
func plausibleKeyID(kid string) bool {
	if kid == "" || len(kid) > maxKeyIDLength {
		return false
	}
	return strings.IndexFunc(kid, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) < 0
}
