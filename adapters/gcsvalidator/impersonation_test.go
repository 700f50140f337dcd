package gcsvalidator

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/iampeer"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// The accounts of the impersonation tests: bucketd's own, with a key, and the keyless accounts
// it may (or may not) impersonate.
const (
	bucketdEmail     = "bucketd@operator.iam.gserviceaccount.com"
	impReaderEmail   = "imp-reader@customer.iam.gserviceaccount.com"
	impWriterEmail   = "imp-writer@customer.iam.gserviceaccount.com"
	impStrangerEmail = "imp-stranger@customer.iam.gserviceaccount.com"
	impGhostEmail    = "imp-ghost@customer.iam.gserviceaccount.com"
)

// impersonation is a fake GCS, an IAM Credentials peer on it, and bucketd's own key file.
type impersonation struct {
	peer
	iam     *iampeer.Peer
	ownFile string
}

func startImpersonation(t testing.TB) impersonation {
	t.Helper()
	p := startPeer(t)
	_, ownFile := p.NewServiceAccount(t, bucketdEmail)
	p.NewKeylessServiceAccount(t, impReaderEmail, readerPermissions...)
	p.NewKeylessServiceAccount(t, impWriterEmail, writerPermissions...)
	p.NewKeylessServiceAccount(t, impStrangerEmail, readerPermissions...)
	iam := iampeer.Start(t, p.Server)
	for _, target := range []string{impReaderEmail, impWriterEmail, impGhostEmail} {
		iam.Allow(bucketdEmail, target)
	}
	return impersonation{peer: p, iam: iam, ownFile: ownFile}
}

// harness is a validator with bucketd's identity, minting at the IAM peer.
func (w impersonation) harness(t testing.TB, modify func(*Config)) harness {
	t.Helper()
	return w.peer.harness(t, func(cfg *Config) {
		cfg.Identity = domain.NewSecret(w.ownFile)
		cfg.IAMCredentialsURL = w.iam.URL
		if modify != nil {
			modify(cfg)
		}
	})
}

// impersonating is a target on the fake GCS that names account to impersonate.
func (w impersonation) impersonating(bucket, account string) domain.ValidationTarget {
	tg := w.target(bucket, account, "")
	tg.Credentials.Kind = domain.CredentialGCSImpersonation
	return tg
}

// tokenRequests counts the token endpoint's requests: bucketd's own token exchanges here.
func (w impersonation) tokenRequests() int {
	return len(slices.DeleteFunc(w.Requests(), func(r string) bool { return r != "POST /token" }))
}

func TestImpersonationValidates(t *testing.T) {
	w := startImpersonation(t)
	h := w.harness(t, nil)
	report, err := h.validate(t, w.impersonating("full-bucket", impReaderEmail))
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	providerchecktest.WantChecks(t, report, allChecks)
	auth := providerchecktest.Check(t, report, checkAuth).Message
	if !strings.Contains(auth, "bucketd's service account "+bucketdEmail+" impersonates service account imp-….com") {
		t.Errorf("authenticate says %q, want it to name bucketd's account and the impersonated one's hint", auth)
	}

	tg := w.impersonating("full-bucket", impWriterEmail)
	tg.Mode = domain.ValidateReadWrite
	if _, err := h.validate(t, tg); err != nil {
		t.Fatalf("readwrite Validate: %v", err)
	}
	mints := w.iam.Mints()
	if len(mints) != 2 || mints[0].Scopes[0] != scopeReadOnly || mints[1].Scopes[0] != scopeReadWrite ||
		mints[0].Caller != bucketdEmail || mints[0].Lifetime != mintedLifetime {
		t.Errorf("mints %+v, want one read-only and one read-write token of 900s, minted for %s", mints, bucketdEmail)
	}
}

func TestImpersonationWithoutTheWriteRoleIsRefusedInReadWriteMode(t *testing.T) {
	w := startImpersonation(t)
	tg := w.impersonating("full-bucket", impReaderEmail)
	tg.Mode = domain.ValidateReadWrite
	_, err := w.harness(t, nil).validate(t, tg)
	providerchecktest.WantKind(t, err, domain.KindAccessDenied, "permissions: service account imp-….com lacks storage.objects.create")
}

func TestImpersonationRefusals(t *testing.T) {
	w := startImpersonation(t)
	refusedBeforeAsking := map[string]domain.CheckStatus{checkConnect: domain.CheckSkip, checkAuth: domain.CheckFail,
		checkBucket: domain.CheckSkip, checkRegion: domain.CheckSkip, checkPermissions: domain.CheckSkip}
	withSecret := w.impersonating("full-bucket", impReaderEmail)
	withSecret.Credentials.Secret = domain.NewSecret(w.keys[readerEmail])
	wrongKind := w.impersonating("full-bucket", impReaderEmail)
	wrongKind.Credentials.Kind = domain.CredentialAWSRole
	for _, tc := range []struct {
		name      string
		target    domain.ValidationTarget
		kind      domain.Kind
		fragments []string
		// asks says whether IAM Credentials is asked at all.
		asks bool
	}{
		{"not permitted", w.impersonating("full-bucket", impStrangerEmail), domain.KindAccessDenied, []string{
			"authenticate: bucketd's service account " + bucketdEmail + " may not impersonate service account imp-….com (PERMISSION_DENIED: ",
			"grant roles/iam.serviceAccountTokenCreator on service account imp-….com to " + bucketdEmail,
			"--member=serviceAccount:" + bucketdEmail + " --role=roles/iam.serviceAccountTokenCreator",
		}, true},
		{"unknown account", w.impersonating("full-bucket", impGhostEmail), domain.KindInvalidCredentials, []string{
			"authenticate: service account imp-….com does not exist (NOT_FOUND: Not found; Gaia id not found for email imp-….com)",
		}, true},
		{"malformed email", w.impersonating("full-bucket", "imp-reader@customer/../x"), domain.KindInvalidInput, []string{
			"authenticate: key imp-…../x is not a service account's email",
		}, false},
		{"a secret", withSecret, domain.KindInvalidInput, []string{"GCS_IMPERSONATION credentials take no secret"}, false},
		{"another provider's kind", wrongKind, domain.KindInvalidInput, []string{"credential kind AWS_ROLE is not for GCS buckets"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(w.iam.Mints())
			report, err := w.harness(t, nil).validate(t, tc.target)
			providerchecktest.WantKind(t, err, tc.kind, tc.fragments...)
			if !tc.asks {
				providerchecktest.WantChecks(t, report, refusedBeforeAsking)
			}
			if got := len(w.iam.Mints()); got != before {
				t.Errorf("a refused impersonation minted %d tokens", got-before)
			}
		})
	}
}

func TestImpersonationNeedsTheServersIdentity(t *testing.T) {
	w := startImpersonation(t)
	h := w.peer.harness(t, func(cfg *Config) { cfg.IAMCredentialsURL = w.iam.URL })
	_, err := h.validate(t, w.impersonating("full-bucket", impReaderEmail))
	providerchecktest.WantKind(t, err, domain.KindNotImplemented, "this server has no Google identity of its own", "--gcs-identity-file")
	if len(w.Requests()) != 0 {
		t.Errorf("a server without an identity asked the peer %q", w.Requests())
	}
}

func TestImpersonationEndpointFailures(t *testing.T) {
	w := startImpersonation(t)
	t.Run("IAM Credentials unreachable", func(t *testing.T) {
		closed := providerchecktest.ClosedPortURL(t)
		h := w.harness(t, func(cfg *Config) { cfg.IAMCredentialsURL = closed })
		_, err := h.validate(t, w.impersonating("full-bucket", impReaderEmail))
		providerchecktest.WantKind(t, err, domain.KindEndpointUnreachable, "the IAM Credentials endpoint "+closed)
	})
	t.Run("bucketd's own key refused", func(t *testing.T) {
		w := startImpersonation(t)
		w.DeleteKey(t, bucketdEmail)
		_, err := w.harness(t, nil).validate(t, w.impersonating("full-bucket", impReaderEmail))
		providerchecktest.WantKind(t, err, domain.KindProviderError,
			"refused bucketd's own service account "+bucketdEmail+" (invalid_grant", "checks the key in --gcs-identity-file")
	})
}

func TestImpersonationTokensAreCached(t *testing.T) {
	w := startImpersonation(t)
	h := w.harness(t, nil)
	clock := time.Now()
	var mu sync.Mutex
	h.v.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	w.iam.SetClock(h.v.now)
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); clock = clock.Add(d) }
	reader := w.impersonating("full-bucket", impReaderEmail)
	wantCounts := func(t *testing.T, mints, ownTokens int) {
		t.Helper()
		if got := len(w.iam.Mints()); got != mints {
			t.Errorf("%d tokens minted, want %d", got, mints)
		}
		if got := w.tokenRequests(); got != ownTokens {
			t.Errorf("bucketd's own token fetched %d times, want %d", got, ownTokens)
		}
	}

	t.Run("one mint for many validations, concurrent ones included", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if _, err := h.v.Validate(context.Background(), reader); err != nil {
					t.Errorf("Validate: %v", err)
				}
			})
		}
		wg.Wait()
		for range 3 {
			if _, err := h.validate(t, reader); err != nil {
				t.Fatal(err)
			}
		}
		wantCounts(t, 1, 1)
	})
	t.Run("renewed shortly before it expires", func(t *testing.T) {
		advance(mintedLifetime - renewBefore - time.Second)
		if _, err := h.validate(t, reader); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, 1, 1)
		advance(2 * time.Second)
		if _, err := h.validate(t, reader); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, 2, 1) // bucketd's own token lives an hour
		advance(time.Hour)
		if _, err := h.validate(t, reader); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, 3, 2)
	})
	t.Run("a token the API refuses is minted anew", func(t *testing.T) {
		w.RevokeTokens(impReaderEmail)
		if _, err := h.validate(t, reader); err != nil {
			t.Fatalf("Validate after the cached token was revoked: %v", err)
		}
		wantCounts(t, 4, 2)
	})
	t.Run("a refusal is not cached", func(t *testing.T) {
		stranger := w.impersonating("full-bucket", impStrangerEmail)
		for range 2 {
			_, err := h.validate(t, stranger)
			providerchecktest.WantKind(t, err, domain.KindAccessDenied, tokenCreatorRole)
		}
		w.iam.Allow(bucketdEmail, impStrangerEmail)
		if _, err := h.validate(t, stranger); err != nil {
			t.Fatalf("Validate once the role is granted: %v", err)
		}
	})
}

func TestNewRefusesABadIdentity(t *testing.T) {
	w := startImpersonation(t)
	for name, tc := range map[string]struct {
		identity, iamURL, want string
	}{
		"not a key file":  {w.keys[readerEmail], "", "Config.Identity must be a service-account JSON key file"},
		"damaged key":     {w.editedKeyFile(t, readerEmail, "private_key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "", "Config.Identity: the PEM private key in secret is damaged"},
		"IAM URL a path":  {w.ownFile, "https://iamcredentials.googleapis.com/v1", "Config.IAMCredentialsURL"},
		"IAM URL no http": {w.ownFile, "ftp://iam", "Config.IAMCredentialsURL"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(Config{HTTPClient: guardedClient(t), Identity: domain.NewSecret(tc.identity), IAMCredentialsURL: tc.iamURL})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
			for _, part := range secretParts(domain.Credentials{Secret: domain.NewSecret(tc.identity)}) {
				if strings.Contains(err.Error(), part) {
					t.Errorf("the error %q shows part of the key", err)
				}
			}
		})
	}
}
