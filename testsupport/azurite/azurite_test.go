package azurite

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/bucketd/bucketd/testsupport/helpertest"
)

func TestServerStoresBlobs(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q is not on 127.0.0.1", s.URL)
	}
	if got, want := s.Endpoint(Account), s.URL+"/devstoreaccount1"; got != want {
		t.Errorf("Endpoint = %q, want %q", got, want)
	}
	s.CreateContainer(t, "helper-container")
	s.PutBlob(t, "helper-container", "b/two.txt", []byte("2"))
	s.PutBlob(t, "helper-container", "a/one.txt", []byte("1"))
	if got, want := s.Blobs(t, "helper-container"), []string{"a/one.txt", "b/two.txt"}; !slices.Equal(got, want) {
		t.Errorf("Blobs = %v, want %v", got, want)
	}
}

// Close must leave neither a process nor a data folder behind.
func TestCloseStopsTheEmulator(t *testing.T) {
	s, err := Run(Binary(t))
	if err != nil {
		t.Fatal(err)
	}
	pid, host := s.proc.Pid(), strings.TrimPrefix(s.URL, "http://")
	s.Close()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("signal 0 to the emulator (pid %d) after Close = %v, want ESRCH", pid, err)
	}
	if conn, err := net.Dial("tcp", host); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Close", host)
	}
	if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data folder %s after Close: %v, want it removed", s.dir, err)
	}
}

func TestSharedStartsOneEmulator(t *testing.T) {
	var sh Shared
	defer sh.Close()
	first, second := sh.Server(t), sh.Server(t)
	if first != second {
		t.Error("Shared started a second emulator")
	}
}

func TestMissingEmulatorFailsWithInstallCommand(t *testing.T) {
	t.Setenv("BUCKETD_AZURITE", filepath.Join(t.TempDir(), "absent"))
	var sh Shared
	for name, f := range map[string]func(testing.TB){
		"Binary":        func(tb testing.TB) { Binary(tb) },
		"Start":         func(tb testing.TB) { Start(tb) },
		"Shared":        func(tb testing.TB) { sh.Server(tb) },
		"Shared, again": func(tb testing.TB) { sh.Server(tb) },
	} {
		if msgs := helpertest.Failures(t, f); len(msgs) != 1 || !strings.Contains(msgs[0], InstallCommand) {
			t.Errorf("%s failed with %q, want the install command", name, msgs)
		}
	}
}
