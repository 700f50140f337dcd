package versitygw

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestServerStoresObjects(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") {
		t.Errorf("endpoint %q is not on 127.0.0.1", s.Endpoint)
	}
	s.CreateBucket(t, "helper-bucket")
	s.PutObject(t, "helper-bucket", "b/two.txt", []byte("2"))
	s.PutObject(t, "helper-bucket", "a/one.txt", []byte("1"))
	s.CreateUser(t, "HELPERUSERACCESSKEY1", "helper-user-secret")
	if got, want := s.Keys(t, "helper-bucket"), []string{"a/one.txt", "b/two.txt"}; !slices.Equal(got, want) {
		t.Errorf("Keys = %v, want %v", got, want)
	}
}

// fatalRecorder captures a Fatalf and ends the goroutine as testing.T would.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestBinaryMissingFailsWithInstallCommand(t *testing.T) {
	t.Setenv("BUCKETD_VERSITYGW", filepath.Join(t.TempDir(), "absent"))
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Binary(rec)
	}()
	<-done
	if !strings.Contains(rec.msg, "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0") {
		t.Errorf("failure message %q does not give the install command", rec.msg)
	}
}
