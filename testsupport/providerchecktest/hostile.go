package providerchecktest

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/hostile"
	"github.com/bucketd/bucketd/testsupport/logcapture"
)

// Bounds of the hostile contract.
const (
	// bodyCap is the most of one answer's body the production client reads.
	bodyCap = netguard.DefaultMaxBody
	// capSlack is what the socket buffers between the peer and the validator hold on top of
	// what the validator read when it closed the connection: about 200 KiB on loopback for one
	// validation, where a missing cap shows as the peer's 64 MiB ceiling.
	capSlack = 2 << 20
	// hostileTimeout is the validation deadline of the cases no limit but the deadline ends;
	// the others get patientTimeout, which they must not need.
	hostileTimeout = time.Second
	patientTimeout = 10 * time.Second
	// maxLog bounds what one validation logs, whatever the provider sent.
	maxLog = 16 << 10
	// maxAllocated bounds what one validation may allocate: a validator that inflates or
	// buffers what it should refuse allocates several times hostile.Ceiling (S3 without the
	// cap: 0.5 to 1.3 GiB), one that stops at the cap a few MiB for what it did read.
	maxAllocated = hostile.Ceiling
	// reachWithin bounds how long a request the validation starts may take to reach the peer:
	// GCS's key list lookup runs in the background and may start after the validation ended.
	reachWithin = 5 * time.Second
)

// PeerRole says what the hostile peer is to the validator under test.
type PeerRole int

const (
	// Decides: the validation depends on the peer's answers (it is the provider's API, or
	// the token endpoint), so every case must fail it, with a classified error.
	Decides PeerRole = iota
	// Aside: the peer answers a lookup the validation does without (GCS's key lists), so
	// every case must leave the validation passing.
	Aside
)

// hostileOutcome is what the contract expects of a validation against a hostile case when the
// peer Decides it.
type hostileOutcome struct {
	// kinds are the error kinds the case may end in.
	kinds []domain.Kind
	// capped says the case runs into a size limit, which the message must name: the body cap,
	// or a smaller limit of the validator's own (GCS reads 64 KiB of a token answer).
	capped bool
	// deadline says only the validation's deadline ends the case, so the message must name it.
	deadline bool
}

// capWords is how a message names the body cap, and namesSize finds a size so written.
var (
	capWords  = netguard.FormatSize(bodyCap)
	namesSize = regexp.MustCompile(`\b\d+ (bytes|KiB|MiB|GiB)\b`)
)

// Kinds an odd answer may be classified as.
var (
	// providerFault: the provider answered, wrongly.
	providerFault = []domain.Kind{domain.KindProviderError}
	// refusal: a 403 may precisely mean a refused key or a missing permission.
	refusal = []domain.Kind{domain.KindProviderError, domain.KindAccessDenied, domain.KindInvalidCredentials}
	// noAnswer: no whole HTTP answer came about, so the endpoint may count as unreachable.
	noAnswer = []domain.Kind{domain.KindProviderError, domain.KindEndpointUnreachable}
	// redirect: S3's 301 means the bucket is in another region.
	redirect = []domain.Kind{domain.KindProviderError, domain.KindRegionMismatch}
	timedOut = []domain.Kind{domain.KindProviderTimeout}
)

// hostileOutcomes holds every case's expectation.
var hostileOutcomes = map[hostile.Case]hostileOutcome{
	hostile.EndlessBody:        {kinds: providerFault, capped: true},
	hostile.HugeContentLength:  {kinds: providerFault, capped: true},
	hostile.SlowEndlessBody:    {kinds: timedOut, deadline: true},
	hostile.StallAfterHeaders:  {kinds: timedOut, deadline: true},
	hostile.SlowHeaders:        {kinds: timedOut, deadline: true},
	hostile.GzipBomb:           {kinds: providerFault},
	hostile.HugeHeaderBlock:    {kinds: providerFault, capped: true},
	hostile.ManyHeaders:        {kinds: providerFault, capped: true},
	hostile.InformationalFlood: {kinds: providerFault, capped: true},
	hostile.EndlessTrailer:     {kinds: noAnswer},
	hostile.NotHTTP:            {kinds: providerFault},
	hostile.ClosedBeforeAnswer: {kinds: noAnswer},
	hostile.ClosedMidBody:      {kinds: providerFault},
	hostile.HTML200:            {kinds: providerFault},
	hostile.HTML403:            {kinds: refusal},
	hostile.HTML500:            {kinds: providerFault},
	hostile.WrongContentType:   {kinds: providerFault},
	hostile.PlainText:          {kinds: providerFault},
	hostile.EmptyBody:          {kinds: providerFault},
	hostile.JSONArray:          {kinds: providerFault},
	hostile.JSONEmptyObject:    {kinds: providerFault},
	hostile.JSONWrongTypes:     {kinds: providerFault},
	hostile.JSONNull:           {kinds: providerFault},
	hostile.JSONTruncated:      {kinds: providerFault},
	hostile.DeepJSON:           {kinds: providerFault},
	hostile.XMLWrongShape:      {kinds: providerFault},
	hostile.XMLEmptyDocument:   {kinds: providerFault},
	hostile.XMLTruncated:       {kinds: providerFault},
	hostile.DeepXML:            {kinds: providerFault},
	hostile.XMLEntityBomb:      {kinds: providerFault},
	hostile.HugeErrorText:      {kinds: refusal},
	hostile.Redirect301Self:    {kinds: redirect},
	hostile.Redirect302Self:    {kinds: redirect},
	hostile.Redirect307Self:    {kinds: redirect},
	hostile.RedirectToMetadata: {kinds: redirect},
	hostile.RedirectToPrivate:  {kinds: redirect},
}

// RunHostileContract runs the hostile-peer subtests against the validator h builds, with a
// hostile peer as the target's endpoint: every case of package hostile must fail the
// validation with a classified error (never an internal one, never a panic) whose message is
// bounded, names the limit the case ran into, and gives nothing of the credentials away; the
// validator must stop reading at the body cap and close the connection, never follow a
// redirect, and allocate nothing like what the peer offers.
func RunHostileContract(t *testing.T, h Harness) {
	peer := hostile.Start(t)
	RunHostileContractWith(t, peer, Decides, h)
}

// RunHostileContractWith runs the hostile-peer subtests against peer, which the validator h
// builds reaches however h built it: the target's endpoint, or a URL of the validator's own
// configuration (GCS's token endpoint or key lists). role says whether the peer's answers
// decide the validation.
func RunHostileContractWith(t *testing.T, peer *hostile.Peer, role PeerRole, h Harness) {
	t.Helper()
	for _, c := range hostile.Cases() {
		t.Run(string(c), func(t *testing.T) {
			want, ok := hostileOutcomes[c]
			if !ok {
				t.Fatalf("the contract has no expectation for case %q", c)
			}
			testHostileCase(t, peer, role, h, c, want)
		})
	}
}

// testHostileCase runs one validation against peer answering as c says, on the production
// client with loopback allowed, and checks it met want.
func testHostileCase(t testing.TB, peer *hostile.Peer, role PeerRole, h Harness, c hostile.Case, want hostileOutcome) {
	timeout := patientTimeout
	if want.deadline {
		timeout = hostileTimeout
	}
	allow := LoopbackAllowList(t)
	log := &logcapture.Buffer{}
	v := build(t, h, providercheck.Options{HTTPClient: guardedClient(t, allow), AllowList: allow, Timeout: timeout, Logger: log.Logger()})
	target := h.Target(peer.URL)
	peer.Set(c)

	start := time.Now()
	report, allocated, err := validateCounting(t, v, target)
	took := time.Since(start)
	// A request the validator makes in the background (GCS's key list lookup) may reach the
	// peer after the validation ended, and must end by its own deadline.
	for reached := time.Now().Add(reachWithin); peer.Stats().Requests == 0 && time.Now().Before(reached); {
		time.Sleep(10 * time.Millisecond)
	}
	// The margin is wide because a machine busy with other tests can delay the close by
	// seconds; a validator that never closes keeps the peer writing far beyond it.
	if idle := timeout + 15*time.Second; !peer.WaitIdle(idle) {
		t.Errorf("the peer is still writing %s after the validation, so the validator stopped reading without closing the connection: %q",
			idle, peer.Busy())
	}

	WantTidyOutcome(t, report, err)
	switch role {
	case Decides:
		wantHostileFailure(t, report, err, want, timeout)
	case Aside:
		if err != nil {
			t.Errorf("a validation that does without the peer failed: %v; report %+v", err, report.Checks)
		}
	}
	if took > timeout+5*time.Second {
		t.Errorf("the validation took %s, its deadline is %s", took, timeout)
	}
	WantNoLeak(t, report, err, log.String(), target.Credentials.Secret.Reveal())
	if n := len(log.String()); n > maxLog {
		t.Errorf("the validation logged %d bytes, want at most %d: %.300q", n, maxLog, log.String())
	}
	if allocated > maxAllocated {
		t.Errorf("the validation allocated %d MiB, want under %d MiB: it reads or inflates what it should refuse", allocated>>20, maxAllocated>>20)
	}
	s := peer.Stats()
	if s.Largest > bodyCap+capSlack || s.AtCeiling > 0 {
		t.Errorf("one answer got %d bytes out (%d answers reached the peer's ceiling), want at most the %s cap and %d KiB of socket buffers",
			s.Largest, s.AtCeiling, capWords, capSlack>>10)
	}
	if s.Followed > 0 {
		t.Errorf("the validator followed the peer's redirect %d times", s.Followed)
	}
	if s.Requests == 0 {
		t.Error("the validation never reached the peer")
	}
}

// validateCounting runs one validation, turning a panic on the caller's goroutine into a test
// failure, and returns what it allocated too. A panic on a goroutine of the validator's own
// takes the test binary down, which fails the test as surely.
func validateCounting(t testing.TB, v ports.CredentialValidator, target domain.ValidationTarget) (report domain.ValidationReport, allocated uint64, err error) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Validate panicked: %v", p)
			}
		}()
		report, err = v.Validate(context.Background(), target)
	}()
	runtime.ReadMemStats(&after)
	return report, after.TotalAlloc - before.TotalAlloc, err
}

// wantHostileFailure checks a validation the peer decided failed as want says; WantTidyOutcome
// has checked it is classified and its texts bounded.
func wantHostileFailure(t testing.TB, report domain.ValidationReport, err error, want hostileOutcome, timeout time.Duration) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("the validation passed against a hostile peer; report %+v", report.Checks)
	}
	if report.Passed() {
		t.Errorf("the report passes although validation failed: %+v", report.Checks)
	}
	if !slices.Contains(want.kinds, de.Kind) {
		t.Errorf("error kind %v (%.300q), want one of %v", de.Kind, de.Message, want.kinds)
	}
	// The message is what the caller reads; the cause goes to the log only.
	switch {
	case want.capped && !namesSize.MatchString(de.Message):
		t.Errorf("message %.300q names no size limit, such as the %s body cap", de.Message, capWords)
	case want.deadline && !strings.Contains(de.Message, timeout.String()):
		t.Errorf("message %.300q does not name the %s deadline", de.Message, timeout)
	}
}
