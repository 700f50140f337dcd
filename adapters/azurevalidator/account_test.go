package azurevalidator

import (
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
)

func TestServiceURL(t *testing.T) {
	allow, err := netguard.ParseAllowList("127.0.0.0/8,::1,azurite.internal")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ endpoint, want string }{
		{"", "https://acct1.blob.core.windows.net"},
		{"http://127.0.0.1:10000", "http://127.0.0.1:10000/acct1"},
		{"http://127.0.0.1:10000/", "http://127.0.0.1:10000/acct1"},
		{"http://127.0.0.1:10000/acct1", "http://127.0.0.1:10000/acct1"},
		{"http://127.0.0.1:10000/acct1/", "http://127.0.0.1:10000/acct1"},
		{"http://[::1]:10000", "http://[::1]:10000/acct1"},
		{"http://azurite.internal:10000/acct1", "http://azurite.internal:10000/acct1"},
		{"https://acct1.blob.local.azurestack.external", "https://acct1.blob.local.azurestack.external"},
		{"https://Files.Example.COM/", "https://files.example.com"},
	} {
		got, err := serviceURL(c.endpoint, "acct1", allow)
		if err != nil || got != c.want {
			t.Errorf("serviceURL(%q) = %q, %v; want %q", c.endpoint, got, err, c.want)
		}
	}
}

func TestServiceURLRefuses(t *testing.T) {
	for _, c := range []struct{ endpoint, says string }{
		{"https://127.0.0.1:10000/other", "the account name as its only path segment"},
		{"https://files.example.com/acct1/container", "the account name as its only path segment"},
		{"https://files.example.com/acct1#", "fragment"},
		{"https://files.example.com/acct1?sv=2024&sig=abc", "query"},
		{"https://me:hunter2@files.example.com/acct1", "user info"},
		{"http://files.example.com/acct1", "must use https"},
		{"ftp://files.example.com", "scheme must be https"},
		{"http://127.0.0.1:99999", "port"},
	} {
		_, err := serviceURL(c.endpoint, "acct1", netguard.AllowList{})
		if !domain.IsKind(err, domain.KindEndpointNotAllowed) {
			t.Errorf("serviceURL(%q) error = %v, want endpoint not allowed", c.endpoint, err)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "connect: ") || !strings.Contains(msg, c.says) || strings.Contains(msg, "hunter2") {
			t.Errorf("serviceURL(%q) error %q: want it to start with the check, mention %q and hide the password", c.endpoint, msg, c.says)
		}
	}
}

func TestCheckAccountName(t *testing.T) {
	for name, ok := range map[string]bool{
		"devstoreaccount1":          true,
		"abc":                       true,
		"abcdefghijklmnopqrstuvwx":  true,
		"ab":                        false,
		"abcdefghijklmnopqrstuvwxy": false,
		"MyAccount":                 false,
		"my-account":                false,
		"":                          false,
	} {
		err := checkAccountName(name)
		if (err == nil) != ok {
			t.Errorf("checkAccountName(%q) = %v, want ok=%v", name, err, ok)
		}
		if err != nil && (!domain.IsKind(err, domain.KindInvalidCredentials) || name != "" && strings.Contains(err.Error(), name)) {
			t.Errorf("checkAccountName(%q) = %v, want invalid credentials that do not echo the key", name, err)
		}
	}
}

// A key copied with its line break still works; anything else that is not base64 is refused
// without being echoed.
func TestSharedKey(t *testing.T) {
	if _, err := sharedKey("acct1", "  "+wrongKey+"\n"); err != nil {
		t.Errorf("sharedKey with surrounding white space: %v", err)
	}
	_, err := sharedKey("acct1", "secret-not-base64!")
	if !domain.IsKind(err, domain.KindInvalidCredentials) || strings.Contains(err.Error(), "secret-not-base64") {
		t.Errorf("sharedKey with a non-base64 key = %v, want invalid credentials that do not echo it", err)
	}
}
