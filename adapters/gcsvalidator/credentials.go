package gcsvalidator

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"

	"github.com/bucketd/bucketd/domain"
)

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
// them) or PKCS#1 ("RSA PRIVATE KEY"). Literal \n sequences count as line breaks: that is how
// the key looks when copied out of a JSON key file. Parser errors are not wrapped, as they may
// quote the input.
func parsePrivateKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.ReplaceAll(s, `\n`, "\n")))
	if block == nil {
		return nil, domain.Errorf(domain.KindInvalidCredentials,
			"authenticate: secret is not a PEM private key; paste the service account's private_key "+
				"(-----BEGIN PRIVATE KEY----- ...) or the whole JSON key file")
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
