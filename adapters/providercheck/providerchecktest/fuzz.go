package providerchecktest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/adapters/testpeers/hostile"
	"github.com/bucketd/bucketd/domain"
)

// fuzzSeeds are answers a provider gives, right and wrong, in each API's format.
var fuzzSeeds = []struct {
	status                   int
	contentType, name, value string
	body                     string
}{
	{200, "application/xml", "", "", `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>contract-bucket</Name><KeyCount>0</KeyCount></ListBucketResult>`},
	{200, "application/xml", "", "", `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="contract-container"><Blobs/></EnumerationResults>`},
	{200, "application/json", "", "", `{"kind":"storage#bucket","name":"contract-bucket","location":"US-EAST1"}`},
	{200, "application/json", "", "", `{"kind":"storage#testIamPermissionsResponse","permissions":["storage.objects.list"]}`},
	{200, "application/json", "", "", `{"access_token":"ya29.token","token_type":"Bearer","expires_in":3599}`},
	{200, "application/json", "", "", `{"keys":[{"kty":"RSA","kid":"abc","n":"AQAB","e":"AQAB"}]}`},
	{301, "application/xml", "X-Amz-Bucket-Region", "eu-west-1", `<Error><Code>PermanentRedirect</Code></Error>`},
	{400, "application/xml", "", "", `<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message></Error>`},
	{403, "application/xml", "x-ms-error-code", "AuthenticationFailed", `<Error><Code>AuthenticationFailed</Code></Error>`},
	{403, "application/json", "", "", `{"error":{"code":403,"message":"denied","errors":[{"reason":"forbidden"}]}}`},
	{400, "application/json", "", "", `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`},
	{404, "application/xml", "", "", `<Error><Code>NoSuchBucket</Code></Error>`},
	{503, "text/html", "Retry-After", "1", `<html><body>Service Unavailable</body></html>`},
	{200, "", "", "", ``},
	{200, "application/json", "", "", `null`},
	{200, "application/json", "", "", `[]`},
	{200, "application/xml", "", "", `<?xml version="1.0"?>`},
}

// FuzzAnswers fuzzes the validator h builds with whatever a provider may answer, a hostile
// peer as the target's endpoint answering every request with one fuzzed status (200 to 599),
// content type, header and body. Whatever the answer, the validation passes or fails with a
// classified error, never an internal one and never a panic, and every text it reports is
// bounded and printable.
func FuzzAnswers(f *testing.F, h Harness) {
	FuzzAnswersWith(f, hostile.Start(f), Decides, h)
}

// FuzzAnswersWith is FuzzAnswers against peer, which the validator h builds reaches however h
// built it (see RunHostileContractWith); a peer the validation does without (Aside) must leave
// it passing, whatever it answers.
func FuzzAnswersWith(f *testing.F, peer *hostile.Peer, role PeerRole, h Harness) {
	for _, s := range fuzzSeeds {
		f.Add(s.status, s.contentType, s.name, s.value, []byte(s.body))
	}
	allow := LoopbackAllowList(f)
	v := build(f, h, providercheck.Options{HTTPClient: guardedClient(f, allow), AllowList: allow, Timeout: patientTimeout})
	target := h.Target(peer.URL)
	f.Fuzz(func(t *testing.T, status int, contentType, name, value string, body []byte) {
		header := http.Header{}
		if contentType != "" {
			header.Set("Content-Type", contentType)
		}
		if name != "" {
			header.Set(name, value)
		}
		peer.Answer(200+(status%400+400)%400, header, body)
		start := time.Now()
		report, err := v.Validate(context.Background(), target)
		if took := time.Since(start); took > patientTimeout {
			t.Errorf("the validation took %s, its deadline is %s", took, patientTimeout)
		}
		if role == Aside && err != nil {
			t.Fatalf("a validation that does without the peer failed: %v", err)
		}
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind == domain.KindInternal {
				t.Fatalf("error %.300q (kind %v), want a classified one", err, domain.KindOf(err))
			}
			wantBoundedText(t, "the message", de.Message)
		}
		for _, c := range report.Checks {
			wantBoundedText(t, "check "+c.Name+"'s message", c.Message)
			wantBoundedText(t, "check "+c.Name+"'s provider code", c.ProviderCode)
		}
		WantNoLeak(t, report, err, "", target.Credentials.Secret.Reveal())
	})
}
