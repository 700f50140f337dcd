package gcsvalidator

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// refusedChecks is the report of a bare PEM key the token endpoint refuses: nothing but
// authenticate is decided.
var refusedChecks = map[string]domain.CheckStatus{checkConnect: domain.CheckSkip, checkAuth: domain.CheckFail,
	checkBucket: domain.CheckSkip, checkRegion: domain.CheckSkip, checkPermissions: domain.CheckSkip}

// served returns what the peer served since it had served before requests.
func served(p peer, before int) []string { return p.Requests()[before:] }

// tokenRequests counts the token exchanges among requests.
func tokenRequests(requests []string) int {
	return len(slices.DeleteFunc(slices.Clone(requests), func(r string) bool { return r != "POST /token" }))
}

// The first validation of a bare PEM key trades it for a token and, at the same time, finds
// its key id in the account's key list; the repeat validation signs a JWT naming that id and
// asks the API alone, in one round trip.
func TestBarePEMKeyIDIsRememberedAfterTheFirstValidation(t *testing.T) {
	p := startPeer(t)
	h := p.harness(t, nil)
	target := p.targetAs(pemForm, "full-bucket", readerEmail)
	api := []string{"GET /storage/v1/b/full-bucket", "GET /storage/v1/b/full-bucket/iam/testPermissions"}

	before := len(p.Requests())
	report, err := h.validate(t, target)
	if err != nil {
		t.Fatalf("first validation: %v", err)
	}
	providerchecktest.WantChecks(t, report, allChecks)
	want := slices.Sorted(slices.Values(append([]string{"POST /token", "GET " + p.keyListPath(readerEmail)}, api...)))
	if got := slices.Sorted(slices.Values(served(p, before))); !slices.Equal(got, want) {
		t.Errorf("first validation: the peer served %q, want %q", got, want)
	}
	if auth := providerchecktest.Check(t, report, checkAuth); !strings.Contains(auth.Message, "issued an access token") {
		t.Errorf("first validation: authenticate says %q, want the token exchange", auth.Message)
	}
	if kid, ok := h.cachedKeyID(t, target); !ok || kid != keyID(t, p.keyFiles[readerEmail]) {
		t.Fatalf("after the first validation the cache holds %q (%v), want the key's private_key_id", kid, ok)
	}

	for _, mode := range []domain.ValidationMode{domain.ValidateReadOnly, domain.ValidateReadWrite} {
		t.Run("repeat/"+string(mode), func(t *testing.T) {
			target := p.targetAs(pemForm, "full-bucket", writerEmail)
			target.Mode = mode
			if _, err := h.validate(t, target); err != nil { // the writer's first validation
				t.Fatalf("first validation of the writer: %v", err)
			}
			before := len(p.Requests())
			report, err := h.validate(t, target)
			if err != nil {
				t.Fatalf("repeat validation: %v", err)
			}
			providerchecktest.WantChecks(t, report, allChecks)
			if got := slices.Sorted(slices.Values(served(p, before))); !slices.Equal(got, api) {
				t.Errorf("repeat validation: the peer served %q, want the two API requests alone", got)
			}
			if auth := providerchecktest.Check(t, report, checkAuth); !strings.Contains(auth.Message, "accepted the self-signed JWT") {
				t.Errorf("repeat validation: authenticate says %q, want the self-signed JWT", auth.Message)
			}
		})
	}
}

// A key that stops working after its id was cached must fail exactly as it fails without the
// cache: the JWT naming the cached id is refused, the id forgotten, and the same validation
// goes on with the token exchange, whose refusal it reports word for word.
func TestCachedKeyIDOfARevokedKey(t *testing.T) {
	p := startPeer(t)
	uncached := newHarness(t, p.TokenURL, nil)
	for name, revoke := range map[string]func(t *testing.T, email string){
		"rotated":  func(t *testing.T, email string) { p.RotateKey(t, email) },
		"deleted":  func(t *testing.T, email string) { p.DeleteKey(t, email) },
		"disabled": func(t *testing.T, email string) { p.DisableKey(t, email) },
	} {
		t.Run(name, func(t *testing.T) {
			h := p.harness(t, nil)
			email := name + "@bucketd-test.iam.gserviceaccount.com"
			pemKey, _ := p.NewServiceAccount(t, email, readerPermissions...)
			target := p.target("full-bucket", email, pemKey)
			if _, err := h.validate(t, target); err != nil {
				t.Fatalf("validation before the key was %s: %v", name, err)
			}
			kid, cached := h.cachedKeyID(t, target)
			if !cached {
				t.Fatal("the key's id was not remembered")
			}
			revoke(t, email)

			before := len(p.Requests())
			report, err := h.validate(t, target)
			hint := domain.NewSecret(email).Hint()
			providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{
				Kind: domain.KindInvalidCredentials, Checks: refusedChecks, Codes: map[string]string{checkAuth: "invalid_grant"},
				Says: []string{"authenticate: Google rejected service account " + hint + " (invalid_grant: Invalid JWT Signature.)"},
			})
			requests := served(p, before)
			if tokenRequests(requests) != 1 || !slices.Contains(requests, "GET /storage/v1/b/full-bucket") {
				t.Errorf("the peer served %q; want the API asked with the cached id, then the token exchange", requests)
			}
			if left, ok := h.cachedKeyID(t, target); ok {
				t.Errorf("the refused id %s is still cached (now %s)", kid, left)
			}

			wantReport, wantErr := uncached.validate(t, target)
			if err == nil || wantErr == nil || err.Error() != wantErr.Error() {
				t.Errorf("with a stale cached id the validation says %v; without the cache %v; want the same", err, wantErr)
			}
			if !slices.Equal(report.Checks, wantReport.Checks) {
				t.Errorf("with a stale cached id the checks are %+v; without the cache %+v", report.Checks, wantReport.Checks)
			}
		})
	}
	t.Run("the rotated account's new key", func(t *testing.T) {
		h := p.harness(t, nil)
		const email = "rotating@bucketd-test.iam.gserviceaccount.com"
		oldKey, _ := p.NewServiceAccount(t, email, readerPermissions...)
		if _, err := h.validate(t, p.target("full-bucket", email, oldKey)); err != nil {
			t.Fatalf("old key: %v", err)
		}
		newKey, newFile := p.RotateKey(t, email)
		target := p.target("full-bucket", email, newKey)
		for _, run := range []string{"first", "repeat"} {
			before := len(p.Requests())
			if _, err := h.validate(t, target); err != nil {
				t.Fatalf("%s validation of the new key: %v", run, err)
			}
			if exchanges, want := tokenRequests(served(p, before)), map[string]int{"first": 1, "repeat": 0}[run]; exchanges != want {
				t.Errorf("%s validation of the new key exchanged %d times, want %d", run, exchanges, want)
			}
		}
		if kid, _ := h.cachedKeyID(t, target); kid != keyID(t, newFile) {
			t.Errorf("cached id %q, want the new key's", kid)
		}
	})
}

// A cached id that no longer names the key, while the key itself still works, costs one
// refused request, never the validation: it passes through the token exchange, and the right
// id is learnt again.
func TestStaleCachedKeyIDOfAWorkingKey(t *testing.T) {
	p := startPeer(t)
	h := p.harness(t, nil)
	target := p.targetAs(pemForm, "full-bucket", readerEmail)
	sa, err := parseServiceAccount(target.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := refOf(sa)
	if err != nil {
		t.Fatal(err)
	}
	for name, stale := range map[string]string{
		"an unknown id":          "0123456789abcdef0123456789abcdef01234567",
		"another account's id":   keyID(t, p.keyFiles[strangerEmail]),
		"another key of its own": keyID(t, p.keyFiles[writerEmail]),
	} {
		t.Run(name, func(t *testing.T) {
			h.v.keyIDs.put(ref, stale)
			before := len(p.Requests())
			report, err := h.validate(t, target)
			if err != nil {
				t.Fatalf("Validate with a stale cached id: %v", err)
			}
			providerchecktest.WantChecks(t, report, allChecks)
			if exchanges := tokenRequests(served(p, before)); exchanges != 1 {
				t.Errorf("the validation exchanged %d times, want once after the refused JWT", exchanges)
			}
			if kid, _ := h.cachedKeyID(t, target); kid != keyID(t, p.keyFiles[readerEmail]) {
				t.Errorf("cached id %q after the fallback, want the key's own, learnt again", kid)
			}
		})
	}
}

// An account whose key list does not name the key leaves the cache empty: every validation
// takes the token exchange, and passes.
func TestKeyListWithoutTheKey(t *testing.T) {
	p := startPeer(t)
	others := keyListServer(t, func(w http.ResponseWriter, _ *http.Request) {
		writeKeyList(w, jwkOf("other-key", publicKeyOf(t, p.keys[strangerEmail])))
	})
	h := p.harness(t, func(cfg *Config) { cfg.CertsURL = others })
	target := p.targetAs(pemForm, "full-bucket", readerEmail)
	for run := range 3 {
		before := len(p.Requests())
		if _, err := h.validate(t, target); err != nil {
			t.Fatalf("validation %d: %v", run+1, err)
		}
		if exchanges := tokenRequests(served(p, before)); exchanges != 1 {
			t.Errorf("validation %d exchanged %d times, want once", run+1, exchanges)
		}
	}
	if kid, ok := h.cachedKeyID(t, target); ok {
		t.Errorf("the cache holds %q for a key its list does not name", kid)
	}
	if !strings.Contains(h.log.String(), "does not name this key") {
		t.Errorf("the debug log does not say the key was not listed:\n%s", h.log.String())
	}
}

// A key the list names but the token endpoint refuses is not remembered, so it never has a
// JWT tried first: Google may well keep listing a disabled key.
func TestListedKeyTheTokenEndpointRefusesIsNotRemembered(t *testing.T) {
	p := startPeer(t)
	listsDisabled := keyListServer(t, func(w http.ResponseWriter, _ *http.Request) {
		writeKeyList(w, jwkOf(keyID(t, p.keyFiles[disabledEmail]), publicKeyOf(t, p.keys[disabledEmail])))
	})
	h := p.harness(t, func(cfg *Config) { cfg.CertsURL = listsDisabled })
	target := p.targetAs(pemForm, "full-bucket", disabledEmail)
	for run := range 2 {
		report, err := h.validate(t, target)
		providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{Kind: domain.KindInvalidCredentials,
			Checks: refusedChecks, Says: []string{"Invalid JWT Signature."}})
		if kid, ok := h.cachedKeyID(t, target); ok {
			t.Fatalf("validation %d: the refused key's id %q was remembered", run+1, kid)
		}
	}
	if !strings.Contains(h.log.String(), "not accepted by the token endpoint") {
		t.Errorf("the debug log does not say why the id was not remembered:\n%s", h.log.String())
	}
}

// Concurrent validations of one key, before and after its id is known, all pass, and once it
// is known none of them exchanges the key. Run under -race.
func TestConcurrentValidationsOfOneKey(t *testing.T) {
	p := startPeer(t)
	h := p.harness(t, nil)
	target := p.targetAs(pemForm, "full-bucket", readerEmail)
	const validations = 12
	validateAll := func(round string) []string {
		before := len(p.Requests())
		var wg sync.WaitGroup
		errs := make([]error, validations)
		for i := range validations {
			wg.Go(func() { _, errs[i] = h.v.Validate(context.Background(), target) })
		}
		wg.Wait()
		h.v.lookups.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("%s round, validation %d: %v", round, i, err)
			}
		}
		return served(p, before)
	}
	cold := validateAll("cold")
	lists := len(slices.DeleteFunc(slices.Clone(cold), func(r string) bool { return r != "GET "+p.keyListPath(readerEmail) }))
	if lists < 1 || lists > validations {
		t.Errorf("the cold round read the key list %d times, want between 1 and %d", lists, validations)
	}
	if kid, _ := h.cachedKeyID(t, target); kid != keyID(t, p.keyFiles[readerEmail]) {
		t.Fatalf("after the cold round the cache holds %q, want the key's id", kid)
	}
	if warm := validateAll("warm"); tokenRequests(warm) != 0 || len(warm) != 2*validations {
		t.Errorf("the warm round sent %d requests, %d of them token exchanges; want %d API requests alone",
			len(warm), tokenRequests(warm), 2*validations)
	}
	providerchecktest.WantNoLeak(t, domain.ValidationReport{}, nil, h.log.String(), secretParts(target.Credentials)...)
}

// Whatever the key list endpoint does, the validation neither fails nor waits for it; only a
// well-formed list that names the key, within the size bound, is believed (and even then
// only until Google refuses the id).
func TestHostileKeyListsNeverFailAValidation(t *testing.T) {
	p := startPeer(t)
	target := p.targetAs(pemForm, "full-bucket", readerEmail)
	reader := jwkOf(keyID(t, p.keyFiles[readerEmail]), publicKeyOf(t, p.keys[readerEmail]))
	oversized := func(w http.ResponseWriter, _ *http.Request) {
		padding := make([]map[string]string, 0, 400)
		for i := range cap(padding) {
			padding = append(padding, jwkOf(fmt.Sprintf("padding-%d", i), publicKeyOf(t, p.keys[strangerEmail])))
		}
		writeKeyList(w, append(padding, reader)...)
	}
	cases := []struct {
		name     string
		handler  http.HandlerFunc
		remember bool // the list is to be believed: the id it gives is cached
		logs     string
	}{
		{"oversized, though it names the key", oversized, false, "larger than"},
		{"not JSON", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>{{{ not json")) }, false, "not a JSON Web Key Set"},
		{"keys of the wrong type", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"keys":"all of them"}`)) }, false, "not a JSON Web Key Set"},
		{"fields of the wrong type", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[{"kty":"RSA","kid":7,"n":[],"e":{}}]}`))
		}, false, "not a JSON Web Key Set"},
		{"damaged modulus", func(w http.ResponseWriter, _ *http.Request) {
			k := withField(reader, "n", "!!not base64!!")
			writeKeyList(w, k)
		}, false, "does not name this key"},
		{"an id no JWT header should carry", func(w http.ResponseWriter, _ *http.Request) {
			writeKeyList(w, withField(reader, "kid", `x","alg":"none`), withField(reader, "kid", strings.Repeat("a", maxKeyIDLength+1)))
		}, false, "does not name this key"},
		{"not an RSA key", func(w http.ResponseWriter, _ *http.Request) { writeKeyList(w, withField(reader, "kty", "EC")) }, false, "does not name this key"},
		{"server error", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusInternalServerError) }, false, "answered 500"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://10.0.0.1/", http.StatusFound)
		}, false, "answered 302"},
		{"padded base64 and a leading zero byte", func(w http.ResponseWriter, _ *http.Request) {
			pub := publicKeyOf(t, p.keys[readerEmail])
			k := withField(reader, "n", base64.URLEncoding.EncodeToString(append([]byte{0}, pub.N.Bytes()...)))
			writeKeyList(w, k)
		}, true, "gcs key id remembered"},
		{"a lie: the key under an id that is not its own", func(w http.ResponseWriter, _ *http.Request) {
			writeKeyList(w, withField(reader, "kid", "0000000000000000000000000000000000000000"))
		}, true, "gcs key id remembered"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := p.harness(t, func(cfg *Config) { cfg.CertsURL = keyListServer(t, c.handler) })
			for _, run := range []string{"first", "repeat"} {
				report, err := h.validate(t, target)
				if err != nil {
					t.Fatalf("%s validation: %v", run, err)
				}
				providerchecktest.WantChecks(t, report, allChecks)
			}
			if _, ok := h.cachedKeyID(t, target); ok != c.remember {
				t.Errorf("key id cached: %v, want %v", ok, c.remember)
			}
			if !strings.Contains(h.log.String(), c.logs) {
				t.Errorf("the debug log does not mention %q:\n%s", c.logs, h.log.String())
			}
		})
	}
	t.Run("a key list that never answers delays nothing", func(t *testing.T) {
		entered, release := make(chan struct{}, 1), make(chan struct{})
		stalled := keyListServer(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case entered <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		var once sync.Once
		answer := func() { once.Do(func() { close(release) }) }
		t.Cleanup(answer) // before the server's Close, which waits for the handler
		const timeout = 5 * time.Second
		h := p.harness(t, func(cfg *Config) { cfg.CertsURL = stalled; cfg.Timeout = timeout })
		start := time.Now()
		if _, err := h.v.Validate(context.Background(), target); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if took := time.Since(start); took >= timeout {
			t.Errorf("the validation took %s: it waited for the stalled key list", took)
		}
		select {
		case <-entered:
		case <-time.After(timeout):
			t.Fatal("the key list was never asked")
		}
		answer()
		h.v.lookups.Wait()
		if _, ok := h.cachedKeyID(t, target); ok {
			t.Error("an empty answer was believed")
		}
	})
	t.Run("a key list the SSRF guard refuses", func(t *testing.T) {
		h := p.harness(t, func(cfg *Config) { cfg.CertsURL = "http://10.0.0.1/jwk/" })
		if _, err := h.validate(t, target); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if log := h.log.String(); !strings.Contains(log, "gcs key id lookup failed") {
			t.Errorf("the debug log does not show the refused lookup:\n%s", log)
		}
	})
}

// The cache is bounded, and forgets a refused id only if no newer one replaced it.
func TestKeyIDCacheBounds(t *testing.T) {
	c := newKeyIDCache()
	ref := func(i int) keyRef { return keyRef{email: fmt.Sprintf("sa-%d@x.iam.gserviceaccount.com", i)} }
	for i := range maxKnownKeyIDs + 10 {
		c.put(ref(i), "kid")
	}
	if len(c.ids) != maxKnownKeyIDs {
		t.Errorf("the cache holds %d ids, want at most %d", len(c.ids), maxKnownKeyIDs)
	}
	if kid, ok := c.get(ref(maxKnownKeyIDs + 9)); !ok || kid != "kid" {
		t.Error("the newest id was evicted")
	}
	c.put(ref(0), "newer")
	c.forget(ref(0), "older")
	if kid, _ := c.get(ref(0)); kid != "newer" {
		t.Errorf("forgetting a stale id dropped the newer %q", kid)
	}
	c.forget(ref(0), "newer")
	if _, ok := c.get(ref(0)); ok {
		t.Error("forget left the refused id")
	}
	for i := range maxKeyIDLookups {
		if !c.beginLookup(ref(i)) {
			t.Fatalf("lookup %d refused below the bound", i)
		}
	}
	if c.beginLookup(ref(maxKeyIDLookups)) || c.beginLookup(ref(0)) {
		t.Error("a lookup past the bound, or of a key already being looked up, was allowed")
	}
	c.endLookup(ref(0))
	if !c.beginLookup(ref(0)) {
		t.Error("a finished lookup still counts")
	}
}

func TestNewNormalizesCertsURL(t *testing.T) {
	for given, want := range map[string]string{
		"":                             DefaultCertsURL,
		"https://keys.example.com/jwk": "https://keys.example.com/jwk/",
		"http://127.0.0.1:9/jwk/":      "http://127.0.0.1:9/jwk/",
	} {
		v, err := New(Config{HTTPClient: guardedClient(t), CertsURL: given})
		if err != nil {
			t.Fatalf("New with CertsURL %q: %v", given, err)
		}
		if v.certsURL != want {
			t.Errorf("CertsURL %q became %q, want %q", given, v.certsURL, want)
		}
	}
}

// keyListServer serves handler on 127.0.0.1 and returns its base URL for CertsURL.
func keyListServer(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL + "/jwk/"
}

// writeKeyList answers with a JSON Web Key Set of keys.
func writeKeyList(w http.ResponseWriter, keys ...map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

// jwkOf is pub as Google lists it under kid.
func jwkOf(kid string, pub *rsa.PublicKey) map[string]string {
	enc := base64.RawURLEncoding
	return map[string]string{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
		"n": enc.EncodeToString(pub.N.Bytes()), "e": enc.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}
}

// withField returns a copy of key with field set to value.
func withField(key map[string]string, field, value string) map[string]string {
	out := maps.Clone(key)
	out[field] = value
	return out
}

// publicKeyOf is the public half of a PKCS#8 PEM private key.
func publicKeyOf(t testing.TB, pemKey string) *rsa.PublicKey {
	t.Helper()
	block, _ := pem.Decode([]byte(pemKey))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return &key.(*rsa.PrivateKey).PublicKey
}
