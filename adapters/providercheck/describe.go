package providercheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
)

// DescribeTransport writes the caller-facing message for a failure of check that the provider
// had no say in: the SSRF guard refused the connection, the endpoint could not be reached, it
// did not answer before the validation's deadline (or its caller went away), or its answer was
// larger than bucketd reads or not HTTP at all (kind KindProviderError). kind is the
// validator's classification of err, where names the provider ("AWS S3", an endpoint URL) and
// timeout is the validation's deadline. Any other kind means the request could not even be
// sent, whose details belong in the log. Every validator words these failures through here, so
// "connection refused" or a timeout reads the same for S3, GCS and Azure.
func DescribeTransport(check, where string, kind domain.Kind, err error, timeout time.Duration) string {
	var refusal *domain.Error
	var tooLarge *netguard.BodyLimitError
	switch {
	case kind == domain.KindEndpointNotAllowed && errors.As(err, &refusal):
		return check + ": " + refusal.Message
	case kind == domain.KindProviderError && errors.As(err, &tooLarge):
		limit := netguard.FormatSize(tooLarge.Limit)
		return fmt.Sprintf("%s: %s answered with more than %s; bucketd reads at most %s of a provider's answer (--provider-max-body)",
			check, where, limit, limit)
	case kind == domain.KindProviderError && isBrokenHTTP(err):
		return fmt.Sprintf("%s: %s answered with something bucketd does not read as HTTP: no HTTP at all, "+
			"endless informational (1xx) answers, or headers over %s, the most bucketd reads of them",
			check, where, netguard.FormatSize(netguard.MaxResponseHeaderBytes))
	case kind == domain.KindEndpointUnreachable:
		return fmt.Sprintf("%s: cannot reach %s: %s", check, where, unreachableReason(err))
	case kind == domain.KindProviderTimeout && errors.Is(err, context.Canceled):
		return fmt.Sprintf("%s: the validation was canceled before %s answered", check, where)
	case kind == domain.KindProviderTimeout:
		return fmt.Sprintf("%s: %s did not answer within %s; check the endpoint, or retry later", check, where, timeout)
	}
	return check + ": the request could not be sent"
}

// DescribeServerError writes the caller-facing message for check when the provider answered
// with a server error (status 5xx): nothing the caller sent is to blame, so it names the status
// and the provider's error code, when it sent one, and asks for a retry.
func DescribeServerError(check, where string, status int, code string) string {
	if code == "" {
		return fmt.Sprintf("%s: %s failed with %d %s; retry later", check, where, status, http.StatusText(status))
	}
	return fmt.Sprintf("%s: %s failed with %d %s (%s); retry later", check, where, status, http.StatusText(status), code)
}

// InCheck returns err with the check's name in front of its caller-facing message, so that a
// refusal decided before any request was sent (the endpoint rules', say) reads like every
// other failure of the report. An err that is not a *domain.Error is returned as it is.
func InCheck(check string, err error) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err
	}
	return &domain.Error{Kind: de.Kind, Message: check + ": " + de.Message, Cause: de.Cause}
}
