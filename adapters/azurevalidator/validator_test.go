package azurevalidator

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// wrongKey is a well-formed account key that is not the emulator's.
var wrongKey = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("not the emulator's key. ", 3)[:64]))

func TestValidateAgainstAzurite(t *testing.T) {
	s := emulator(t)
	h := newHarness(t, 0)
	good := func(endpoint, container string) domain.ValidationTarget {
		return azureTarget(endpoint, container, azurite.Account, azurite.Key)
	}
	allPass := map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckPass,
		checkContainer: domain.CheckPass, checkList: domain.CheckPass}
	cases := []struct {
		name   string
		target domain.ValidationTarget
		kind   domain.Kind // KindInternal here means "no error"
		says   []string
		checks map[string]domain.CheckStatus
		code   map[string]string
	}{
		{name: "right credentials on a container with blobs", target: good(s.URL, fullContainer), checks: allPass},
		{name: "right credentials on an empty container", target: good(s.URL, emptyContainer), checks: allPass},
		{name: "endpoint naming the account, as connection strings do", target: good(s.Endpoint(azurite.Account), fullContainer), checks: allPass},
		{name: "no region: Azure needs none and reports none", target: unplaced(good(s.URL, fullContainer)), checks: allPass},
		{
			name: "wrong key", target: azureTarget(s.URL, fullContainer, azurite.Account, wrongKey),
			kind: domain.KindInvalidCredentials,
			says: []string{"authenticate: ", "rejected the account key for account devstoreaccount1 (AuthorizationFailure)", "check the key"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckFail,
				checkContainer: domain.CheckSkip, checkList: domain.CheckSkip},
			code: map[string]string{checkAuth: "AuthorizationFailure"},
		},
		{
			name: "unknown account", target: azureTarget(s.URL, fullContainer, "nosuchaccount", azurite.Key),
			kind: domain.KindInvalidCredentials,
			says: []string{"authenticate: storage account nosuchaccount was not found", "check the account name in key"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckFail,
				checkContainer: domain.CheckSkip, checkList: domain.CheckSkip},
			code: map[string]string{checkAuth: "ResourceNotFound"},
		},
		{
			name: "missing container", target: good(s.URL, "no-such-container"),
			kind: domain.KindBucketNotFound,
			says: []string{"container: container no-such-container does not exist in account devstoreaccount1"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckPass,
				checkContainer: domain.CheckFail, checkList: domain.CheckFail},
			code: map[string]string{checkContainer: "ContainerNotFound", checkList: "ContainerNotFound"},
		},
		{
			name: "key that is not base64", target: azureTarget(s.URL, fullContainer, azurite.Account, "not*base64*at*all"),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: secret is not a valid Azure account key (base64)"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckSkip, checkAuth: domain.CheckFail,
				checkContainer: domain.CheckSkip, checkList: domain.CheckSkip},
		},
		{
			name: "account name and key swapped", target: azureTarget(s.URL, fullContainer, azurite.Key, azurite.Account),
			kind: domain.KindInvalidCredentials, says: []string{"authenticate: key is not a storage account name"},
			checks: map[string]domain.CheckStatus{checkConnect: domain.CheckSkip, checkAuth: domain.CheckFail},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			report, err := h.validate(t, c.target)
			providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{Kind: c.kind, Says: c.says, Checks: c.checks, Codes: c.code})
			if len(report.Checks) != 4 {
				t.Errorf("report has %d checks, want 4: %+v", len(report.Checks), report.Checks)
			}
			if report.Region != "" {
				t.Errorf("report region = %q; the blob service reports none", report.Region)
			}
		})
	}
}

// unplaced is target without a region.
func unplaced(target domain.ValidationTarget) domain.ValidationTarget {
	target.Region = ""
	return target
}

func TestValidateReadWrite(t *testing.T) {
	s := emulator(t)
	h := newHarness(t, 0)
	readWrite := func(endpoint, container, key string) domain.ValidationTarget {
		target := azureTarget(endpoint, container, azurite.Account, key)
		target.Mode = domain.ValidateReadWrite
		return target
	}

	t.Run("probe written and removed", func(t *testing.T) {
		s.CreateContainer(t, "readwrite-container")
		var mu sync.Mutex
		var puts []string
		endpoint := proxy(t, s, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if r.Method == http.MethodPut {
				mu.Lock()
				puts = append(puts, r.URL.EscapedPath()+" If-None-Match: "+r.Header.Get("If-None-Match"))
				mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
		report, err := h.validate(t, readWrite(endpoint, "readwrite-container", azurite.Key))
		if err != nil {
			t.Fatalf("Validate error = %v; report %+v", err, report.Checks)
		}
		providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkWrite: domain.CheckPass})
		if blobs := s.Blobs(t, "readwrite-container"); len(blobs) != 0 {
			t.Errorf("container holds %v after the probe, want it empty", blobs)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(puts) != 1 || !strings.HasPrefix(puts[0], "/devstoreaccount1/readwrite-container/.bucketd-probe%2F") ||
			!strings.HasSuffix(puts[0], " If-None-Match: *") {
			t.Errorf("PUT requests %q, want one conditional write under .bucketd-probe/", puts)
		}
	})
	t.Run("wrong key skips the write", func(t *testing.T) {
		report, err := h.validate(t, readWrite(s.URL, emptyContainer, wrongKey))
		providerchecktest.WantKind(t, err, domain.KindInvalidCredentials)
		providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkWrite: domain.CheckSkip})
	})
	t.Run("failed cleanup is reported", func(t *testing.T) {
		s.CreateContainer(t, "cleanup-container")
		endpoint := proxy(t, s, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if r.Method == http.MethodDelete {
				w.Header().Set("x-ms-error-code", "ServerBusy")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
		report, err := h.validate(t, readWrite(endpoint, "cleanup-container", azurite.Key))
		providerchecktest.WantKind(t, err, domain.KindProviderError, "write: ", "503", "ServerBusy", "remove the probe blob .bucketd-probe/", "by hand")
		providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkList: domain.CheckPass, checkWrite: domain.CheckFail})
		blobs := s.Blobs(t, "cleanup-container")
		if len(blobs) != 1 || !strings.HasPrefix(blobs[0], probePrefix) || !strings.Contains(err.Error(), blobs[0]) {
			t.Errorf("container holds %v; want exactly the probe blob the message names", blobs)
		}
	})
	t.Run("probe removed although its answer was lost", func(t *testing.T) {
		s.CreateContainer(t, "lost-answer-container")
		endpoint := proxy(t, s, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if r.Method == http.MethodPut {
				next.ServeHTTP(httptest.NewRecorder(), r) // the blob is written, the answer goes nowhere
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
		start := time.Now()
		report, err := newHarness(t, time.Second).validate(t, readWrite(endpoint, "lost-answer-container", azurite.Key))
		providerchecktest.WantKind(t, err, domain.KindProviderTimeout, "write: ", "did not answer within 1s")
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("Validate took %s, want about the 1s deadline", took)
		}
		providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkList: domain.CheckPass, checkWrite: domain.CheckFail})
		if blobs := s.Blobs(t, "lost-answer-container"); len(blobs) != 0 {
			t.Errorf("container holds %v after the lost probe, want it removed", blobs)
		}
	})
}

// A 5xx from the service says nothing about the key: authenticate is skipped, not failed.
func TestValidateServiceFailure(t *testing.T) {
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("x-ms-error-code", "ServerBusy")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(busy.Close)
	report, err := newHarness(t, 0).validate(t, azureTarget(busy.URL, fullContainer, azurite.Account, azurite.Key))
	providerchecktest.WantKind(t, err, domain.KindProviderError, "container: ", "503 Service Unavailable (ServerBusy); retry later")
	providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkConnect: domain.CheckPass, checkAuth: domain.CheckSkip,
		checkContainer: domain.CheckFail, checkList: domain.CheckFail})
}

// Azure's public endpoint goes through the same guard, and a name Azure's DNS does not know
// means the account does not exist. Nothing here reaches the network: the resolver answers
// from a table and the dial function only records.
func TestValidatePublicEndpoint(t *testing.T) {
	rec := &providerchecktest.DialRecorder{}
	resolver := providerchecktest.StaticResolver{"metadata1.blob.core.windows.net": {netip.MustParseAddr("169.254.169.254")}}
	h := newHarness(t, 0, netguard.WithResolver(resolver), netguard.WithDialFunc(rec.Dial))
	cases := []struct {
		name, account string
		kind          domain.Kind
		says          []string
	}{
		{"unknown account", "nosuchaccount", domain.KindInvalidCredentials,
			[]string{"connect: storage account nosuchaccount was not found: host nosuchaccount.blob.core.windows.net does not exist"}},
		{"name resolving to the metadata service", "metadata1", domain.KindEndpointNotAllowed,
			[]string{"connect: ", "169.254.169.254"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			report, err := h.validate(t, azureTarget("", "container", c.account, azurite.Key))
			providerchecktest.WantKind(t, err, c.kind, c.says...)
			providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkConnect: domain.CheckFail, checkAuth: domain.CheckSkip})
		})
	}
	if got := rec.Attempts(); len(got) != 0 {
		t.Errorf("dialled %v, want no connection attempt", got)
	}
}

func TestValidateRefusesEndpoint(t *testing.T) {
	h := newHarness(t, 0)
	// hidden must show up nowhere: not in the report, the error or the debug log.
	for name, c := range map[string]struct{ endpoint, says, hidden string }{
		"plain http to a public host": {"http://blob.example.com", "must use https", ""},
		"user info":                   {"https://me:hunter2-password@blob.example.com", "user info", "hunter2"},
		"a user name":                 {"https://token-as-user-name@blob.example.com", "user info", "token-as-user-name"},
		"a query":                     {"https://blob.example.com/?sig=query-secret", "query", "query-secret"},
		"a fragment":                  {"https://blob.example.com#fragment-secret", "fragment", "fragment-secret"},
		"a path naming something else": {"http://127.0.0.1:10000/otheraccount/container",
			"the account name as its only path segment (e.g. http://127.0.0.1:10000/devstoreaccount1)", "otheraccount"},
	} {
		t.Run(name, func(t *testing.T) {
			report, err := h.validate(t, azureTarget(c.endpoint, fullContainer, azurite.Account, azurite.Key))
			providerchecktest.WantKind(t, err, domain.KindEndpointNotAllowed, "connect: ", c.says)
			providerchecktest.WantNoLeak(t, report, err, h.log.String(), c.hidden)
			providerchecktest.WantChecks(t, report, map[string]domain.CheckStatus{checkConnect: domain.CheckFail, checkAuth: domain.CheckSkip})
		})
	}
	t.Run("other storage type", func(t *testing.T) {
		target := azureTarget("", fullContainer, azurite.Account, azurite.Key)
		target.StorageType = domain.StorageS3
		_, err := h.v.Validate(context.Background(), target)
		providerchecktest.WantKind(t, err, domain.KindInternal)
	})
}

func TestValidateHonoursCancellation(t *testing.T) {
	h := newHarness(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := h.v.Validate(ctx, azureTarget(providerchecktest.HangingURL(t), fullContainer, azurite.Account, azurite.Key))
	providerchecktest.WantKind(t, err, domain.KindProviderTimeout, "connect: the validation was canceled")
}

// contractHarness builds the validator for the shared contracts.
var contractHarness = providerchecktest.Harness{
	New: func(opts providercheck.Options) (ports.CredentialValidator, error) { return New(configOf(opts)) },
	Target: func(endpoint string) domain.ValidationTarget {
		return azureTarget(endpoint, "contract-container", "contractaccount", wrongKey)
	},
}

func TestTransportContract(t *testing.T) { providerchecktest.RunTransportContract(t, contractHarness) }

func TestHostileContract(t *testing.T) { providerchecktest.RunHostileContract(t, contractHarness) }

func BenchmarkValidate(b *testing.B) {
	s := emulator(b)
	h := newHarness(b, 0)
	target := azureTarget(s.URL, fullContainer, azurite.Account, azurite.Key)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.v.Validate(ctx, target); err != nil {
			b.Fatalf("Validate: %v", err)
		}
	}
}
