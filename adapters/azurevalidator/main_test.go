package azurevalidator

import (
	"fmt"
	"os"
	"testing"

	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/testca"
)

// peer is the package's plain-http Azurite, and oauthPeer its HTTPS one that accepts bearer
// tokens; each is started by the first test that needs it.
var peer, oauthPeer azurite.Shared

// ca signs the certificates of the HTTPS peers. TestMain makes the whole test process trust it
// through SSL_CERT_FILE, as an operator would trust a private authority: the validator has no
// option to trust anything else.
var ca *testca.CA

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "azurevalidator-ca-")
	if err == nil {
		ca, err = testca.New(dir)
	}
	if err == nil {
		err = ca.TrustInProcess()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "test CA:", err)
		os.Exit(2)
	}
	oauthPeer.OAuth = &azurite.OAuth{CertFile: ca.CertFile, KeyFile: ca.KeyFile, Roots: ca.Roots}
	code := m.Run()
	peer.Close()
	oauthPeer.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
