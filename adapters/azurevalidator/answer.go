package azurevalidator

import (
	"errors"
	"net"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// answer is what one Blob Storage request found out, classified once.
type answer struct {
	err error // the SDK's error; nil on success
	// kind classifies err; meaningless when err is nil.
	kind domain.Kind
	// code is the service's error code (x-ms-error-code), "" when it sent none.
	code string
	// status is the HTTP status, 0 when no HTTP answer arrived.
	status int
	// odd is set when the service answered but its body could not be used: it could not be
	// read or decoded, or a listing listed no such container.
	odd *providercheck.OddAnswer
	// noAccount says the storage account does not exist: the emulator answered
	// ResourceNotFound, or Azure's DNS has no host for the account.
	noAccount bool
}

func (a answer) ok() bool { return a.err == nil }

// answered reports whether the service sent an HTTP response.
func (a answer) answered() bool { return a.err == nil || a.status != 0 }

// authenticated reports whether the answer proves the service accepted the account key: it
// came back, and what failed was a permission or the container, not the key.
func (a answer) authenticated() bool {
	return a.ok() || a.kind == domain.KindAccessDenied || a.kind == domain.KindBucketNotFound
}

// Error codes of the Blob service, as bloberror names them.
const (
	codeAuthenticationFailed = "AuthenticationFailed"
	codeAuthorizationFailure = "AuthorizationFailure"
	codeInvalidAuthInfo      = "InvalidAuthenticationInfo"
	codeResourceNotFound     = "ResourceNotFound"
	codeContainerNotFound    = "ContainerNotFound"
	codeKeyAuthNotPermitted  = "KeyBasedAuthenticationNotPermitted"
	codeSourceIPMismatch     = "AuthorizationSourceIPMismatch"
	codeAccountDisabled      = "AccountIsDisabled"
)

// credentialCodes mean the account key was not accepted. Azure answers a wrong key with
// AuthenticationFailed, Azurite with AuthorizationFailure; Azure also sends AuthorizationFailure
// when the account's firewall turns the caller away, which the message mentions.
var credentialCodes = map[string]bool{
	codeAuthenticationFailed: true,
	codeAuthorizationFailure: true,
	codeInvalidAuthInfo:      true,
}

// accessCodes mean the key was accepted but the operation is not allowed.
var accessCodes = map[string]bool{
	"AuthorizationPermissionMismatch":   true,
	"AuthorizationResourceTypeMismatch": true,
	"AuthorizationServiceMismatch":      true,
	"AuthorizationProtocolMismatch":     true,
	"InsufficientAccountPermissions":    true,
	codeSourceIPMismatch:                true,
	codeKeyAuthNotPermitted:             true,
	codeAccountDisabled:                 true,
}

// inputCodes mean the service refused the container name: it breaks the naming rules
// (InvalidResourceName), or its length is out of range (OutOfRangeInput).
var inputCodes = map[string]bool{"InvalidResourceName": true, "OutOfRangeInput": true}

// What the Blob service sends, for the messages about answers whose body is not that.
const (
	blobBody = "the XML the Blob service sends"
	blobAPI  = "an Azure Blob service"
)

// classify turns an SDK error into an answer. publicEndpoint says the request went to Azure's
// public endpoint, where a host name that does not exist means the account does not. resp is the
// response the SDK received, nil when none came (see policy.WithCaptureResponse): the SDK
// reports a body it could not read or decode in an error of no type of its own.
func classify(err error, publicEndpoint bool, resp *http.Response) answer {
	a := answer{err: err}
	if err == nil {
		return a
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) && resp != nil {
		a.status, a.kind = resp.StatusCode, providercheck.AnswerKind(err)
		a.odd = &providercheck.OddAnswer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
			Want: blobBody, API: blobAPI, Err: err}
		return a
	}
	if re == nil {
		a.kind = transportKind(err)
		var dnsErr *net.DNSError
		a.noAccount = publicEndpoint && errors.As(err, &dnsErr) && dnsErr.IsNotFound
		if a.noAccount {
			a.kind = domain.KindInvalidCredentials
		}
		return a
	}
	a.status, a.code = re.StatusCode, providercheck.Printable(re.ErrorCode)
	a.noAccount = a.code == codeResourceNotFound
	switch {
	case a.status >= http.StatusInternalServerError:
		a.kind = domain.KindProviderError
	case inputCodes[a.code]:
		a.kind = domain.KindInvalidInput
	case credentialCodes[a.code] || a.noAccount:
		a.kind = domain.KindInvalidCredentials
	case accessCodes[a.code] || a.status == http.StatusForbidden && a.code == "":
		a.kind = domain.KindAccessDenied
	case a.code == codeContainerNotFound:
		a.kind = domain.KindBucketNotFound
	default:
		a.kind = domain.KindProviderError
	}
	return a
}

// notAListing is the answer to a listing that succeeded without naming what it lists (the
// container, or the account's service endpoint), as every Blob service listing does: a server
// that is no Blob service may send anything, and the SDK decodes HTML, or an empty body, as an
// empty listing. want says what was asked for; resp is the listing's response.
func notAListing(want string, resp *http.Response) answer {
	a := answer{err: errNotAListing, kind: domain.KindProviderError, status: http.StatusOK}
	odd := providercheck.OddAnswer{Want: want, API: blobAPI}
	if resp != nil {
		a.status, odd.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
	}
	odd.Status = a.status
	a.odd = &odd
	return a
}

var errNotAListing = errors.New("the listing does not name what it lists")

// transportKind classifies a failure that produced no HTTP answer; what the shared rules do
// not know is the SDK failing before it sent anything.
func transportKind(err error) domain.Kind {
	if kind, ok := providercheck.TransportKind(err); ok {
		return kind
	}
	return domain.KindInternal
}
