package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// bodyRoutes are the operations that take a JSON body.
var bodyRoutes = []struct{ method, path string }{
	{http.MethodPost, "/bucket"},
	{http.MethodPost, "/bucket/validate"},
	{http.MethodPut, "/bucket/" + newBucketID},
	{http.MethodPost, "/bucket/" + newBucketID + "/validate"},
}

// strictBodies break a rule encoding/json does not enforce, each with what the message says.
func strictBodies(t testing.TB) map[string]struct{ body, says string } {
	valid := mustJSON(t, validRequest())
	members := strings.TrimSuffix(strings.TrimPrefix(valid, "{"), "}")
	return map[string]struct{ body, says string }{
		"data after the object": {valid + ` {}`, "goes on after its JSON value"},
		"a repeated member":     {`{"secret":"other",` + members + `}`, `repeats the member "secret"`},
		"deep nesting":          {`{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,` + members + `}`, "more than 64 levels deep"},
		"invalid UTF-8":         {strings.Replace(valid, "My S3", "My \xff", 1), "not valid UTF-8"},
		"a lone surrogate":      {strings.Replace(valid, "My S3", `My \udead`, 1), "unpaired UTF-16 surrogate escape"},
		"a control character":   {strings.Replace(valid, testSecret, testSecret+`\u0000`, 1), `control character U+0000 in the value of "secret"`},
	}
}

func TestBodiesFollowTheStrictJSONRules(t *testing.T) {
	for name, tc := range strictBodies(t) {
		for _, route := range bodyRoutes {
			t.Run(name+" to "+route.method+" "+route.path, func(t *testing.T) {
				h := newHarness(t)
				res := h.serve(t, apiRequest(route.method, route.path, tc.body))

				e := wantError(t, res, http.StatusBadRequest, "INVALID_REQUEST")
				if !strings.Contains(e.Message, tc.says) {
					t.Errorf("message %q does not say %q", e.Message, tc.says)
				}
				wantNoCredential(t, res.body)
				h.wantNoCalls(t)
			})
		}
	}
}

// An anonymous caller learns nothing about the body rules: the token is checked first.
func TestStrictJSONRulesComeAfterAuthentication(t *testing.T) {
	for name, tc := range strictBodies(t) {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			req := createRequest(strings.NewReader(tc.body))
			req.Header.Del("Authorization")
			wantError(t, h.serve(t, req), http.StatusUnauthorized, "UNAUTHENTICATED")
			h.wantNoCalls(t)
		})
	}
}

// The validator would replace a null "validation" with its default; it is refused like a
// null for any other member that is not nullable.
func TestNullForAMemberWithADefaultIsRefused(t *testing.T) {
	for _, route := range bodyRoutes {
		t.Run(route.method+" "+route.path, func(t *testing.T) {
			h := newHarness(t)
			body := validRequest()
			body["validation"] = nil
			res := h.serve(t, apiRequest(route.method, route.path, mustJSON(t, body)))

			e := wantError(t, res, http.StatusBadRequest, "INVALID_REQUEST")
			if want := `"validation": the value must not be null; leave it out to use the default "read"`; !strings.Contains(e.Message, want) {
				t.Errorf("message %q does not say %q", e.Message, want)
			}
			h.wantNoCalls(t)
		})
	}
}

// Line breaks and tabs are the control characters a secret may hold: a PEM private key or a
// pretty-printed service-account JSON has them.
func TestSecretsKeepTheirLineBreaks(t *testing.T) {
	h := newHarness(t)
	body := validRequest()
	pem := "-----BEGIN PRIVATE KEY-----\r\nMIIB\tVQIB\n-----END PRIVATE KEY-----\n"
	body["secret"] = pem
	res := h.serve(t, createRequest(strings.NewReader(mustJSON(t, body))))

	wantStatus(t, res, http.StatusOK)
	if got := h.buckets.onlyCall(t, "Create").cmd.Secret.Reveal(); got != pem {
		t.Errorf("the service received secret %q, want %q", got, pem)
	}
}
