package app_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/logcapture"
	"github.com/bucketd/bucketd/testsupport/mocks"
)

// healthFixture is a health job over the bucket fixture's mocks, with its own source and leases.
type healthFixture struct {
	*bucketsFixture
	source *mocks.MockStatusSource
	leases *mocks.MockLeases
	job    *app.HealthJob
	log    *logcapture.Buffer
}

func newHealthFixture(t *testing.T, concurrency int) *healthFixture {
	t.Helper()
	f := &healthFixture{bucketsFixture: newBucketsFixture(t), log: &logcapture.Buffer{}}
	ctrl := gomock.NewController(t)
	f.source, f.leases = mocks.NewMockStatusSource(ctrl), mocks.NewMockLeases(ctrl)
	job, err := app.NewHealthJob(app.HealthJobConfig{Buckets: f.svc, Source: f.source, Leases: f.leases,
		Interval: time.Hour, Concurrency: concurrency, Holder: "process-1",
		Logger: f.log.Logger(), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	f.job = job
	return f
}

// dueBucket is the stored bucket with another id, so a round can hold several.
func dueBucket(id string) domain.Bucket {
	b := storedBucket()
	b.ID = id
	return b
}

// expectRound expects a round that holds the lease, finds due, and opens the credentials of
// checked of them.
func (f *healthFixture) expectRound(checked int, due ...domain.Bucket) {
	f.leases.EXPECT().TryAcquire(gomock.Any(), "health-revalidation", "process-1", clock, time.Hour).Return(true, nil)
	f.source.EXPECT().DueForCheck(gomock.Any(), clock.Add(-time.Hour), gomock.Any()).Return(due, nil)
	f.vault.EXPECT().Open(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.NewSecret("opened"), nil).Times(2 * checked)
}

func TestHealthRoundWithoutTheLeaseDoesNothing(t *testing.T) {
	f := newHealthFixture(t, 2)
	f.leases.EXPECT().TryAcquire(gomock.Any(), "health-revalidation", "process-1", clock, time.Hour).Return(false, nil)
	round, err := f.job.RunOnce(context.Background())
	if err != nil || round != (app.HealthRound{}) {
		t.Errorf("RunOnce without the lease = %+v, %v; want nothing done", round, err)
	}
}

func TestHealthRoundBacksOffAFailingProvider(t *testing.T) {
	f := newHealthFixture(t, 1)
	ok, down := dueBucket("b-ok"), dueBucket("b-down")
	down.Endpoint = "https://down.example.test"
	f.expectRound(2, ok, down)
	f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tg domain.ValidationTarget) (domain.ValidationReport, error) {
		if tg.Endpoint == down.Endpoint {
			return domain.ValidationReport{}, domain.Errorf(domain.KindProviderError, "bucket: 503")
		}
		return passed, nil
	}).Times(2)
	// Only the passing bucket is recorded: a provider's 503 says nothing about the credentials.
	f.store.EXPECT().RecordStatus(gomock.Any(), orgID, "b-ok", ok.Version, recordedAt(domain.StatusOnline, "")).Return(nil)
	round, err := f.job.RunOnce(context.Background())
	if err != nil || round.Checked != 2 || round.Online != 1 || round.Transient != 1 {
		t.Fatalf("round = %+v, %v; want 2 checked, 1 online, 1 transient", round, err)
	}

	// The failing provider is left alone in the next round.
	f.expectRound(0, down)
	round, err = f.job.RunOnce(context.Background())
	if err != nil || round.BackedOff != 1 || round.Checked != 0 {
		t.Errorf("second round = %+v, %v; want the failing provider backed off", round, err)
	}
}

// A panic in one check, on the job's own goroutine, must not end the process: it is logged once,
// without its value, and the round goes on. Without the recover this test ends the test binary.
func TestHealthRoundSurvivesAPanic(t *testing.T) {
	f := newHealthFixture(t, 1)
	var log logcapture.Buffer
	job, err := app.NewHealthJob(app.HealthJobConfig{Buckets: f.svc, Source: f.source, Leases: f.leases,
		Interval: time.Hour, Concurrency: 1, Holder: "process-1", Logger: log.Logger(), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	ok, broken := dueBucket("b-ok"), dueBucket("b-broken")
	broken.Endpoint = "https://broken.example.test"
	f.expectRound(2, ok, broken)
	const secret = "panic value holding a secret"
	f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tg domain.ValidationTarget) (domain.ValidationReport, error) {
		if tg.Endpoint == broken.Endpoint {
			panic(secret)
		}
		return passed, nil
	}).Times(2)
	f.store.EXPECT().RecordStatus(gomock.Any(), orgID, "b-ok", ok.Version, recordedAt(domain.StatusOnline, "")).Return(nil)
	round, err := job.RunOnce(context.Background())
	if err != nil || round.Checked != 2 || round.Online != 1 || round.Transient != 1 {
		t.Fatalf("round = %+v, %v; want 2 checked, 1 online, 1 transient", round, err)
	}
	logged := log.String()
	if n := strings.Count(logged, `level=ERROR msg="panic in health check" bucket_id=b-broken panic=string stack=`); n != 1 ||
		strings.Contains(logged, secret) {
		t.Errorf("the panic was logged %d times (want once, with its stack, without its value):\n%s", n, logged)
	}
}

func TestHealthRoundMarksRevokedCredentialsOffline(t *testing.T) {
	f := newHealthFixture(t, 1)
	b := dueBucket("b-revoked")
	b.Status = domain.StatusOnline
	f.expectRound(1, b)
	f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(domain.ValidationReport{},
		domain.Errorf(domain.KindInvalidCredentials, "authenticate: key not known"))
	f.store.EXPECT().RecordStatus(gomock.Any(), orgID, "b-revoked", b.Version,
		recordedAt(domain.StatusOffline, "authenticate: key not known")).Return(nil)
	round, err := f.job.RunOnce(context.Background())
	if err != nil || round.Offline != 1 {
		t.Errorf("round = %+v, %v; want one bucket OFFLINE", round, err)
	}
	if logged := f.log.String(); !strings.Contains(logged, `msg="bucket offline" bucket_id=b-revoked kind="invalid credentials" reason="authenticate: key not known"`) {
		t.Errorf("the log does not say why the bucket went OFFLINE:\n%s", logged)
	}
}

// TestHealthRoundClearsTheMessageOfABucketBackOnline: a bucket OFFLINE with the message of its
// failed check passes again; ONLINE is recorded without a message.
func TestHealthRoundClearsTheMessageOfABucketBackOnline(t *testing.T) {
	f := newHealthFixture(t, 1)
	b := dueBucket("b-back")
	b.Status, b.StatusMessage = domain.StatusOffline, "authenticate: key not known"
	f.expectRound(1, b)
	f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil)
	f.store.EXPECT().RecordStatus(gomock.Any(), orgID, "b-back", b.Version, recordedAt(domain.StatusOnline, "")).Return(nil)
	round, err := f.job.RunOnce(context.Background())
	if err != nil || round.Online != 1 {
		t.Errorf("round = %+v, %v; want one bucket ONLINE", round, err)
	}
}

func TestHealthRoundSkipsBucketsChangedMeanwhile(t *testing.T) {
	f := newHealthFixture(t, 1)
	b := dueBucket("b-changed")
	f.expectRound(1, b)
	f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).Return(passed, nil)
	f.store.EXPECT().RecordStatus(gomock.Any(), orgID, "b-changed", b.Version, recordedAt(domain.StatusOnline, "")).
		Return(domain.Errorf(domain.KindConflict, "changed"))
	moved := b
	moved.Endpoint, moved.Version = "https://elsewhere.example.test", b.Version+1
	f.store.EXPECT().Get(gomock.Any(), orgID, "b-changed").Return(moved, nil)
	round, err := f.job.RunOnce(context.Background())
	if err != nil || round.Online != 0 || round.Checked != 1 {
		t.Errorf("round = %+v, %v; a conflict records nothing and is no error", round, err)
	}
}

func TestHealthRoundBoundsConcurrency(t *testing.T) {
	const concurrency = 3
	f := newHealthFixture(t, concurrency)
	var due []domain.Bucket
	for i := range 12 {
		due = append(due, dueBucket("b-"+string(rune('a'+i))))
	}
	f.expectRound(len(due), due...)
	var inFlight, peak atomic.Int32
	var mu sync.Mutex
	f.s3.EXPECT().Validate(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.ValidationTarget) (domain.ValidationReport, error) {
		n := inFlight.Add(1)
		mu.Lock()
		if n > peak.Load() {
			peak.Store(n)
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		return passed, nil
	}).Times(len(due))
	f.store.EXPECT().RecordStatus(gomock.Any(), orgID, gomock.Any(), gomock.Any(), recordedAt(domain.StatusOnline, "")).Return(nil).Times(len(due))
	if _, err := f.job.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > concurrency || p < 2 {
		t.Errorf("peak validations in flight = %d; want at most %d (and some concurrency)", p, concurrency)
	}
}

func TestNewHealthJobRejectsBadConfig(t *testing.T) {
	f := newBucketsFixture(t)
	ctrl := gomock.NewController(t)
	source, leases := mocks.NewMockStatusSource(ctrl), mocks.NewMockLeases(ctrl)
	for name, cfg := range map[string]app.HealthJobConfig{
		"no buckets": {Source: source, Leases: leases, Holder: "h"},
		"no source":  {Buckets: f.svc, Leases: leases, Holder: "h"},
		"no leases":  {Buckets: f.svc, Source: source, Holder: "h"},
		"no holder":  {Buckets: f.svc, Source: source, Leases: leases},
		"negative":   {Buckets: f.svc, Source: source, Leases: leases, Holder: "h", Interval: -time.Second},
	} {
		if _, err := app.NewHealthJob(cfg); err == nil {
			t.Errorf("%s: NewHealthJob accepted it", name)
		}
	}
}
