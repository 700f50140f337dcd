package azurevalidator

import (
	"context"
	"log/slog"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/logcapture"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// FuzzAnswers gives every request of a real validation, through the real SDK, one arbitrary
// answer (status, headers, body) and requires a tidy outcome: no panic (a recovered one is
// logged at error level), never an internal error, messages that are bounded printable text,
// and an error whose whole text is bounded.
func FuzzAnswers(f *testing.F) {
	const listing = `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://blob.provider.example/" ` +
		`ContainerName="fuzz-container"><Blobs /></EnumerationResults>`
	for _, seed := range []struct {
		status    int
		header    string
		body      string
		readwrite bool
	}{
		{200, "Content-Type: text/html", "<html><body>Welcome</body></html>", false},
		{200, "Content-Type: application/xml", listing, true},
		{200, "Content-Type: application/json", "{}", false},
		{200, "Content-Type: application/xml", `<?xml version="1.0"?><EnumerationResults ContainerName="fuzz-con`, false},
		{200, "Last-Modified: not a date\nEtag: \"x\"", "", false},
		{201, "", "", true},
		{400, "X-Ms-Error-Code: InvalidResourceName", "<Error><Code>InvalidResourceName</Code></Error>", false},
		{403, "X-Ms-Error-Code: Authorization\u202eFailure\x07", "", false},
		{404, "X-Ms-Error-Code: ContainerNotFound", "", false},
		{409, "Content-Type: application/json", `{"error":{"code":"Odd","message":"\u0000"}}`, false},
		{503, "X-Ms-Error-Code: ServerBusy\nRetry-After: 1", "", false},
	} {
		f.Add(uint16(seed.status-200), seed.header, []byte(seed.body), seed.readwrite)
	}
	f.Fuzz(func(t *testing.T, status uint16, header string, body []byte, readwrite bool) {
		var errors logcapture.Buffer
		v, err := New(Config{
			HTTPClient: netguard.NewClient(providerchecktest.AnswerOf(status, header, body)),
			Logger:     slog.New(slog.NewTextHandler(&errors, &slog.HandlerOptions{Level: slog.LevelError})),
		})
		if err != nil {
			t.Fatal(err)
		}
		target := azureTarget("https://blob.provider.example", "fuzz-container", azurite.Account, azurite.Key)
		if readwrite {
			target.Mode = domain.ValidateReadWrite
		}
		report, err := v.Validate(context.Background(), target)
		providerchecktest.WantTidyOutcome(t, report, err)
		providerchecktest.WantBoundedText(t, err, "")
		if errors.String() != "" {
			t.Errorf("the validation logged at error level:\n%s", errors.String())
		}
	})
}
