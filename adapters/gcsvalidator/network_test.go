package gcsvalidator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/fakegcs"
	"github.com/bucketd/bucketd/testsupport/hostile"
	"github.com/bucketd/bucketd/testsupport/iampeer"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// Every request, the token exchange and the key list included, must go through the
// configured client: it is the one whose dialer enforces the SSRF guard. A key file costs the
// two API requests alone; a bare PEM key's first validation costs the token request and the
// account's key list more, and its repeat validation, its key id now known, what a key file's
// does.
func TestValidateSendsEverythingThroughTheClient(t *testing.T) {
	p := startPeer(t)
	api := []string{"GET /storage/v1/b/full-bucket", "GET /storage/v1/b/full-bucket/iam/testPermissions"}
	firstPEM := append([]string{"POST /token", "GET " + p.keyListPath(readerEmail)}, api...)
	counting := &countingTransport{base: guardedClient(t).Transport}
	h := p.harness(t, func(cfg *Config) { cfg.HTTPClient = netguard.NewClient(counting) })
	for _, c := range []struct {
		name string
		form credentialForm
		want []string
	}{
		{"key file", keyFileForm, api},
		{"PEM key, first validation", pemForm, firstPEM},
		{"PEM key, repeat validation", pemForm, api},
	} {
		t.Run(c.name, func(t *testing.T) {
			sentBefore, before := counting.n.Load(), len(p.Requests())
			if _, err := h.validate(t, p.targetAs(c.form, "full-bucket", readerEmail)); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			served := slices.Sorted(slices.Values(p.Requests()[before:]))
			if want := slices.Sorted(slices.Values(c.want)); !slices.Equal(served, want) {
				t.Errorf("the peer served %q, want %q", served, want)
			}
			if sent := counting.n.Load() - sentBefore; sent != int64(len(served)) {
				t.Errorf("the client carried %d requests, the peer served %d; every request must go through the client", sent, len(served))
			}
		})
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestValidateUnreachable(t *testing.T) {
	p := startPeer(t)
	h := newHarness(t, p.TokenURL, nil)
	plainAsTLS := strings.Replace(p.URL, "http://", "https://", 1)
	for name, c := range map[string]struct {
		endpoint string
		says     []string
	}{
		"closed port":              {providerchecktest.ClosedPortURL(t), []string{"connect: cannot reach", "connection refused"}},
		"https against plain http": {plainAsTLS, []string{"connect: cannot reach " + plainAsTLS, "is the endpoint plain http?"}},
	} {
		for _, form := range forms {
			t.Run(name+"/"+form.name, func(t *testing.T) {
				key, secret := form.credentials(p, readerEmail)
				report, err := h.validate(t, gcsTarget(c.endpoint, "full-bucket", key, secret))
				providerchecktest.WantKind(t, err, domain.KindEndpointUnreachable, c.says...)
				// A bare PEM key's token exchange succeeds, so only the API endpoint fails; a key
				// file's authentication needs the API, so it stays undecided.
				auth := domain.CheckPass
				if form.selfSigned {
					auth = domain.CheckSkip
				}
				providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkConnect: domain.CheckFail, checkAuth: auth,
					checkBucket: domain.CheckSkip, checkPermissions: domain.CheckSkip})
			})
		}
	}
}

// The token endpoint serves bare PEM keys only: its failures fail those, and key files never
// notice them.
func TestValidateTokenEndpointFailures(t *testing.T) {
	p := startPeer(t)
	brokenServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"internal_failure"}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(brokenServer.Close)
	broken := brokenServer.URL
	for name, c := range map[string]struct {
		tokenURL string
		kind     domain.Kind
		says     []string
	}{
		"unreachable": {providerchecktest.ClosedPortURL(t) + "/token", domain.KindEndpointUnreachable,
			[]string{"authenticate: cannot reach the token endpoint http://127.0.0.1:", "connection refused"}},
		"failing": {broken + "/token", domain.KindProviderError,
			[]string{"authenticate: the token endpoint " + broken + "/token failed with 503 Service Unavailable (internal_failure); retry later"}},
		"stalled": {providerchecktest.HangingURL(t) + "/token", domain.KindProviderTimeout, []string{"authenticate:", "did not answer within 500ms"}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, c.tokenURL, func(cfg *Config) { cfg.Timeout = 500 * time.Millisecond })
			start := time.Now()
			report, err := h.validate(t, p.targetAs(pemForm, "full-bucket", readerEmail))
			providerchecktest.WantKind(t, err, c.kind, c.says...)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("validation took %v with a 500ms deadline", took)
			}
			providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkConnect: domain.CheckSkip, checkAuth: domain.CheckFail,
				checkBucket: domain.CheckSkip, checkRegion: domain.CheckSkip, checkPermissions: domain.CheckSkip})

			report, err = h.validate(t, p.targetAs(keyFileForm, "full-bucket", readerEmail))
			if err != nil {
				t.Errorf("a key file failed with the token endpoint %s: %v", name, err)
			}
			providerchecktest.WantChecks(t, report, allChecks)
		})
	}
}

// A server error says nothing about a self-signed JWT: authenticate is neither passed nor
// failed, and the failing API decides the error.
func TestValidateServerErrorLeavesAuthUndecided(t *testing.T) {
	p := startPeer(t)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"code":503,"message":"Backend Error","errors":[{"reason":"backendError","message":"Backend Error"}]}}`))
	}))
	t.Cleanup(failing.Close)
	h := newHarness(t, p.TokenURL, nil)
	report, err := h.validate(t, gcsTarget(failing.URL, "full-bucket", "", p.keyFiles[readerEmail]))
	providerchecktest.WantKind(t, err, domain.KindProviderError, "bucket: "+failing.URL+" failed with 503 Service Unavailable (backendError); retry later")
	providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckSkip,
		checkBucket: domain.CheckFail, checkRegion: domain.CheckSkip, checkPermissions: domain.CheckFail})
}

func TestValidateHonoursCancellation(t *testing.T) {
	p := startPeer(t)
	h := newHarness(t, p.TokenURL, func(cfg *Config) { cfg.Timeout = time.Minute })
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			key, secret := form.credentials(p, readerEmail)
			_, err := h.v.Validate(ctx, gcsTarget(providerchecktest.HangingURL(t), "full-bucket", key, secret))
			providerchecktest.WantKind(t, err, domain.KindProviderTimeout, "connect: the validation was canceled")
		})
	}
}

func TestTransportContract(t *testing.T) {
	// A key file signs its own JWT, so the API endpoint under test is the only one asked; the
	// token endpoint, which a bare PEM key would need first, is one nothing listens on.
	p := fakegcs.Start(t)
	_, keyFile := p.NewServiceAccount(t, readerEmail, readerPermissions...)
	tokenURL := providerchecktest.ClosedPortURL(t) + "/token"
	providerchecktest.RunTransportContract(t, providerchecktest.Harness{
		New: func(opts providercheck.Options) (ports.CredentialValidator, error) {
			return New(Config{HTTPClient: opts.HTTPClient, AllowList: opts.AllowList, Timeout: opts.Timeout, Logger: opts.Logger,
				TokenURL: tokenURL})
		},
		Target: func(endpoint string) domain.ValidationTarget {
			return gcsTarget(endpoint, "contract-bucket", "", keyFile)
		},
	})
}

// hostileRoute is one way the validator reaches a hostile peer, and what the peer is to it.
type hostileRoute struct {
	role    providerchecktest.PeerRole
	harness providerchecktest.Harness
}

// hostileRoutes are the ways the validator reaches peer: as the API, which a key file needs
// alone; as the token endpoint (and the key lists) that a bare PEM key needs first; as the IAM
// Credentials API, and as the token endpoint of bucketd's own identity, that impersonation
// needs; and as the key lists alone, which a validation does without. The rest is a fake GCS
// where the accounts may read the bucket.
func hostileRoutes(tb testing.TB, peer *hostile.Peer) map[string]hostileRoute {
	p := fakegcs.Start(tb)
	pemKey, keyFile := p.NewServiceAccount(tb, readerEmail, readerPermissions...)
	p.CreateBucket(tb, "contract-bucket", bucketLocation)
	_, ownFile := p.NewServiceAccount(tb, bucketdEmail)
	p.NewKeylessServiceAccount(tb, impReaderEmail, readerPermissions...)
	iam := iampeer.Start(tb, p)
	iam.Allow(bucketdEmail, impReaderEmail)
	impersonating := func(string) domain.ValidationTarget {
		tg := gcsTarget(p.URL, "contract-bucket", impReaderEmail, "")
		tg.Credentials.Kind = domain.CredentialGCSImpersonation
		return tg
	}
	impersonator := func(tokenURL, iamURL string) func(providercheck.Options) (ports.CredentialValidator, error) {
		return func(opts providercheck.Options) (ports.CredentialValidator, error) {
			return New(Config{HTTPClient: opts.HTTPClient, AllowList: opts.AllowList, Timeout: opts.Timeout, Logger: opts.Logger,
				TokenURL: tokenURL, IAMCredentialsURL: iamURL, Identity: domain.NewSecret(ownFile)})
		}
	}
	validator := func(tokenURL, certsURL string) func(providercheck.Options) (ports.CredentialValidator, error) {
		return func(opts providercheck.Options) (ports.CredentialValidator, error) {
			return New(Config{HTTPClient: opts.HTTPClient, AllowList: opts.AllowList, Timeout: opts.Timeout, Logger: opts.Logger,
				TokenURL: tokenURL, CertsURL: certsURL})
		}
	}
	return map[string]hostileRoute{
		"API": {providerchecktest.Decides, providerchecktest.Harness{
			New: validator(p.TokenURL, p.CertsURL),
			Target: func(endpoint string) domain.ValidationTarget {
				return gcsTarget(endpoint, "contract-bucket", "", keyFile)
			},
		}},
		"token endpoint": {providerchecktest.Decides, providerchecktest.Harness{
			New: validator(peer.URL+"/token", peer.URL+"/jwk/"),
			Target: func(endpoint string) domain.ValidationTarget {
				return gcsTarget(endpoint, "contract-bucket", readerEmail, pemKey)
			},
		}},
		"IAM Credentials, impersonating": {providerchecktest.Decides, providerchecktest.Harness{
			New: impersonator(p.TokenURL, peer.URL), Target: impersonating,
		}},
		"token endpoint, for bucketd's own token": {providerchecktest.Decides, providerchecktest.Harness{
			New: impersonator(peer.URL+"/token", iam.URL), Target: impersonating,
		}},
		"key list": {providerchecktest.Aside, providerchecktest.Harness{
			New:    validator(p.TokenURL, peer.URL+"/jwk/"),
			Target: func(string) domain.ValidationTarget { return gcsTarget(p.URL, "contract-bucket", readerEmail, pemKey) },
		}},
	}
}

func TestHostileContract(t *testing.T) {
	peer := hostile.Start(t)
	for name, route := range hostileRoutes(t, peer) {
		t.Run(name, func(t *testing.T) { providerchecktest.RunHostileContractWith(t, peer, route.role, route.harness) })
	}
}
