package azurite

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/helpertest"
	"github.com/bucketd/bucketd/testsupport/testca"
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

// The OAuth emulator speaks HTTPS, keeps Shared Key working for the helpers, and judges a
// bearer token by its audience, issuer and lifetime.
func TestOAuthEmulatorJudgesBearerTokens(t *testing.T) {
	ca, err := testca.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := RunOAuth(Binary(t), OAuth{CertFile: ca.CertFile, KeyFile: ca.KeyFile, Roots: ca.Roots})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Errorf("URL %q is not https on 127.0.0.1", s.URL)
	}
	s.CreateContainer(t, "oauth-container")
	now := time.Now().Unix()
	for name, c := range map[string]struct {
		claims string
		want   int
	}{
		"a storage token":  {fmt.Sprintf(`{"aud":"https://storage.azure.com","iss":"https://sts.windows.net/t/","iat":%d,"nbf":%d,"exp":%d}`, now, now, now+600), http.StatusOK},
		"another audience": {fmt.Sprintf(`{"aud":"https://management.azure.com","iss":"https://sts.windows.net/t/","iat":%d,"nbf":%d,"exp":%d}`, now, now, now+600), http.StatusForbidden},
		"expired":          {fmt.Sprintf(`{"aud":"https://storage.azure.com","iss":"https://sts.windows.net/t/","iat":%d,"nbf":%d,"exp":%d}`, now-900, now-900, now-600), http.StatusForbidden},
	} {
		token := b64(`{"alg":"RS256","typ":"JWT"}`) + "." + b64(c.claims) + "." + b64("not checked")
		req, err := http.NewRequest(http.MethodGet, s.Endpoint(Account)+"/oauth-container?restype=container&comp=list", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("x-ms-version", "2021-12-02")
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, c.want)
		}
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
