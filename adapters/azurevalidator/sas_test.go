package azurevalidator

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/azurite"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
)

// sasVersion is the service version the tests' SAS tokens are signed for: one the pinned
// Azurite knows.
const sasVersion = "2021-12-02"

func sasKey(t testing.TB) *container.SharedKeyCredential {
	t.Helper()
	cred, err := container.NewSharedKeyCredential(azurite.Account, azurite.Key)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// containerSAS signs a container SAS for container with the emulator's key.
func containerSAS(t testing.TB, container string, perms sas.ContainerPermissions, expiry time.Time) string {
	t.Helper()
	q, err := sas.BlobSignatureValues{Version: sasVersion, Protocol: sas.ProtocolHTTPSandHTTP, ExpiryTime: expiry,
		Permissions: perms.String(), ContainerName: container}.SignWithSharedKey(sasKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return q.Encode()
}

// accountSAS signs an account SAS with the emulator's key.
func accountSAS(t testing.TB, perms sas.AccountPermissions, types sas.AccountResourceTypes, expiry time.Time) string {
	t.Helper()
	q, err := sas.AccountSignatureValues{Version: sasVersion, Protocol: sas.ProtocolHTTPSandHTTP, ExpiryTime: expiry,
		Permissions: perms.String(), ResourceTypes: types.String()}.SignWithSharedKey(sasKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return q.Encode()
}

func sasTarget(endpoint, container, token string) domain.ValidationTarget {
	target := azureTarget(endpoint, container, azurite.Account, token)
	target.Credentials.Kind = domain.CredentialAzureSAS
	return target
}

var (
	readList     = sas.ContainerPermissions{Read: true, List: true}
	readWriteAll = sas.ContainerPermissions{Read: true, Write: true, Delete: true, List: true}
	soon         = time.Now().Add(time.Hour)
	containerObj = sas.AccountResourceTypes{Container: true, Object: true}
)

// Azurite verifies each SAS's signature, time window and permissions with its account key; the
// validator passes what it accepts, read-only and read-write, container and account SAS alike.
func TestSASAgainstAzurite(t *testing.T) {
	s := emulator(t)
	h := newHarness(t, 0)
	for name, c := range map[string]struct {
		token string
		mode  domain.ValidationMode
	}{
		"container SAS, read":       {containerSAS(t, fullContainer, readList, soon), domain.ValidateReadOnly},
		"container SAS, read-write": {containerSAS(t, emptyContainer, readWriteAll, soon), domain.ValidateReadWrite},
		"account SAS, read": {accountSAS(t, sas.AccountPermissions{Read: true, List: true}, containerObj, soon),
			domain.ValidateReadOnly},
		"account SAS, read-write": {accountSAS(t, sas.AccountPermissions{Read: true, Write: true, Delete: true, List: true, Create: true},
			containerObj, soon), domain.ValidateReadWrite},
		"token with its leading ?": {"?" + containerSAS(t, fullContainer, readList, soon), domain.ValidateReadOnly},
	} {
		t.Run(name, func(t *testing.T) {
			container := fullContainer
			if c.mode == domain.ValidateReadWrite {
				container = emptyContainer
			}
			target := sasTarget(s.URL, container, c.token)
			target.Mode = c.mode
			report, err := h.validate(t, target)
			if err != nil {
				t.Fatalf("validate: %v; %+v", err, report.Checks)
			}
			if c.mode == domain.ValidateReadWrite && providerchecktest.Check(t, report, checkWrite).Status != domain.CheckPass {
				t.Errorf("write check: %+v", report.Checks)
			}
			wantNoSASLeak(t, h, report, err, c.token)
		})
	}
	if got := s.Blobs(t, emptyContainer); len(got) != 0 {
		t.Errorf("a probe blob stayed behind: %v", got)
	}
}

func TestSASRefusals(t *testing.T) {
	s := emulator(t)
	h := newHarness(t, 0)
	for name, c := range map[string]struct {
		token  string
		bucket string
		mode   domain.ValidationMode
		kind   domain.Kind
		says   []string
		checks map[string]domain.CheckStatus
	}{
		"expired": {token: containerSAS(t, fullContainer, readList, time.Now().Add(-time.Hour)), kind: domain.KindInvalidCredentials,
			says: []string{"authenticate: the SAS expired at ", "make a new SAS for container " + fullContainer}},
		"without list permission": {token: containerSAS(t, fullContainer, sas.ContainerPermissions{Read: true}, soon), kind: domain.KindAccessDenied,
			says:   []string{"list: the SAS may not list container " + fullContainer, "AuthorizationPermissionMismatch", "permissions rl (read, list)"},
			checks: map[string]domain.CheckStatus{checkAuth: domain.CheckPass, checkContainer: domain.CheckSkip, checkList: domain.CheckFail}},
		"read-only SAS for a read-write bucket": {token: containerSAS(t, emptyContainer, readList, soon), bucket: emptyContainer,
			mode: domain.ValidateReadWrite, kind: domain.KindAccessDenied,
			says: []string{"write: the SAS may not write to and delete from container", "permissions rwdl (read, write, delete, list)"}},
		"signed for another container": {token: containerSAS(t, emptyContainer, readList, soon), kind: domain.KindInvalidCredentials,
			says: []string{"did not accept the SAS for account devstoreaccount1", "signed for another account or container"}},
		"account SAS for services only": {token: accountSAS(t, sas.AccountPermissions{Read: true, List: true}, sas.AccountResourceTypes{Service: true}, soon),
			kind: domain.KindAccessDenied, says: []string{"AuthorizationResourceTypeMismatch", "srt=co"}},
		"blob SAS": {token: "sv=2021-12-02&sr=b&sp=r&se=2099-01-01&sig=abcd", kind: domain.KindInvalidCredentials,
			says: []string{"authenticate: the SAS is for a single blob or directory (sr=b)"}},
		"SAS URL": {token: s.Endpoint(azurite.Account) + "/" + fullContainer + "?" + containerSAS(t, fullContainer, readList, soon),
			kind: domain.KindInvalidCredentials, says: []string{"secret is a URL"}},
		"not a SAS": {token: azurite.Key, kind: domain.KindInvalidCredentials, says: []string{"secret is not a SAS token"}},
	} {
		t.Run(name, func(t *testing.T) {
			bucket := cmpOr(c.bucket, fullContainer)
			target := sasTarget(s.URL, bucket, c.token)
			target.Mode = cmpOr(c.mode, domain.ValidateReadOnly)
			report, err := h.validate(t, target)
			providerchecktest.WantKind(t, err, c.kind, c.says...)
			if c.checks != nil {
				providerchecktest.WantChecks(t, report, c.checks)
			}
			wantNoSASLeak(t, h, report, err, c.token)
		})
	}
}

// A SAS sent to an endpoint that refuses the connection is quoted, request URL and all, in the
// SDK's error: the validator keeps that error for the log, without the SAS.
func TestSASNeverInTheLog(t *testing.T) {
	h := newHarness(t, 0)
	token := containerSAS(t, fullContainer, readList, soon)
	report, err := h.validate(t, sasTarget(providerchecktest.ClosedPortURL(t), fullContainer, token))
	providerchecktest.WantKind(t, err, domain.KindEndpointUnreachable)
	wantNoSASLeak(t, h, report, err, token)
}

// wantNoSASLeak proves that neither the token, nor its signature in any encoding, shows up in
// the report, the error or the log.
func wantNoSASLeak(t *testing.T, h harness, report domain.ValidationReport, err error, token string) {
	t.Helper()
	values, _ := url.ParseQuery(strings.TrimPrefix(token, "?"))
	secrets := []string{strings.TrimPrefix(token, "?")}
	if sig := values.Get("sig"); len(sig) > 8 {
		secrets = append(secrets, sig, url.QueryEscape(sig))
	}
	providerchecktest.WantNoLeak(t, report, err, h.log.String(), secrets...)
}

func cmpOr[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}
