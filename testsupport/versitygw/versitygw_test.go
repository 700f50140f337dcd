package versitygw

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/testsupport/helpertest"
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

func TestBinaryMissingFailsWithInstallCommand(t *testing.T) {
	t.Setenv("BUCKETD_VERSITYGW", filepath.Join(t.TempDir(), "absent"))
	msgs := helpertest.Failures(t, func(tb testing.TB) { Binary(tb) })
	if len(msgs) != 1 || !strings.Contains(msgs[0], "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0") {
		t.Errorf("failure messages %q do not give the install command", msgs)
	}
}
