package gcsvalidator

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// fail records a failed check classified by what the provider answered. The message and the
// cause (kept for the log, its text bounded) show the account's email as its hint: Google's
// error texts, which messages may quote, name the caller.
func (p *probe) fail(r *report, check string, a answer) {
	hide := strings.NewReplacer(p.account.email, p.account.hint, strings.ToLower(p.account.email), p.account.hint)
	cause := providercheck.Bounded(hintedError{err: a.err, replace: hide})
	r.Fail(check, a.code, domain.Wrap(a.kind, cause, hide.Replace(p.describe(check, a))))
}

// describe writes the caller-facing message for a failed answer of check. It names the check,
// the bucket and the account's hint, never the key or the secret; failures that are not
// Google's verdict are worded by providercheck, as for every provider.
func (p *probe) describe(check string, a answer) string {
	if msg, ok := providercheck.DescribePanic(check, a.err); ok {
		return msg
	}
	if a.message != "" {
		return a.message
	}
	where := p.where
	switch {
	case a.where != "":
		where = a.where
	case check == checkAuth:
		where = p.v.tokenWhere
	}
	bucket, who := p.target.Bucket, p.account.hint
	switch a.kind {
	case domain.KindInvalidCredentials:
		if p.impersonated {
			return fmt.Sprintf("%s: Google did not accept the token minted for service account %s (%s); check that the account is enabled",
				check, who, a.reason())
		}
		return fmt.Sprintf("%s: Google rejected service account %s (%s); "+
			"check that the private key belongs to this client email and that key and account are enabled", check, who, a.reason())
	case domain.KindAccessDenied:
		if check == checkBucket {
			return fmt.Sprintf("bucket: access denied for service account %s on bucket %s; "+
				"grant storage.buckets.get, for example with roles/storage.legacyBucketReader", who, bucket)
		}
		return fmt.Sprintf("%s: access denied for service account %s on bucket %s (%s)", check, who, bucket, a.code)
	case domain.KindBucketNotFound:
		return fmt.Sprintf("%s: bucket %s does not exist at %s; check the bucket name and the endpoint", check, bucket, where)
	case domain.KindInvalidInput:
		return fmt.Sprintf("%s: %s refused the bucket name %q (%s); check bucket against Google's bucket naming rules",
			check, where, bucket, a.reason())
	case domain.KindProviderError:
		switch {
		case a.status >= http.StatusInternalServerError:
			return providercheck.DescribeServerError(check, where, a.status, a.code)
		case a.odd != nil:
			return a.odd.Describe(check, where)
		case a.status != 0:
			return fmt.Sprintf("%s: %s refused the request for service account %s on bucket %s with %d (%s)",
				check, where, who, bucket, a.status, a.reason())
		}
	}
	return providercheck.DescribeTransport(check, where, a.kind, a.err, p.v.timeout)
}

// reason is the provider's code with its description, for messages.
func (a answer) reason() string {
	switch {
	case a.code == "":
		return http.StatusText(a.status)
	case a.detail == "":
		return a.code
	}
	return a.code + ": " + a.detail
}

// hintedError shows an error's text with the service account's email replaced by its hint and
// keeps the error itself in the chain for errors.Is and errors.As.
type hintedError struct {
	err     error
	replace *strings.Replacer
}

func (e hintedError) Error() string { return e.replace.Replace(e.err.Error()) }
func (e hintedError) Unwrap() error { return e.err }
