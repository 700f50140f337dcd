package gcsvalidator

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// testKey reads testdata/keys/rsaBITS.pem, a PKCS#8 key made with
//
//	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:BITS
//
// for the sizes Go cannot make quickly (4096 and more) or at all (below 1024). They are test
// keys, registered nowhere.
func testKey(t testing.TB, bits int) string {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("testdata/keys/rsa%d.pem", bits))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// asPKCS1 re-frames a PKCS#8 RSA key as PKCS#1 without parsing the key itself, so it works for
// keys crypto/x509 would refuse.
func asPKCS1(t testing.TB, pkcs8 string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(pkcs8))
	var head pkcs8Head
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatal("test key is not a PKCS#8 PEM key")
	}
	if _, err := asn1.Unmarshal(block.Bytes, &head); err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: head.PrivateKey}))
}

// TestModulusBitsReadsTheKeySize checks the size read from the DER against what crypto/x509
// parses, for both encodings, and that what is not an RSA key has no size.
func TestModulusBitsReadsTheKeySize(t *testing.T) {
	generated, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(generated)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{"1024": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}
	for _, bits := range []int{512, 4096, 4104, 16384} {
		keys[fmt.Sprint(bits)] = testKey(t, bits)
	}
	for name, pkcs8 := range keys {
		for encoding, key := range map[string]string{"PKCS#8": pkcs8, "PKCS#1": asPKCS1(t, pkcs8)} {
			t.Run(name+" "+encoding, func(t *testing.T) {
				block, _ := pem.Decode([]byte(key))
				bits, ok := modulusBits(block)
				if !ok || fmt.Sprint(bits) != name {
					t.Errorf("modulusBits = %d, %v; want %s", bits, ok, name)
				}
			})
		}
	}

	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"Ed25519 in PKCS#8":      {Type: "PRIVATE KEY", Bytes: edDER},
		"PKCS#8 labelled PKCS#1": {Type: "RSA PRIVATE KEY", Bytes: der},
		"not DER":                {Type: "PRIVATE KEY", Bytes: []byte("not DER")},
		"other type":             {Type: "EC PRIVATE KEY", Bytes: der},
	} {
		if bits, ok := modulusBits(block); ok {
			t.Errorf("%s: modulusBits = %d, want no size", name, bits)
		}
	}
}

// TestModulusBitsAgreesWithX509 compares the two readings on keys crypto/x509 accepts.
func TestModulusBitsAgreesWithX509(t *testing.T) {
	for _, key := range []string{testKey(t, 4096), testKey(t, 4104)} {
		block, _ := pem.Decode([]byte(key))
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if bits, ok := modulusBits(block); !ok || bits != parsed.(*rsa.PrivateKey).N.BitLen() {
			t.Errorf("modulusBits = %d, %v; crypto/x509 reads %d bits", bits, ok, parsed.(*rsa.PrivateKey).N.BitLen())
		}
	}
}

// TestValidateRefusesKeySizes: keys too large to sign with at a bounded cost, and too small for
// Go to sign with at all, are refused as invalid credentials saying why, before any request.
func TestValidateRefusesKeySizes(t *testing.T) {
	p := startPeer(t)
	h := p.harness(t, nil)
	refused := map[string]domain.CheckStatus{checkConnect: domain.CheckSkip, checkAuth: domain.CheckFail,
		checkBucket: domain.CheckSkip, checkRegion: domain.CheckSkip, checkPermissions: domain.CheckSkip}
	says := func(bits int) string {
		return fmt.Sprintf("authenticate: the private key is %d bits; bucketd accepts RSA keys of 1024 to 4096 bits (Google issues 2048-bit keys)", bits)
	}
	for _, c := range []struct {
		name   string
		bits   int
		secret func(key string) string
	}{
		{"16384-bit PEM key", 16384, func(key string) string { return key }},
		{"16384-bit key in a key file", 16384, func(key string) string { return p.editedKeyFile(t, readerEmail, "private_key", key) }},
		{"16384-bit PKCS#1 key", 16384, func(key string) string { return asPKCS1(t, key) }},
		{"4104-bit PEM key", 4104, func(key string) string { return key }},
		{"512-bit PEM key", 512, func(key string) string { return key }},
		{"512-bit key in a key file", 512, func(key string) string { return p.editedKeyFile(t, readerEmail, "private_key", key) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(p.Requests())
			secret := c.secret(testKey(t, c.bits))
			key := readerEmail
			if strings.HasPrefix(secret, "{") {
				key = ""
			}
			report, err := h.validate(t, p.target("full-bucket", key, secret))
			providerchecktest.WantOutcome(t, report, err, providerchecktest.Outcome{
				Kind: domain.KindInvalidCredentials, Says: []string{says(c.bits)}, Checks: refused})
			if sent := p.Requests()[before:]; len(sent) != 0 {
				t.Errorf("the peer received %v, want no request", sent)
			}
		})
	}
}

// TestValidateAcceptsA4096BitKey: the largest key accepted validates like Google's own.
func TestValidateAcceptsA4096BitKey(t *testing.T) {
	p := startPeer(t)
	const email = "large-key@bucketd-test.iam.gserviceaccount.com"
	block, _ := pem.Decode([]byte(testKey(t, 4096)))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, keyFile := p.NewServiceAccountWithKey(t, email, key.(*rsa.PrivateKey), readerPermissions...)
	h := p.harness(t, nil)
	for name, target := range map[string]domain.ValidationTarget{
		"PEM key":  p.target("full-bucket", email, pemKey),
		"key file": p.target("full-bucket", "", keyFile),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := h.validate(t, target); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

// TestParseServiceAccountBoundsTheSecret: no more is parsed than a key file could need; a
// secret of exactly the bound is read (what follows a PEM block is ignored).
func TestParseServiceAccountBoundsTheSecret(t *testing.T) {
	p := startPeer(t)
	key := p.keys[readerEmail]
	padded := strings.Replace(p.keyFiles[readerEmail], "{", "{"+strings.Repeat(" ", maxSecretBytes), 1)
	atBound := key + strings.Repeat("#", maxSecretBytes-len(key))
	over := atBound + "#"
	for name, c := range map[string]struct {
		key, secret, says string
	}{
		"padded key file":  {"", padded, fmt.Sprintf("authenticate: secret is %d bytes; a service account's JSON key file or private key is at most 16384 bytes", len(padded))},
		"PEM key and more": {readerEmail, over, "authenticate: secret is 16385 bytes"},
		"at the bound":     {readerEmail, atBound, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseServiceAccount(domain.Credentials{Key: domain.NewSecret(c.key), Secret: domain.NewSecret(c.secret)})
			if c.says == "" {
				if err != nil {
					t.Fatalf("parseServiceAccount error = %v, want the key read", err)
				}
				return
			}
			providerchecktest.WantKind(t, err, domain.KindInvalidCredentials, c.says)
		})
	}
}

// BenchmarkRefuseOversizedKey measures what refusing a 16384-bit key costs, all of it: reading
// the secret as far as the key's size.
func BenchmarkRefuseOversizedKey(b *testing.B) {
	creds := domain.Credentials{Key: domain.NewSecret(readerEmail), Secret: domain.NewSecret(testKey(b, 16384))}
	for b.Loop() {
		if _, err := parseServiceAccount(creds); !domain.IsKind(err, domain.KindInvalidCredentials) {
			b.Fatalf("parseServiceAccount error = %v, want the size refused", err)
		}
	}
}
