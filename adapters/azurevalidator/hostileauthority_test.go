package azurevalidator

import (
	"testing"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/bucketd/bucketd/testsupport/hostile"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// An authority under an attacker's control (the server's configuration names it, but it can be
// compromised or impersonated) gets what every hostile provider gets: each of its misbehaviours
// fails the validation with a bounded, classified error that gives the client secret away
// nowhere, read within the body cap, never followed through a redirect.
func TestHostileAuthority(t *testing.T) {
	peer := hostile.StartTLS(t, ca.ServerConfig())
	providerchecktest.RunHostileContractWith(t, peer, providerchecktest.Decides, providerchecktest.Harness{
		New: func(opts providercheck.Options) (ports.CredentialValidator, error) {
			cfg := configOf(opts)
			cfg.AuthorityHost = peer.URL
			return New(cfg)
		},
		Target: func(string) domain.ValidationTarget {
			return spTarget("https://127.0.0.1:1/devstoreaccount1", spContainer, spTenant, spClientID, spSecret)
		},
	})
}
