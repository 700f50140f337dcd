package azurevalidator

import (
	"os"
	"testing"

	"github.com/bucketd/bucketd/testsupport/azurite"
)

// peer is the package's one Azurite, started by the first test that needs it.
var peer azurite.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	peer.Close()
	os.Exit(code)
}
