package providerchecktest

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/helpertest"
	"github.com/bucketd/bucketd/testsupport/hostile"
)

func TestEveryHostileCaseHasAnOutcome(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(hostileOutcomes)), hostile.Cases(); !slices.Equal(got, want) {
		t.Errorf("outcomes for %q, want one for each case %q", got, want)
	}
}

// fakeValidator asks the target's endpoint once, with client or, when client is nil, the
// client the contract gave it, and reads the answer with read; what it returns is up to
// verdict.
type fakeValidator struct {
	client  *http.Client
	opts    providercheck.Options
	read    func(io.Reader) ([]byte, error)
	verdict func(body []byte, err error) error
}

func (f fakeValidator) Validate(ctx context.Context, target domain.ValidationTarget) (domain.ValidationReport, error) {
	start := time.Now()
	client := f.client
	if client == nil {
		client = f.opts.HTTPClient
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	r := providercheck.NewReport("list")
	var body []byte
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.Endpoint+"/bucket", nil)
	if err == nil {
		var res *http.Response
		if res, err = client.Do(req); err == nil {
			body, err = f.read(res.Body)
			res.Body.Close()
		}
	}
	if err := f.verdict(body, err); err != nil {
		r.Fail("list", "", err)
		return domain.ValidationReport{Checks: r.Finish(), Latency: time.Since(start)}, err
	}
	r.Pass("list", "listed")
	return domain.ValidationReport{Checks: r.Finish(), Latency: time.Since(start)}, nil
}

// harness builds f with the contract's options.
func (f fakeValidator) harness() Harness {
	return Harness{
		New: func(opts providercheck.Options) (ports.CredentialValidator, error) { f.opts = opts; return f, nil },
		Target: func(endpoint string) domain.ValidationTarget {
			return domain.ValidationTarget{Endpoint: endpoint, Credentials: domain.Credentials{Secret: domain.NewSecret("fake-secret")}}
		},
	}
}

var (
	readSome     = func(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 64<<10)) }
	providerSays = func(message string) func([]byte, error) error {
		return func([]byte, error) error { return domain.Errorf(domain.KindProviderError, "list: %s", message) }
	}
)

// The contract must fail a validator exactly when it mishandles a hostile peer: a contract
// that never fails would let every validator pass.
func TestHostileContractFailsWhenItShould(t *testing.T) {
	peer := hostile.Start(t)
	greedy := &http.Client{Timeout: 30 * time.Second} // follows redirects, reads without a cap
	for name, c := range map[string]struct {
		c     hostile.Case
		role  PeerRole
		v     fakeValidator
		fails bool
	}{
		"an HTML page classified": {hostile.HTML200, Decides,
			fakeValidator{read: readSome, verdict: providerSays("the provider answered a web page")}, false},
		"an HTML page as an internal error": {hostile.HTML200, Decides, fakeValidator{read: readSome,
			verdict: func([]byte, error) error { return domain.Errorf(domain.KindInternal, "list: boom") }}, true},
		"an HTML page passing": {hostile.HTML200, Decides,
			fakeValidator{read: readSome, verdict: func([]byte, error) error { return nil }}, true},
		"an aside peer's HTML page passing": {hostile.HTML200, Aside,
			fakeValidator{read: readSome, verdict: func([]byte, error) error { return nil }}, false},
		"an aside peer failing the validation": {hostile.HTML200, Aside,
			fakeValidator{read: readSome, verdict: providerSays("the key list is HTML")}, true},
		"the provider's text quoted whole": {hostile.HTML403, Decides, fakeValidator{read: readSome,
			verdict: func(body []byte, _ error) error {
				return domain.Errorf(domain.KindAccessDenied, "list: refused: %s", bytes.Repeat(body, 20))
			}}, true},
		"a control character quoted": {hostile.HTML200, Decides,
			fakeValidator{read: readSome, verdict: providerSays("the provider said \x1b[2J")}, true},
		"an endless body cut at the cap, named": {hostile.EndlessBody, Decides,
			fakeValidator{read: readSome, verdict: providerSays("the answer is larger than " + capWords)}, false},
		"an endless body cut at the cap, not named": {hostile.EndlessBody, Decides,
			fakeValidator{read: readSome, verdict: providerSays("the answer is too large")}, true},
		"an endless body read whole": {hostile.EndlessBody, Decides, fakeValidator{client: greedy, read: io.ReadAll,
			verdict: providerSays("the answer is larger than " + capWords)}, true},
		"a redirect followed": {hostile.Redirect302Self, Decides, fakeValidator{client: greedy, read: readSome,
			verdict: providerSays("redirected")}, true},
		"a trickle timed out, deadline named": {hostile.SlowEndlessBody, Decides, fakeValidator{read: io.ReadAll,
			verdict: func(_ []byte, err error) error {
				return domain.Errorf(domain.KindProviderTimeout, "list: no answer within %s (%v)", hostileTimeout, err != nil)
			}}, false},
		"a trickle timed out, deadline not named": {hostile.SlowEndlessBody, Decides, fakeValidator{read: io.ReadAll,
			verdict: func([]byte, error) error { return domain.Errorf(domain.KindProviderTimeout, "list: too slow") }}, true},
	} {
		t.Run(name, func(t *testing.T) {
			got := helpertest.Failures(t, func(tb testing.TB) {
				testHostileCase(tb, peer, c.role, c.v.harness(), c.c, hostileOutcomes[c.c])
			})
			if (len(got) > 0) != c.fails {
				t.Errorf("failures %q, want failing: %v", strings.Join(got, "; "), c.fails)
			}
		})
	}
}
