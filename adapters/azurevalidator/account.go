package azurevalidator

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// publicSuffix is the host suffix of Azure's public blob endpoints, <account>.blob.core.windows.net.
const publicSuffix = ".blob.core.windows.net"

// Storage account names are 3 to 24 lowercase letters and digits.
const (
	minAccountLength = 3
	maxAccountLength = 24
)

// checkAccountName refuses a key that cannot be a storage account name. The message never shows
// the key: a caller who swapped the fields has put the account key there.
func checkAccountName(account string) error {
	ok := len(account) >= minAccountLength && len(account) <= maxAccountLength
	for _, c := range account {
		ok = ok && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
	}
	if !ok {
		return domain.Errorf(domain.KindInvalidCredentials,
			"%s: key is not a storage account name (3 to 24 lowercase letters and digits); "+
				"put the account name in key and the account key in secret", checkAuth)
	}
	return nil
}

// sharedKey builds the Shared Key credential. Surrounding white space, which a copied key
// often carries, is dropped; what remains must be base64. The message never shows the secret.
func sharedKey(account, secret string) (*container.SharedKeyCredential, error) {
	cred, err := container.NewSharedKeyCredential(account, strings.TrimSpace(secret))
	if err != nil {
		return nil, domain.Wrap(domain.KindInvalidCredentials, err,
			checkAuth+": secret is not a valid Azure account key (base64); copy key1 or key2 whole from the storage account's Access keys")
	}
	return cred, nil
}

// serviceURL returns the blob service URL of account, under which containers are addressed.
//
// Without an endpoint it is Azure's public https://<account>.blob.core.windows.net. A custom
// endpoint passes the SSRF rules (netguard.CheckEndpoint) and is then read the way Azure's own
// SDKs and connection strings read it:
//   - a host name serves one account, as Azure Stack Hub (https://<account>.blob.<region>.<fqdn>)
//     and custom domains do, so the URL is used as given;
//   - an IP address serves accounts path-style, as Azurite does, so http://127.0.0.1:10000
//     becomes http://127.0.0.1:10000/<account>;
//   - a URL whose only path segment is the account, as Azurite's connection strings write it
//     (http://azurite:10000/devstoreaccount1), is path-style whatever its host.
//
// Any other path is refused, since it would put containers somewhere the service does not look.
func serviceURL(raw, account string, allow netguard.AllowList) (string, error) {
	if raw == "" {
		return "https://" + account + publicSuffix, nil
	}
	origin, path, err := checkEndpoint(raw, allow)
	if err != nil {
		return "", err
	}
	switch {
	case path == account:
		return origin.String() + "/" + account, nil
	case path != "":
		return "", domain.Errorf(domain.KindEndpointNotAllowed,
			checkConnect+": endpoint may have no path, or the account name as its only path segment (e.g. http://127.0.0.1:10000/%s); "+
				"the path given names something else", account)
	case isIPLiteral(origin.Hostname()):
		return origin.String() + "/" + account, nil
	}
	return origin.String(), nil
}

// checkEndpoint judges everything of a custom endpoint but its path with the shared rules,
// which accept no path, and returns the origin and the path without its slashes. A fragment is
// left in so that the rules refuse it even when it is empty.
func checkEndpoint(raw string, allow netguard.AllowList) (*url.URL, string, error) {
	checked, path := raw, ""
	if u, err := url.Parse(strings.TrimSpace(raw)); err == nil && !strings.Contains(raw, "#") {
		path = strings.Trim(u.Path, "/")
		u.Path, u.RawPath = "", ""
		checked = u.String()
	}
	origin, err := netguard.CheckEndpoint(checked, allow)
	if err != nil {
		return nil, "", providercheck.InCheck(checkConnect, err)
	}
	return origin, path, nil
}

func isIPLiteral(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}
