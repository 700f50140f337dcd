package fingerprint_test

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/adapters/fingerprint"
	"github.com/bucketd/bucketd/domain"
)

func mustKey(t *testing.T) *fingerprint.HMAC {
	t.Helper()
	key, err := fingerprint.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	h, err := fingerprint.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestFingerprintIsStableKeyedAndIrreversible(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	a, b := mustKey(t), mustKey(t)
	fp := a.Fingerprint(domain.NewSecret(secret))
	if len(fp) != 22 || strings.Trim(fp, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		t.Fatalf("fingerprint %q is not 22 base64url characters", fp)
	}
	if again := a.Fingerprint(domain.NewSecret(secret)); again != fp {
		t.Errorf("same secret, same key: %q then %q", fp, again)
	}
	if other := a.Fingerprint(domain.NewSecret(secret + "x")); other == fp {
		t.Error("different secrets got the same fingerprint")
	}
	if other := b.Fingerprint(domain.NewSecret(secret)); other == fp {
		t.Error("different server keys gave the same fingerprint")
	}
	plain := sha256.Sum256([]byte(secret))
	for _, leak := range []string{secret, base64.RawURLEncoding.EncodeToString(plain[:16]), fmt.Sprintf("%x", plain[:11])} {
		if strings.Contains(fp, leak) || strings.Contains(leak, fp) {
			t.Errorf("fingerprint %q reveals the secret or its plain SHA-256", fp)
		}
	}
}

func TestFingerprintMatchesAKnownAnswer(t *testing.T) {
	h, err := fingerprint.ParseKey(base64.StdEncoding.EncodeToString(make([]byte, fingerprint.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	// HMAC-SHA256 with a 32-byte zero key of "secret", first 16 bytes, unpadded base64url:
	// python3 -c "import hmac,hashlib,base64;print(base64.urlsafe_b64encode(hmac.new(bytes(32),b'secret',hashlib.sha256).digest()[:16]).rstrip(b'='))"
	if got, want := h.Fingerprint(domain.NewSecret("secret")), knownAnswer; got != want {
		t.Errorf("Fingerprint = %q, want %q", got, want)
	}
}

func TestParseKeyRefusesBadKeysWithoutRepeatingThem(t *testing.T) {
	for name, key := range map[string]string{
		"empty":      "",
		"not base64": "not*base64*at*all",
		"too short":  base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"too long":   base64.StdEncoding.EncodeToString(make([]byte, 33)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := fingerprint.ParseKey(key)
			if err == nil {
				t.Fatal("ParseKey accepted a bad key")
			}
			if key != "" && strings.Contains(err.Error(), key) {
				t.Errorf("error %q repeats the key", err)
			}
		})
	}
}

func TestHMACPrintsNoKey(t *testing.T) {
	raw := strings.Repeat("k", fingerprint.KeySize)
	h, err := fingerprint.ParseKey(base64.StdEncoding.EncodeToString([]byte(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, h); strings.Contains(out, "kkkk") || strings.Contains(out, "107") {
			t.Errorf("%s prints key material: %s", verb, out)
		}
	}
}

// knownAnswer was computed independently of this package, with Python's hmac module.
const knownAnswer = "GBDo00G55h6IiV-6CxqivQ"
