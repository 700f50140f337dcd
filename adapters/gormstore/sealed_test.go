package gormstore_test

import (
	"testing"

	"github.com/bucketd/bucketd/testsupport/porttest"
	"github.com/bucketd/bucketd/testsupport/storetest"
)

func TestSealedCredentialsContract(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		porttest.RunSealedCredentialsContract(t, func(t *testing.T) porttest.SealedFixture {
			return porttest.SealedFixture{
				Store:       storetest.Open(t, url),
				OpenAnother: func(t *testing.T) porttest.SealedStore { return storetest.Open(t, url) },
			}
		})
	})
}

func TestSealedStoredCredentialsContract(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, url string) {
		porttest.RunSealedStoredCredentialsContract(t, func(t *testing.T) porttest.SealedCredentialFixture {
			return porttest.SealedCredentialFixture{
				Store:       storetest.Open(t, url),
				OpenAnother: func(t *testing.T) porttest.SealedCredentialStore { return storetest.Open(t, url) },
			}
		})
	})
}
