package fakegcs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"slices"
	"testing"
)

// account is a registered service account: its keys verify what it signs, and its permissions
// apply on every bucket.
type account struct {
	email string
	// keys are the account's keys by id (private_key_id), guarded by Server.mu. A deleted key
	// is gone from the map, as from Google.
	keys        map[string]*accountKey
	permissions []string
}

// accountKey is the public half of a service-account key.
type accountKey struct {
	public   *rsa.PublicKey
	disabled bool
}

// NewServiceAccount registers a service account with a fresh RSA key and grants it permissions
// on every bucket (e.g. "storage.buckets.get", "storage.objects.list"). It returns the private
// key as PKCS#8 PEM and the service-account JSON key file Google would hand out for it, whose
// private_key_id names the key.
func (s *Server) NewServiceAccount(t testing.TB, email string, permissions ...string) (privateKeyPEM, serviceAccountJSON string) {
	t.Helper()
	return s.NewServiceAccountWithKey(t, email, generateKey(t, email), permissions...)
}

// NewServiceAccountWithKey is NewServiceAccount with private as the account's key instead of a
// fresh 2048-bit one, e.g. to measure what a larger key costs.
func (s *Server) NewServiceAccountWithKey(t testing.TB, email string, private *rsa.PrivateKey, permissions ...string) (privateKeyPEM, serviceAccountJSON string) {
	t.Helper()
	key := s.issueKey(t, email, private)
	s.register(t, email, map[string]*accountKey{key.id: {public: key.public}}, permissions)
	return key.privatePEM, key.file
}

// NewKeylessServiceAccount registers a service account without a key, as organizations that
// forbid key creation have them, and grants it permissions on every bucket: only an access
// token issued for it (IssueToken, as impersonation obtains one) lets a caller act as it.
func (s *Server) NewKeylessServiceAccount(t testing.TB, email string, permissions ...string) {
	t.Helper()
	s.register(t, email, map[string]*accountKey{}, permissions)
}

func (s *Server) register(t testing.TB, email string, keys map[string]*accountKey, permissions []string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.accounts[email]; taken {
		t.Fatalf("fakegcs: service account %s is already registered", email)
	}
	s.accounts[email] = &account{email: email, keys: keys, permissions: permissions}
}

// RotateKey gives service account email a fresh key and deletes its old ones, as creating a
// key and deleting the previous one does at Google: what the old key signs verifies nothing
// any more, and the public key list names the new key alone. It returns the new key as
// NewServiceAccount does.
func (s *Server) RotateKey(t testing.TB, email string) (privateKeyPEM, serviceAccountJSON string) {
	t.Helper()
	key := s.issueKey(t, email, generateKey(t, email))
	s.changeKeys(t, email, func(a *account) {
		clear(a.keys)
		a.keys[key.id] = &accountKey{public: key.public}
	})
	return key.privatePEM, key.file
}

// issuedKey is a fresh key of a service account: its id, public half, PEM private key and
// JSON key file.
type issuedKey struct {
	id, privatePEM, file string
	public               *rsa.PublicKey
}

func generateKey(t testing.TB, email string) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("fakegcs: generate key for %s: %v", email, err)
	}
	return key
}

func (s *Server) issueKey(t testing.TB, email string, key *rsa.PrivateKey) issuedKey {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("fakegcs: marshal key for %s: %v", email, err)
	}
	privateKeyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	rawID := make([]byte, 20)
	_, _ = rand.Read(rawID)
	keyID := hex.EncodeToString(rawID)
	file, err := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "fakegcs",
		"private_key_id": keyID,
		"private_key":    privateKeyPEM,
		"client_email":   email,
		"client_id":      "100000000000000000001",
		"auth_uri":       "https://accounts.google.com/o/oauth2/auth",
		"token_uri":      s.TokenURL,
	})
	if err != nil {
		t.Fatalf("fakegcs: marshal key file for %s: %v", email, err)
	}
	return issuedKey{id: keyID, privatePEM: privateKeyPEM, file: string(file), public: &key.PublicKey}
}

// DisableKey disables the key of service account email, as `gcloud iam service-accounts keys
// disable` does: nothing it signs is accepted any more, until the end of the test.
func (s *Server) DisableKey(t testing.TB, email string) {
	t.Helper()
	s.changeKeys(t, email, func(a *account) {
		for _, k := range a.keys {
			k.disabled = true
		}
	})
}

// DeleteKey deletes the key of service account email: Google no longer knows its id.
func (s *Server) DeleteKey(t testing.TB, email string) {
	t.Helper()
	s.changeKeys(t, email, func(a *account) { clear(a.keys) })
}

func (s *Server) changeKeys(t testing.TB, email string, change func(*account)) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	acct := s.accounts[email]
	if acct == nil {
		t.Fatalf("fakegcs: no service account %s; register it first", email)
	}
	change(acct)
}

// enabledKeys returns the public keys of acct that may verify a JWT naming kid: that key
// alone, or every key when kid is empty (only the token endpoint accepts no kid). Disabled
// and unknown keys verify nothing.
func (s *Server) enabledKeys(acct *account, kid string) []*rsa.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []*rsa.PublicKey
	for id, k := range acct.keys {
		if !k.disabled && (kid == "" || id == kid) {
			keys = append(keys, k.public)
		}
	}
	return keys
}

// granted returns those of wanted that the account holds, in the order asked.
func (a *account) granted(wanted []string) []string {
	held := []string{}
	for _, p := range wanted {
		if slices.Contains(a.permissions, p) {
			held = append(held, p)
		}
	}
	return held
}
