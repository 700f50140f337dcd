package gcsvalidator

import (
	"context"
	"log/slog"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/testsupport/logcapture"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// FuzzAnswers gives every request of a real validation (the token exchange and the key list
// included, when the key is a bare PEM key), through the real storage client, one arbitrary
// answer (status, headers, body) and requires a tidy outcome: no panic (a recovered one is
// logged at error level), never an internal error, messages that are bounded printable text,
// and an error whose whole text is bounded.
func FuzzAnswers(f *testing.F) {
	for _, seed := range []struct {
		status int
		header string
		body   string
		pem    bool
	}{
		{200, "Content-Type: text/html", "<html><body>Welcome</body></html>", false},
		{200, "Content-Type: application/json", `{"kind":"storage#bucket","name":"fuzz-bucket","location":"US-EAST1"}`, false},
		{200, "Content-Type: application/json", `{"access_token":"t","name":"fuzz-bucket","location":"US","permissions":["storage.objects.list"]}`, true},
		{200, "Content-Type: application/json", "[1,2]", false},
		{200, "Content-Type: application/json", "{}", true},
		{200, "", "", false},
		{200, "Content-Type: application/json", `{"name":"fuzz-bucket","location":"US\u0007"}`, false},
		{400, "Content-Type: application/json", `{"error":{"code":400,"message":"Invalid bucket name","errors":[{"reason":"invalid"}]}}`, false},
		{400, "Content-Type: application/json", `{"error":"invalid_grant","error_description":"Invalid JWT\u202e\u0000"}`, true},
		{401, "Content-Type: application/json", `{"error":{"code":401,"message":"Invalid Credentials","errors":[{"reason":"auth\u200bError"}]}}`, false},
		{403, "Content-Type: text/\x1b[31mhtml", "<html>Forbidden</html>", false},
		{503, "Retry-After: 1", "", false},
	} {
		f.Add(uint16(seed.status-200), seed.header, []byte(seed.body), seed.pem)
	}
	pemKey, keyFileJSON := stubCredentials(f)
	f.Fuzz(func(t *testing.T, status uint16, header string, body []byte, pem bool) {
		var errors logcapture.Buffer
		v, err := New(Config{
			HTTPClient:  netguard.NewClient(providerchecktest.AnswerOf(status, header, body)),
			TokenURL:    "https://oauth2.provider.example/token",
			CertsURL:    "https://certs.provider.example/jwk/",
			APIEndpoint: "https://storage.provider.example",
			Logger:      slog.New(slog.NewTextHandler(&errors, &slog.HandlerOptions{Level: slog.LevelError})),
		})
		if err != nil {
			t.Fatal(err)
		}
		target := gcsTarget("", "fuzz-bucket", "", keyFileJSON)
		if pem {
			target = gcsTarget("", "fuzz-bucket", stubEmail, pemKey)
		}
		report, err := v.Validate(context.Background(), target)
		v.lookups.Wait()
		providerchecktest.WantTidyOutcome(t, report, err)
		providerchecktest.WantBoundedText(t, err, "")
		if errors.String() != "" {
			t.Errorf("the validation logged at error level:\n%s", errors.String())
		}
	})
}
