package fakegcs

import (
	"cmp"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"net/http"
	"slices"
	"strings"
)

// keyListPath is where the public keys of each service account are listed, as Google lists
// them at https://www.googleapis.com/service_accounts/v1/metadata/jwk/{client_email}.
const keyListPath = "/service_accounts/v1/metadata/jwk/"

// jsonWebKey is one entry of a key list: an RSA public key (RFC 7517, RFC 7518 section 6.3)
// named by its key id, the private_key_id of its key file.
type jsonWebKey struct {
	KeyType   string `json:"kty"`
	Algorithm string `json:"alg"`
	Use       string `json:"use"`
	KeyID     string `json:"kid"`
	Modulus   string `json:"n"`
	Exponent  string `json:"e"`
}

// serveKeyList answers GET keyListPath{client_email} with the account's public keys as a JSON
// Web Key Set, without asking for credentials, as Google does. It lists every key that is
// neither deleted nor disabled. Whether Google keeps listing a disabled key is not
// documented; the fake leaves it out, and a client must not depend on either (a listed key
// proves nothing until Google accepts what it signs). An unknown account gets 404.
func (s *Server) serveKeyList(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeAPIError(w, http.StatusMethodNotAllowed, "methodNotAllowed", "GET the key list")
		return
	}
	keys, ok := s.listedKeys(strings.TrimPrefix(r.URL.Path, keyListPath))
	if !ok {
		writeAPIError(w, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

// listedKeys returns the enabled keys of the account email, in key id order, or false when no
// such account is registered.
func (s *Server) listedKeys(email string) ([]jsonWebKey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct := s.accounts[email]
	if acct == nil {
		return nil, false
	}
	keys := []jsonWebKey{}
	for id, k := range acct.keys {
		if !k.disabled {
			keys = append(keys, publicJWK(id, k.public))
		}
	}
	slices.SortFunc(keys, func(a, b jsonWebKey) int { return cmp.Compare(a.KeyID, b.KeyID) })
	return keys, true
}

// publicJWK writes key as the JSON Web Key Google lists: modulus and exponent as unsigned
// big-endian integers in unpadded base64url.
func publicJWK(id string, key *rsa.PublicKey) jsonWebKey {
	enc := base64.RawURLEncoding
	return jsonWebKey{
		KeyType: "RSA", Algorithm: "RS256", Use: "sig", KeyID: id,
		Modulus:  enc.EncodeToString(key.N.Bytes()),
		Exponent: enc.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}
}
