package s3validator

import (
	"context"
	"log/slog"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/logcapture"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// FuzzAnswers gives every request of a real validation, through the real SDK, one arbitrary
// answer (status, headers, body) and requires a tidy outcome: no panic (a recovered one is
// logged at error level), never an internal error, messages that are bounded printable text,
// and an error whose whole text is bounded.
func FuzzAnswers(f *testing.F) {
	for _, seed := range []struct {
		status    int
		header    string
		body      string
		readwrite bool
	}{
		{200, "Content-Type: text/html", "<html><body>Welcome</body></html>", false},
		{200, "Content-Type: application/xml", xmlListing("fuzz-bucket"), true},
		{200, "Content-Type: application/xml", `<?xml version="1.0"?><ListBucketResult><Name>fuzz-bu`, false},
		{200, "Content-Type: application/json", "[1,2]", false},
		{200, "", "", false},
		{301, "X-Amz-Bucket-Region: eu-west-1", xmlPermanentRedirect, false},
		{400, "X-Amz-Bucket-Region: not a region!", xmlHeaderMalformed, false},
		{400, "Content-Type: application/xml", xmlError("InvalidBucketName", "The specified bucket is not valid."), false},
		{400, "", xmlError("InvalidRegion", "Region\u202e does not match\x01"), false},
		{403, "Content-Type: text/\x1b[31mhtml", xmlError("Access\u200bDenied", "Access Denied"), false},
		{404, "", xmlError("NoSuchBucket", "The specified bucket does not exist"), false},
		{418, "", "\x00\x01", false},
		{503, "Retry-After: 1", xmlError("SlowDown", "Reduce your request rate."), false},
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
		target := s3Target("https://s3.provider.example", "fuzz-bucket", awsKey, awsSecret)
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
