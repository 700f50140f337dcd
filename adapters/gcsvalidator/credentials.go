package gcsvalidator

import (
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"math/bits"
	"strings"

	"github.com/bucketd/bucketd/domain"
)

// The RSA key sizes a validation accepts. Parsing a key and signing with it cost more than the
// cube of its size, so an oversized key makes one validation cost many times a real key's CPU
// (see docs/performance.md), which any caller could repeat at will. Google issues 2048-bit keys
// (its API still knows 1024-bit ones); Go refuses to sign with fewer than 1024 bits.
const (
	minKeyBits = 1024
	maxKeyBits = 4096
)

// maxSecretBytes bounds the secret a service account is read from, before any of it is parsed.
// Google's JSON key files are about 2.4 KB (4 KB with a 4096-bit key); the PEM key alone is
// less. What parsing costs grows with the size, so no more is parsed than a real key needs.
const maxSecretBytes = 16 << 10

// serviceAccount is the identity a validation signs its JWT with.
type serviceAccount struct {
	email string
	// keyID is the private_key_id of a JSON key file, sent as the JWT's kid: Google verifies a
	// self-signed JWT with the public key it names. Empty when only the PEM key was given
	// (the validator may then find it in the account's key list).
	keyID string
	key   *rsa.PrivateKey
	// hint shows the email as messages may: domain.Secret.Hint of it.
	hint string
}

// withKeyID returns sa naming kid, for a key whose id was found in its account's key list.
func (sa serviceAccount) withKeyID(kid string) serviceAccount {
	sa.keyID = kid
	return sa
}

// keyFile is the part of a service-account JSON key file the validator reads. Its token_uri is
// deliberately ignored: tokens are requested only from the configured token endpoint.
type keyFile struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
}

// isHMACAccessID reports whether key is a GCS HMAC access id (GOOG…), not a client email.
func isHMACAccessID(key string) bool {
	return strings.HasPrefix(key, "GOOG") && !strings.Contains(key, "@")
}

// parseServiceAccount reads the credentials the Flashback way: key is the service account's
// client email and secret its private key in PEM, or secret is the whole JSON key file (key
// then empty or equal to its client_email). The messages never show the secret, and the key
// only as its hint.
func parseServiceAccount(c domain.Credentials) (serviceAccount, error) {
	key := strings.TrimSpace(c.Key.Reveal())
	secret := strings.TrimSpace(c.Secret.Reveal())
	if len(secret) > maxSecretBytes {
		return serviceAccount{}, domain.Errorf(domain.KindInvalidCredentials,
			"authenticate: secret is %d bytes; a service account's JSON key file or private key is at most %d bytes "+
				"(Google's are about 2400); paste the key file or its private_key alone", len(secret), maxSecretBytes)
	}
	if strings.HasPrefix(secret, "{") {
		return parseKeyFile(key, secret)
	}
	switch {
	case isHMACAccessID(key):
		return serviceAccount{}, domain.Errorf(domain.KindInvalidInput,
			"authenticate: key %s is a GCS HMAC access id, which this server does not validate; "+
				"give a service account's client email as key and its private key (or JSON key file) as secret", c.Key.Hint())
	case !strings.Contains(key, "@"):
		return serviceAccount{}, domain.Errorf(domain.KindInvalidInput,
			"authenticate: key %s is not a service account's client email (name@project.iam.gserviceaccount.com); "+
				"give the client email as key and its private key as secret", c.Key.Hint())
	}
	pk, err := parsePrivateKey(secret)
	if err != nil {
		return serviceAccount{}, err
	}
	return serviceAccount{email: key, key: pk, hint: c.Key.Hint()}, nil
}

// parseKeyFile reads a service-account JSON key file given as secret.
func parseKeyFile(key, secret string) (serviceAccount, error) {
	var f keyFile
	if err := json.Unmarshal([]byte(secret), &f); err != nil {
		return serviceAccount{}, domain.Errorf(domain.KindInvalidCredentials,
			"authenticate: secret starts like JSON but is not a valid service-account key file; "+
				"paste the whole downloaded key file, or give its private_key alone")
	}
	switch {
	case f.Type != "service_account":
		return serviceAccount{}, domain.Errorf(domain.KindInvalidCredentials,
			"authenticate: the JSON in secret is not a service-account key file (its type is not service_account); "+
				"create a JSON key for a service account")
	case f.ClientEmail == "" || f.PrivateKey == "":
		return serviceAccount{}, domain.Errorf(domain.KindInvalidCredentials,
			"authenticate: the service-account key file in secret lacks client_email or private_key; download a new JSON key")
	}
	hint := domain.NewSecret(f.ClientEmail).Hint()
	if key != "" && !strings.EqualFold(key, f.ClientEmail) {
		return serviceAccount{}, domain.Errorf(domain.KindInvalidInput,
			"authenticate: key %s does not match the client_email %s of the key file in secret; "+
				"give that client email as key", domain.NewSecret(key).Hint(), hint)
	}
	pk, err := parsePrivateKey(f.PrivateKey)
	if err != nil {
		return serviceAccount{}, err
	}
	return serviceAccount{email: f.ClientEmail, keyID: f.PrivateKeyID, key: pk, hint: hint}, nil
}

// parsePrivateKey reads an RSA private key in PEM, PKCS#8 ("PRIVATE KEY", as Google issues
// them) or PKCS#1 ("RSA PRIVATE KEY"), of minKeyBits to maxKeyBits bits. Literal \n sequences
// count as line breaks: that is how the key looks when copied out of a JSON key file. Parser
// errors are not wrapped, as they may quote the input.
func parsePrivateKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.ReplaceAll(s, `\n`, "\n")))
	if block == nil {
		return nil, domain.Errorf(domain.KindInvalidCredentials,
			"authenticate: secret is not a PEM private key; paste the service account's private_key "+
				"(-----BEGIN PRIVATE KEY----- ...) or the whole JSON key file")
	}
	if n, ok := modulusBits(block); ok && (n < minKeyBits || n > maxKeyBits) {
		return nil, domain.Errorf(domain.KindInvalidCredentials,
			"authenticate: the private key is %d bits; bucketd accepts RSA keys of %d to %d bits (Google issues 2048-bit keys)",
			n, minKeyBits, maxKeyBits)
	}
	var parsed any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, domain.Errorf(domain.KindInvalidCredentials,
			"authenticate: secret is PEM but not an unencrypted private key; paste the private_key of the service account's JSON key file")
	}
	if err != nil {
		return nil, domain.Errorf(domain.KindInvalidCredentials,
			"authenticate: the PEM private key in secret is damaged; paste it again, with its BEGIN and END lines")
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, domain.Errorf(domain.KindInvalidCredentials,
			"authenticate: the private key in secret is not an RSA key; Google service-account keys are RSA, paste one of those")
	}
	return key, nil
}

// pkcs8Head and pkcs1Head are the leading fields of a PKCS#8 private key and of a PKCS#1 RSA
// private key, as crypto/x509 reads them with encoding/asn1; whatever follows is left unread.
type pkcs8Head struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

type pkcs1Head struct {
	Version int
	N       asn1.RawValue
}

// oidRSA is rsaEncryption, the algorithm of an RSA key in PKCS#8.
var oidRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}

// modulusBits reads the size of an RSA private key's modulus from block without parsing the
// key: crypto/x509 checks every part of a key and precomputes with it, which for a huge key
// costs about as much as a signature. ok is false when block does not hold an RSA key in the
// encoding its type names; the full parser then says what is wrong. It reads the same fields
// as crypto/x509 does, the same way, so any key that parser accepts has its size read here.
func modulusBits(block *pem.Block) (n int, ok bool) {
	der := block.Bytes
	switch block.Type {
	case "PRIVATE KEY":
		var head pkcs8Head
		if _, err := asn1.Unmarshal(der, &head); err != nil || !head.Algo.Algorithm.Equal(oidRSA) {
			return 0, false
		}
		der = head.PrivateKey
	case "RSA PRIVATE KEY":
	default:
		return 0, false
	}
	var head pkcs1Head
	if _, err := asn1.Unmarshal(der, &head); err != nil || head.N.Class != asn1.ClassUniversal || head.N.Tag != asn1.TagInteger {
		return 0, false
	}
	modulus := head.N.Bytes
	for len(modulus) > 0 && modulus[0] == 0 {
		modulus = modulus[1:]
	}
	if len(modulus) == 0 {
		return 0, false
	}
	return (len(modulus)-1)*8 + bits.Len8(modulus[0]), true
}
