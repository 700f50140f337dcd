package azurevalidator

import (
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
)

func TestCheckAuthorityHost(t *testing.T) {
	for raw, want := range map[string]string{
		"https://login.microsoftonline.com/": "https://login.microsoftonline.com/",
		"https://Login.MicrosoftOnline.US":   "https://login.microsoftonline.us/",
		"https://127.0.0.1:8443":             "https://127.0.0.1:8443/",
	} {
		if got, err := checkAuthorityHost(raw); err != nil || got != want {
			t.Errorf("checkAuthorityHost(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"http://login.microsoftonline.com/", "https://login.microsoftonline.com/tenant",
		"https://login.microsoftonline.com/?x=1", "https://u:p@login.microsoftonline.com/", "login.microsoftonline.com", ""} {
		if _, err := checkAuthorityHost(raw); err == nil || !strings.Contains(err.Error(), "https origin") {
			t.Errorf("checkAuthorityHost(%q) = %v, want a refusal naming an https origin", raw, err)
		}
	}
}

func TestTokenServiceURL(t *testing.T) {
	allow, err := netguard.ParseAllowList("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string][2]string{
		"https://acct1.blob.core.windows.net":        {"https://acct1.blob.core.windows.net", "acct1"},
		"https://acct1.blob.core.usgovcloudapi.net/": {"https://acct1.blob.core.usgovcloudapi.net", "acct1"},
		"https://127.0.0.1:10000/devstoreaccount1":   {"https://127.0.0.1:10000/devstoreaccount1", "devstoreaccount1"},
		"https://my-files.example.com":               {"https://my-files.example.com", "my-files.example.com"},
	} {
		service, account, err := tokenServiceURL(raw, allow)
		if err != nil || service != want[0] || account != want[1] {
			t.Errorf("tokenServiceURL(%q) = %q, %q, %v; want %q, %q", raw, service, account, err, want[0], want[1])
		}
	}
	for raw, kind := range map[string]domain.Kind{
		"": domain.KindInvalidInput,
		"http://127.0.0.1:10000/devstoreaccount1": domain.KindEndpointNotAllowed,
		"https://127.0.0.1:10000":                 domain.KindInvalidInput,
		"https://127.0.0.1:10000/Not-An-Account":  domain.KindEndpointNotAllowed,
	} {
		if _, _, err := tokenServiceURL(raw, allow); !domain.IsKind(err, kind) || !strings.HasPrefix(err.Error(), "connect: ") {
			t.Errorf("tokenServiceURL(%q) = %v, want %v in the connect check", raw, err, kind)
		}
	}
}
