package providerchecktest

import (
	"net/http"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/helpertest"
)

func TestWantRecoveredPanicFailsOnlyWhenItShould(t *testing.T) {
	recovered := domain.Errorf(domain.KindInternal, "bucket: HeadBucket failed unexpectedly")
	const logged = `time=now level=ERROR msg="panic in provider check" op=HeadBucket panic=string stack=...` + "\n"
	for name, c := range map[string]struct {
		err   error
		log   string
		fails bool
	}{
		"as expected":           {recovered, logged, false},
		"other kind":            {domain.Errorf(domain.KindProviderError, "bucket: HeadBucket failed unexpectedly"), logged, true},
		"not logged":            {recovered, "", true},
		"logged twice":          {recovered, logged + logged, true},
		"logged below error":    {recovered, `level=WARN msg="panic in provider check"`, true},
		"value in the error":    {domain.Errorf(domain.KindInternal, "bucket: HeadBucket failed: "+PanicValue), logged, true},
		"value in the log line": {recovered, logged + PanicValue, true},
	} {
		got := helpertest.Failures(t, func(tb testing.TB) { WantRecoveredPanic(tb, c.err, c.log, "HeadBucket") })
		if (len(got) > 0) != c.fails {
			t.Errorf("%s: failures %q, want failing: %v", name, got, c.fails)
		}
	}
}

func TestPanickingTransport(t *testing.T) {
	forwarded := false
	p := PanickingTransport{
		Base: roundTripFunc(func(*http.Request) (*http.Response, error) { forwarded = true; return nil, nil }),
		When: func(r *http.Request) bool { return r.Method == http.MethodHead },
	}
	get, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	head, _ := http.NewRequest(http.MethodHead, "http://127.0.0.1/", nil)
	if _, _ = p.RoundTrip(get); !forwarded {
		t.Error("a request When does not match was not forwarded")
	}
	defer func() {
		if v := recover(); v != PanicValue {
			t.Errorf("recovered %v, want PanicValue", v)
		}
	}()
	_, _ = p.RoundTrip(head)
	t.Error("a request When matches did not panic")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
