// Package azurite starts a real Azurite Blob Storage emulator on 127.0.0.1 for tests. It is a
// test helper: import it only from _test.go files. The emulator is the npm package pinned in
// this folder's package.json and package-lock.json; `make test-peers` installs it into
// node_modules here. A missing install fails the test with the command that fixes it, because
// a skipped provider test proves nothing.
package azurite

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/testsupport/peerproc"
)

// The emulator's built-in storage account, the one every Azurite installation knows. The key is
// Azurite's published development key, not a secret.
const (
	Account = "devstoreaccount1"
	Key     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// InstallCommand installs the emulator where Binary looks for it; run it from the repository root.
const InstallCommand = "npm ci --prefix testsupport/azurite"

// binaryInModule is where `npm ci` puts the blob service's launcher, relative to the module root.
const binaryInModule = "testsupport/azurite/node_modules/.bin/azurite-blob"

// startTimeout bounds how long the emulator may take to answer its first request; Node needs a
// second or two to load it.
const startTimeout = 30 * time.Second

// Server is a running emulator holding its data in a temporary folder of its own.
type Server struct {
	// URL is the blob service root, http://127.0.0.1:PORT (https for RunOAuth). Accounts live
	// under it path-style.
	URL string
	// Account and Key are the credentials of the built-in account (the package constants).
	Account, Key string

	dir    string
	proc   *peerproc.Process
	client *http.Client
}

// Start runs an emulator for the duration of t and stops it in t.Cleanup. Tests that share one
// emulator across a package use Shared instead.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Run(Binary(t))
	if err != nil {
		t.Fatalf("azurite: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Binary returns the path of the azurite-blob launcher, failing t when it is not installed. It
// is BUCKETD_AZURITE when set, and otherwise the one npm installed beside this package.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := locate()
	if err != nil {
		t.Fatalf("azurite: %v", err)
	}
	return path
}

func locate() (string, error) {
	path := os.Getenv("BUCKETD_AZURITE")
	if path == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", fmt.Errorf("%w; set BUCKETD_AZURITE to the azurite-blob launcher", err)
		}
		path = filepath.Join(root, filepath.FromSlash(binaryInModule))
	}
	if info, err := os.Stat(path); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("no executable azurite-blob at %s (BUCKETD_AZURITE or %s); install it from the repository root with:\n  %s",
			path, binaryInModule, InstallCommand)
	}
	return path, nil
}

// moduleRoot walks up from the working directory (a test's package folder) to go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Run starts an emulator from the launcher at bin. The caller must Close it; Start and Shared
// do.
func Run(bin string) (*Server, error) { return run(bin, nil) }

// OAuth makes an emulator speak HTTPS with a certificate of the test's own and accept OAuth
// bearer tokens besides Shared Key and SAS: Azurite accepts tokens only over HTTPS, and only
// with --oauth basic, which checks a token's audience (https://storage.azure.com), issuer
// (https://sts.windows.net/<tenant>/) and lifetime (nbf, exp), not its signature, and knows no
// role assignments.
type OAuth struct {
	// CertFile and KeyFile are the server certificate and its key, PEM, for 127.0.0.1.
	CertFile, KeyFile string
	// Roots verify the certificate; the package's own requests use them.
	Roots *x509.CertPool
}

// RunOAuth starts an emulator that speaks HTTPS and accepts bearer tokens, from the launcher
// at bin. The caller must Close it; Shared does when its OAuth is set.
func RunOAuth(bin string, o OAuth) (*Server, error) { return run(bin, &o) }

func run(bin string, oauth *OAuth) (*Server, error) {
	dir, err := os.MkdirTemp("", "bucketd-azurite-")
	if err != nil {
		return nil, fmt.Errorf("create the data folder: %w", err)
	}
	var roots *x509.CertPool
	transport := &http.Transport{Proxy: nil}
	if oauth != nil {
		roots = oauth.Roots
		transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	proc, err := peerproc.Start(peerproc.Spec{
		Name: "the emulator",
		Command: func(host, port string) *exec.Cmd {
			cmd := exec.Command(bin,
				"--blobHost", host, "--blobPort", port,
				"--location", filepath.Join(dir, "data"),
				"--silent",
				"--disableTelemetry",    // otherwise Azurite reports to a Microsoft host
				"--skipApiVersionCheck", // azblob speaks a newer API version than Azurite knows
			)
			if oauth != nil {
				cmd.Args = append(cmd.Args, "--oauth", "basic", "--cert", oauth.CertFile, "--key", oauth.KeyFile)
			}
			cmd.Env = emulatorEnv()
			return cmd
		},
		ReadyPath:    "/" + Account + "?comp=list",
		StartTimeout: startTimeout,
		LogPath:      filepath.Join(dir, "azurite.log"),
		RootCAs:      roots,
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &Server{
		URL:     proc.URL,
		Account: Account,
		Key:     Key,
		dir:     dir,
		proc:    proc,
		client:  &http.Client{Transport: transport, Timeout: 10 * time.Second},
	}, nil
}

// Endpoint is the blob service URL of account as Azurite serves it, path-style:
// http://127.0.0.1:PORT/<account>.
func (s *Server) Endpoint(account string) string { return s.URL + "/" + account }

// emulatorEnv is the test process's environment without AZURITE_ACCOUNTS, so the emulator
// always serves exactly the built-in account.
func emulatorEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AZURITE_ACCOUNTS=") {
			env = append(env, kv)
		}
	}
	return env
}

// Close stops the emulator, and everything it started, and removes its data.
func (s *Server) Close() {
	s.proc.Stop()
	s.client.CloseIdleConnections()
	_ = os.RemoveAll(s.dir)
}
