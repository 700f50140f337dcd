package gcsvalidator

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2/google"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// allChecks is the status of every check of a passing validation.
var allChecks = map[string]domain.CheckStatus{
	checkConnect: domain.CheckPass, checkAuth: domain.CheckPass, checkBucket: domain.CheckPass,
	checkRegion: domain.CheckPass, checkPermissions: domain.CheckPass,
}

// Every case is validated by a validator that never finds a bare PEM key's id, so each such
// key takes the token exchange, and twice by one that looks the id up: the first validation
// exchanges and remembers the id of a key Google accepted, the repeat signs with it. All
// three must come out alike.
func TestValidateAgainstFakeGCS(t *testing.T) {
	p := startPeer(t)
	reader := func(bucket string) domain.ValidationTarget { return p.target(bucket, readerEmail, p.keys[readerEmail]) }
	with := func(tg domain.ValidationTarget, change func(*domain.ValidationTarget)) domain.ValidationTarget {
		change(&tg)
		return tg
	}
	readWrite := func(tg *domain.ValidationTarget) { tg.Mode = domain.ValidateReadWrite }
	// Credentials refused before any API request (unreadable, or a bare PEM key the token
	// endpoint refuses): connect is undecided too.
	refused := map[string]domain.CheckStatus{checkConnect: domain.CheckSkip, checkAuth: domain.CheckFail,
		checkBucket: domain.CheckSkip, checkRegion: domain.CheckSkip, checkPermissions: domain.CheckSkip}
	// A self-signed JWT the API refuses with 401: the endpoint answered, the credentials failed.
	jwtRefused := map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckFail,
		checkBucket: domain.CheckSkip, checkRegion: domain.CheckSkip, checkPermissions: domain.CheckSkip}
	rejectedJWT := func(hint string) []string {
		return []string{"authenticate: Google rejected service account " + hint + " (authError: Invalid Credentials)",
			"check that the private key belongs to this client email and that key and account are enabled"}
	}
	authError := map[string]string{checkAuth: "authError"}

	cases := []struct {
		name   string
		target domain.ValidationTarget
		kind   domain.Kind // KindInternal here means "no error"
		says   []string
		checks map[string]domain.CheckStatus
		code   map[string]string
	}{
		{name: "client email and PEM private key", target: reader("full-bucket"), checks: allChecks},
		{name: "empty bucket", target: reader("empty-bucket"), checks: allChecks},
		{name: "whole service-account JSON with its client email as key",
			target: p.target("full-bucket", readerEmail, p.keyFiles[readerEmail]), checks: allChecks},
		{name: "whole service-account JSON without a key",
			target: p.target("full-bucket", "", p.keyFiles[readerEmail]), checks: allChecks},
		{name: "PEM pasted with literal \\n sequences",
			target: p.target("full-bucket", readerEmail, strings.ReplaceAll(p.keys[readerEmail], "\n", `\n`)), checks: allChecks},
		{name: "PKCS#1 PEM", target: p.target("full-bucket", readerEmail, pkcs1(t, p.keys[readerEmail])), checks: allChecks},
		{
			name: "another account's private key", target: p.target("full-bucket", readerEmail, p.keys[strangerEmail]),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: Google rejected service account read….com",
				"invalid_grant: Invalid JWT Signature.", "check that the private key belongs to this client email"},
			checks: refused, code: map[string]string{checkAuth: "invalid_grant"},
		},
		{
			name: "unknown client email", target: p.target("full-bucket", unknownEmail, p.keys[readerEmail]),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: Google rejected service account ghos….com", "account not found"},
			checks: refused, code: map[string]string{checkAuth: "invalid_grant"},
		},
		{
			name: "PEM key that was disabled", target: p.target("full-bucket", disabledEmail, p.keys[disabledEmail]),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: Google rejected service account disa….com", "Invalid JWT Signature."},
			checks: refused, code: map[string]string{checkAuth: "invalid_grant"},
		},
		{
			name: "key file whose key was disabled", target: p.target("full-bucket", "", p.keyFiles[disabledEmail]),
			kind: domain.KindInvalidCredentials, says: rejectedJWT("disa….com"), checks: jwtRefused, code: authError,
		},
		{
			name: "key file whose key was deleted", target: p.target("full-bucket", "", p.keyFiles[deletedEmail]),
			kind: domain.KindInvalidCredentials, says: rejectedJWT("dele….com"), checks: jwtRefused, code: authError,
		},
		{
			name:   "key file holding another account's private key",
			target: p.target("full-bucket", "", p.editedKeyFile(t, readerEmail, "private_key", p.keys[strangerEmail])),
			kind:   domain.KindInvalidCredentials, says: rejectedJWT("read….com"), checks: jwtRefused, code: authError,
		},
		{
			name:   "key file naming another account's key",
			target: p.target("full-bucket", "", p.editedKeyFile(t, readerEmail, "private_key_id", keyID(t, p.keyFiles[strangerEmail]))),
			kind:   domain.KindInvalidCredentials, says: rejectedJWT("read….com"), checks: jwtRefused, code: authError,
		},
		{
			name: "key file of an unknown account", target: p.target("full-bucket", "", p.editedKeyFile(t, readerEmail, "client_email", unknownEmail)),
			kind: domain.KindInvalidCredentials, says: rejectedJWT("ghos….com"), checks: jwtRefused, code: authError,
		},
		{
			name: "account without storage.objects.list", target: p.target("full-bucket", noListEmail, p.keys[noListEmail]),
			kind: domain.KindAccessDenied, says: []string{"permissions: service account no-l….com lacks storage.objects.list on bucket full-bucket",
				"roles/storage.objectViewer"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkBucket: domain.CheckPass,
				checkRegion: domain.CheckPass, checkPermissions: domain.CheckFail},
		},
		{
			name: "account without storage.buckets.get", target: p.target("full-bucket", noBucketEmail, p.keys[noBucketEmail]),
			kind: domain.KindAccessDenied, says: []string{"bucket: access denied for service account no-b….com on bucket full-bucket",
				"grant storage.buckets.get"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkBucket: domain.CheckFail,
				checkRegion: domain.CheckSkip, checkPermissions: domain.CheckPass},
			code: map[string]string{checkBucket: "forbidden"},
		},
		{
			name: "key file of an account without storage.buckets.get", target: p.target("full-bucket", "", p.keyFiles[noBucketEmail]),
			kind: domain.KindAccessDenied, says: []string{"bucket: access denied for service account no-b….com on bucket full-bucket"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckPass, checkBucket: domain.CheckFail,
				checkRegion: domain.CheckSkip, checkPermissions: domain.CheckPass},
			code: map[string]string{checkBucket: "forbidden"},
		},
		{
			name: "missing bucket", target: reader("no-such-bucket"),
			kind: domain.KindBucketNotFound, says: []string{"bucket: bucket no-such-bucket does not exist at " + p.URL},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkBucket: domain.CheckFail,
				checkRegion: domain.CheckSkip, checkPermissions: domain.CheckFail},
			code: map[string]string{checkBucket: "notFound"},
		},
		{
			name: "key file on a missing bucket", target: p.target("no-such-bucket", "", p.keyFiles[readerEmail]),
			kind: domain.KindBucketNotFound, says: []string{"bucket: bucket no-such-bucket does not exist at " + p.URL},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckPass, checkBucket: domain.CheckFail,
				checkRegion: domain.CheckSkip, checkPermissions: domain.CheckFail},
			code: map[string]string{checkBucket: "notFound", checkPermissions: "notFound"},
		},
		{
			name: "bucket in another location", target: with(reader("eu-bucket"), func(tg *domain.ValidationTarget) { tg.Region = "US-EAST1" }),
			kind: domain.KindRegionMismatch, says: []string{"region: bucket eu-bucket is in EU, not US-EAST1; set region to EU"},
			checks: map[string]domain.CheckStatus{checkBucket: domain.CheckPass, checkRegion: domain.CheckFail, checkPermissions: domain.CheckPass},
		},
		{
			name: "readwrite for an account that may only read", target: with(reader("empty-bucket"), readWrite),
			kind: domain.KindAccessDenied, says: []string{"permissions: service account read….com lacks storage.objects.create, storage.objects.delete",
				"roles/storage.objectUser"},
			checks: map[string]domain.CheckStatus{checkBucket: domain.CheckPass, checkPermissions: domain.CheckFail},
		},
		{
			name: "readwrite with the key file of an account that may only read", target: with(p.target("empty-bucket", "", p.keyFiles[readerEmail]), readWrite),
			kind: domain.KindAccessDenied, says: []string{"permissions: service account read….com lacks storage.objects.create, storage.objects.delete"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkBucket: domain.CheckPass, checkPermissions: domain.CheckFail},
		},
		{
			name:   "readwrite for an account that may write",
			target: with(p.target("empty-bucket", writerEmail, p.keys[writerEmail]), readWrite), checks: allChecks,
		},
		{
			name:   "readwrite with the key file of an account that may write",
			target: with(p.target("empty-bucket", "", p.keyFiles[writerEmail]), readWrite), checks: allChecks,
		},
		{
			name: "malformed PEM", target: p.target("full-bucket", readerEmail, "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----"),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: secret is not a PEM private key"}, checks: refused,
		},
		{
			name: "PEM with a damaged body", target: p.target("full-bucket", readerEmail, damaged(p.keys[readerEmail])),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: the PEM private key in secret is damaged"}, checks: refused,
		},
		{
			name: "JSON key file of another account", target: p.target("full-bucket", readerEmail, p.keyFiles[writerEmail]),
			kind: domain.KindInvalidInput, says: []string{"authenticate: key read….com does not match the client_email writ….com"},
			checks: refused,
		},
		{
			name: "JSON that is no service-account key", target: p.target("full-bucket", readerEmail, `{"type":"authorized_user","client_secret":"hunter2hunter2hunter2hunter2"}`),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: the JSON in secret is not a service-account key file"},
			checks: refused,
		},
		{
			name: "HMAC access id without an HMAC validator", target: p.target("full-bucket", "GOOG1EXAMPLEHMACACCESSID0123456789", "hmac-secret-value-0123456789"),
			kind: domain.KindInvalidInput, says: []string{"authenticate: key GOOG…6789 is a GCS HMAC access id"}, checks: refused,
		},
		{
			name: "key that is no email", target: p.target("full-bucket", "bucketd-test-project", p.keys[readerEmail]),
			kind: domain.KindInvalidInput, says: []string{"authenticate: key buck…ject is not a service account's client email"}, checks: refused,
		},
	}
	validators := []struct {
		name string
		h    harness
		runs []string
	}{
		{"token exchange", newHarness(t, p.TokenURL, nil), []string{"only"}},
		{"key id looked up", p.harness(t, nil), []string{"first", "repeat"}},
	}
	for _, validator := range validators {
		for _, c := range cases {
			for _, run := range validator.runs {
				t.Run(validator.name+"/"+c.name+"/"+run, func(t *testing.T) {
					report, err := validator.h.validate(t, c.target)
					providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{Kind: c.kind, Says: c.says, Checks: c.checks, Codes: c.code})
					if c.kind == domain.KindInternal && report.Region != bucketLocation {
						t.Errorf("report region = %q, want %q", report.Region, bucketLocation)
					}
					if len(report.Checks) != 5 {
						t.Errorf("report has %d checks, want 5: %+v", len(report.Checks), report.Checks)
					}
				})
			}
		}
	}
}

// keyID is the private_key_id of a JSON key file.
func keyID(t *testing.T, file string) string {
	t.Helper()
	var f keyFile
	if err := json.Unmarshal([]byte(file), &f); err != nil || f.PrivateKeyID == "" {
		t.Fatalf("key file without private_key_id: %v", err)
	}
	return f.PrivateKeyID
}

// pkcs1 re-encodes a PKCS#8 PEM RSA key as PKCS#1 ("RSA PRIVATE KEY"), as older tools write it.
func pkcs1(t *testing.T, pkcs8 string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(pkcs8))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	rsaKey, ok := key.(*rsa.PrivateKey)
	if err != nil || !ok {
		t.Fatalf("test key is not an RSA key in PKCS#8: %v", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
}

// damaged keeps the PEM frame and base64 shape of key but cuts its body short.
func damaged(key string) string {
	lines := strings.Split(strings.TrimSpace(key), "\n")
	return strings.Join(append(lines[:3], lines[len(lines)-1]), "\n")
}

func TestValidateReadWriteLeavesNoTrace(t *testing.T) {
	p := startPeer(t)
	h := p.harness(t, nil)
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			target := p.targetAs(form, "empty-bucket", writerEmail)
			target.Mode = domain.ValidateReadWrite
			before := len(p.Requests())
			if _, err := h.validate(t, target); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if objects := p.Objects(t, "empty-bucket"); len(objects) != 0 {
				t.Errorf("bucket holds %v after a readwrite validation, want nothing", objects)
			}
			requests := p.Requests()[before:]
			if len(requests) == 0 {
				t.Fatal("the validation sent no API request")
			}
			for _, r := range requests {
				if !strings.HasPrefix(r, http.MethodGet+" ") && r != "POST /token" {
					t.Errorf("a readwrite validation sent %s; apart from the token exchange it must only read", r)
				}
			}
		})
	}
}

// The self-signed JWT must be what Google's own libraries send, or Google may refuse it: the
// same header and claims as golang.org/x/oauth2/google's JWT access token for the same key file
// and scope, except that it lives minutes rather than an hour.
func TestSelfSignedJWTMirrorsGoogle(t *testing.T) {
	p := startPeer(t)
	var mu sync.Mutex
	var bearers []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		bearers = append(bearers, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, `{"error":{"code":401,"message":"Invalid Credentials"}}`, http.StatusUnauthorized)
	}))
	t.Cleanup(api.Close)
	h := newHarness(t, providerchecktest.ClosedPortURL(t)+"/token", nil)
	for mode, scope := range map[domain.ValidationMode]string{domain.ValidateReadOnly: scopeReadOnly, domain.ValidateReadWrite: scopeReadWrite} {
		t.Run(string(mode), func(t *testing.T) {
			mu.Lock()
			bearers = nil
			mu.Unlock()
			target := gcsTarget(api.URL, "full-bucket", "", p.keyFiles[readerEmail])
			target.Mode = mode
			_, err := h.validate(t, target)
			providerchecktest.WantKind(t, err, domain.KindInvalidCredentials, "authenticate: ")
			mu.Lock()
			sent := slices.Clone(bearers)
			mu.Unlock()
			if len(sent) != 2 {
				t.Fatalf("the API got %d requests, want the bucket's attributes and the permission test", len(bearers))
			}
			source, err := google.JWTAccessTokenSourceWithScope([]byte(p.keyFiles[readerEmail]), scope)
			if err != nil {
				t.Fatal(err)
			}
			reference, err := source.Token()
			if err != nil {
				t.Fatal(err)
			}
			wantHeader, wantClaims := decodeJWT(t, reference.AccessToken)
			for _, bearer := range sent {
				jwt, ok := strings.CutPrefix(bearer, "Bearer ")
				if !ok {
					t.Fatalf("Authorization %q is no bearer", bearer)
				}
				header, claims := decodeJWT(t, jwt)
				if !maps.Equal(header, wantHeader) {
					t.Errorf("JWT header %v, want Google's %v", header, wantHeader)
				}
				lifetime := claims["exp"].(float64) - claims["iat"].(float64)
				issued := time.Unix(int64(claims["iat"].(float64)), 0)
				if lifetime <= 0 || lifetime > time.Hour.Seconds() || time.Since(issued) > time.Minute || time.Until(issued) > 0 {
					t.Errorf("JWT issued at %v for %vs; want it issued just now, for at most an hour", issued, lifetime)
				}
				for _, c := range []map[string]any{claims, wantClaims} {
					delete(c, "iat")
					delete(c, "exp")
				}
				if !maps.Equal(claims, wantClaims) || claims["scope"] != scope {
					t.Errorf("JWT claims %v, want Google's %v with scope %s", claims, wantClaims, scope)
				}
			}
		})
	}
}

// decodeJWT returns a JWT's header and claims, unverified.
func decodeJWT(t *testing.T, jwt string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("%d parts in a JWT, want 3", len(parts))
	}
	decode := func(part string) map[string]any {
		raw, err := base64.RawURLEncoding.DecodeString(part)
		if err != nil {
			t.Fatalf("JWT part: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("JWT part %s: %v", raw, err)
		}
		return m
	}
	return decode(parts[0]), decode(parts[1])
}

func TestValidateDefaultEndpoint(t *testing.T) {
	p := startPeer(t)
	h := newHarness(t, p.TokenURL, func(cfg *Config) { cfg.APIEndpoint = p.URL + "/" })
	report, err := h.validate(t, gcsTarget("", "full-bucket", readerEmail, p.keys[readerEmail]))
	if err != nil {
		t.Fatalf("Validate: %v; report %+v", err, report.Checks)
	}
	providerchecktest.WantChecks(t, report, allChecks)
}

func TestValidateRefusesTarget(t *testing.T) {
	h := newHarness(t, "", nil)
	// hidden must show up nowhere: not in the report, the error or the debug log.
	cases := []struct{ name, endpoint, says, hidden string }{
		{"plain http to a public host", "http://storage.example.com", "must use https", ""},
		{"user info in the endpoint", "https://me:hunter2-password@storage.example.com", "user info", "hunter2"},
		{"a user name in the endpoint", "https://token-as-user-name@storage.example.com", "user info", "token-as-user-name"},
		{"a query in the endpoint", "https://storage.example.com/?key=query-secret", "query", "query-secret"},
		{"a fragment in the endpoint", "https://storage.example.com#fragment-secret", "fragment", "fragment-secret"},
		{"a path in the endpoint", "https://storage.example.com/storage/v1", "must not contain a path", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			report, err := h.validate(t, gcsTarget(c.endpoint, "bucket", readerEmail, "not even a key"))
			providerchecktest.WantKind(t, err, domain.KindEndpointNotAllowed, "connect: ", c.says)
			providerchecktest.WantNoLeak(t, report, err, h.log.String(), c.hidden)
			providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkConnect: domain.CheckFail, checkAuth: domain.CheckSkip})
		})
	}
	t.Run("other storage type", func(t *testing.T) {
		target := gcsTarget("", "bucket", readerEmail, "secret")
		target.StorageType = domain.StorageS3
		_, err := h.v.Validate(context.Background(), target)
		providerchecktest.WantKind(t, err, domain.KindInternal)
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	guarded := guardedClient(t)
	for name, cfg := range map[string]Config{
		"no HTTP client":              {},
		"HTTP client on the default":  {HTTPClient: &http.Client{}},
		"negative timeout":            {HTTPClient: guarded, Timeout: -time.Second},
		"token URL that is no URL":    {HTTPClient: guarded, TokenURL: "oauth2.googleapis.com/token"},
		"certs URL that is no URL":    {HTTPClient: guarded, CertsURL: "www.googleapis.com/service_accounts/v1/metadata/jwk/"},
		"certs URL with a query":      {HTTPClient: guarded, CertsURL: "https://www.googleapis.com/jwk/?email="},
		"certs URL with user info":    {HTTPClient: guarded, CertsURL: "https://me:pw@www.googleapis.com/jwk/"},
		"certs URL of another scheme": {HTTPClient: guarded, CertsURL: "file:///etc/jwk/"},
		"API endpoint without scheme": {HTTPClient: guarded, APIEndpoint: "storage.googleapis.com"},
		"API endpoint with a path":    {HTTPClient: guarded, APIEndpoint: "https://storage.googleapis.com/storage/v1"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New with %s succeeded", name)
		}
	}
}

// BenchmarkValidate measures what a passing validation costs the server on loopback, with each
// form of credentials; BenchmarkValidateWallTime measures it in provider round trips.
func BenchmarkValidate(b *testing.B) {
	p := startPeer(b)
	h := newHarness(b, p.TokenURL, nil)
	for _, form := range forms {
		b.Run(form.name, func(b *testing.B) {
			target := p.targetAs(form, "full-bucket", readerEmail)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.v.Validate(ctx, target); err != nil {
					b.Fatalf("Validate: %v", err)
				}
			}
		})
	}
}

// Without a given region, the bucket's location is the detected region, and the region check
// says so; no request is added for it.
func TestValidateDetectsLocation(t *testing.T) {
	p := startPeer(t)
	h := p.harness(t, nil)
	for bucket, location := range map[string]string{"full-bucket": bucketLocation, "eu-bucket": "EU"} {
		t.Run(bucket, func(t *testing.T) {
			target := p.target(bucket, "", p.keyFiles[readerEmail])
			target.Region = ""
			report, err := h.validate(t, target)
			providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{Checks: allChecks})
			if report.Region != location {
				t.Errorf("report region = %q, want %q", report.Region, location)
			}
			if got := providerchecktest.Check(t, report, checkRegion); got.Message != providercheck.RegionDetected(bucket, location) {
				t.Errorf("region check = %+v, want it to say %s was detected", got, location)
			}
		})
	}
}
