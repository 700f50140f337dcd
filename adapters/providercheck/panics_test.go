package providercheck_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/logcapture"
)

// secretPanic is a panic value carrying what a request could: it must reach neither the error
// nor the log.
const secretPanic = "secret-access-key-in-a-panic"

// wantOnePanicLine fails t unless log holds exactly one error line about the panic of op, with
// its stack and without the secret.
func wantOnePanicLine(t *testing.T, log, op string) {
	t.Helper()
	if n := strings.Count(log, "level=ERROR"); n != 1 {
		t.Fatalf("the panic was logged %d times at error level, want once:\n%s", n, log)
	}
	named := strings.Contains(log, `msg="panic in provider check" op=`+op+" ") ||
		strings.Contains(log, `msg="panic in provider check" op="`+op+`"`)
	if !named || !strings.Contains(log, "panics_test.go") {
		t.Errorf("the log line does not name %s with its stack:\n%s", op, log)
	}
	if strings.Contains(log, secretPanic) {
		t.Errorf("the panic's value reached the log:\n%s", log)
	}
}

func TestRecoverWithoutPanic(t *testing.T) {
	var log logcapture.Buffer
	ran := false
	if err := providercheck.Recover(context.Background(), log.Logger(), "HeadBucket", func() { ran = true }); err != nil || !ran {
		t.Fatalf("Recover = %v (ran %v), want nil after running fn", err, ran)
	}
	if log.String() != "" {
		t.Errorf("Recover logged without a panic: %s", log.String())
	}
}

func TestRecoverTurnsAPanicIntoAnError(t *testing.T) {
	var log logcapture.Buffer
	err := providercheck.Recover(context.Background(), log.Logger(), "HeadBucket", func() { panic(secretPanic) })
	var pe *providercheck.PanicError
	if !errors.As(err, &pe) || pe.Op != "HeadBucket" || strings.Contains(err.Error(), secretPanic) {
		t.Fatalf("Recover = %v, want a *PanicError naming HeadBucket and not the value", err)
	}
	wantOnePanicLine(t, log.String(), "HeadBucket")
	if !strings.Contains(log.String(), "panic=string") {
		t.Errorf("the log line does not give the value's type:\n%s", log.String())
	}
}

// A runtime error holds no request data, and says what went wrong: the log gives it.
func TestRecoverLogsARuntimeErrorsText(t *testing.T) {
	var log logcapture.Buffer
	var m map[string]int
	err := providercheck.Recover(context.Background(), log.Logger(), "decode", func() { m["x"] = 1 })
	if err == nil {
		t.Fatal("Recover = nil, want the panic of a write to a nil map")
	}
	if !strings.Contains(log.String(), "assignment to entry in nil map") {
		t.Errorf("the log line lacks the runtime error:\n%s", log.String())
	}
}

func TestGoHandsThePanicToOnPanic(t *testing.T) {
	var log logcapture.Buffer
	var wg sync.WaitGroup
	var got error
	providercheck.Go(context.Background(), &wg, log.Logger(), "ListBlobs", func() { panic(secretPanic) }, func(err error) { got = err })
	ran := false
	providercheck.Go(context.Background(), &wg, log.Logger(), "GetProperties", func() { ran = true }, func(error) { t.Error("onPanic called without a panic") })
	wg.Wait()
	var pe *providercheck.PanicError
	if !errors.As(got, &pe) || pe.Op != "ListBlobs" || !ran {
		t.Fatalf("onPanic got %v (other goroutine ran %v), want a *PanicError naming ListBlobs", got, ran)
	}
	wantOnePanicLine(t, log.String(), "ListBlobs")
	// Without onPanic the panic is logged and dropped.
	providercheck.Go(context.Background(), &wg, log.Logger(), "lookup", func() { panic(secretPanic) }, nil)
	wg.Wait()
}

func TestRecoverValidation(t *testing.T) {
	var log logcapture.Buffer
	validate := func() (err error) {
		defer providercheck.RecoverValidation(context.Background(), log.Logger(), "the S3 validation", &err)
		panic(secretPanic)
	}
	err := validate()
	want := "the S3 validation failed unexpectedly; the details are in bucketd's log"
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindInternal || de.Message != want {
		t.Fatalf("error = %#v, want KindInternal saying %q", err, want)
	}
	if strings.Contains(err.Error(), secretPanic) {
		t.Errorf("the panic's value reached the error: %v", err)
	}
	wantOnePanicLine(t, log.String(), "the S3 validation")

	calm := func() (err error) {
		defer providercheck.RecoverValidation(context.Background(), log.Logger(), "the S3 validation", &err)
		return domain.Errorf(domain.KindBucketNotFound, "bucket: gone")
	}
	if err := calm(); !domain.IsKind(err, domain.KindBucketNotFound) {
		t.Errorf("RecoverValidation changed the error of a validation that did not panic: %v", err)
	}
}

func TestDescribePanic(t *testing.T) {
	err := providercheck.Recover(context.Background(), slog.New(slog.DiscardHandler), "HeadBucket", func() { panic(secretPanic) })
	msg, ok := providercheck.DescribePanic("bucket", errors.Join(errors.New("wrapped"), err))
	if want := "bucket: HeadBucket failed unexpectedly; the details are in bucketd's log"; !ok || msg != want {
		t.Errorf("DescribePanic = %q, %v; want %q", msg, ok, want)
	}
	if _, ok := providercheck.DescribePanic("bucket", errors.New("not a panic")); ok {
		t.Error("DescribePanic described an error that is no panic")
	}
}
