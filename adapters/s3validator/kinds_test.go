package s3validator

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/adapters/s3validator/awsrole"
	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/testsupport/providerchecktest"
	"github.com/bucketd/bucketd/testsupport/stspeer"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// bucketd's own AWS identity in these tests, and the role an organization grants it.
const (
	bucketdKey    = "BUCKETDOWNIDENTITY01"
	bucketdSecret = "bucketd-own-identity-secret-for-tests"
	bucketdARN    = "arn:aws:iam::111122223333:user/bucketd"
	roleARN       = "arn:aws:iam::444455556666:role/bucketd-reader"
	orgExternalID = "bucketd-ext-Zx81nQ0aWm3_Lr5tYv7uPb2c"
	orgID         = "01890a5d-ac96-774b-bcce-b302099a8057"
)

// awsPeers is a gateway behind an STS peer whose role trusts bucketd with the organization's
// ExternalId, and a validator that assumes roles through it.
type awsPeers struct {
	gw   *versitygw.Server
	sts  *stspeer.Peer
	h    harness
	role domain.ValidationTarget
}

func startAWSPeers(t *testing.T) awsPeers {
	t.Helper()
	gw := gateway(t)
	peer := stspeer.Start(t, stspeer.Config{
		Callers: []stspeer.Caller{{AccessKey: bucketdKey, Secret: bucketdSecret, ARN: bucketdARN}},
		Roles: []stspeer.Role{{ARN: roleARN, TrustedPrincipal: bucketdARN, ExternalID: orgExternalID,
			AccessKey: versitygw.RootKey, Secret: versitygw.RootSecret}},
		Upstream: gw.Endpoint,
	})
	transport := guardedTransport(t)
	h := newHarness(t, 0, transport)
	h.v.roles = newAssumer(t, netguard.NewClient(transport), peer.STSURL)
	target := s3Target(peer.S3URL, "full-bucket", "", "")
	target.Credentials = domain.Credentials{Kind: domain.CredentialAWSRole, Key: domain.NewSecret(roleARN), ExternalID: orgExternalID}
	target.OrgID = orgID
	return awsPeers{gw: gw, sts: peer, h: h, role: target}
}

func newAssumer(t testing.TB, client *http.Client, endpoint string) *awsrole.Assumer {
	t.Helper()
	a, err := awsrole.New(awsrole.Config{
		HTTPClient: client, Endpoint: endpoint,
		Identity: credentials.NewStaticCredentialsProvider(bucketdKey, bucketdSecret, ""),
	})
	if err != nil {
		t.Fatalf("awsrole.New: %v", err)
	}
	return a
}

func (p awsPeers) session(t *testing.T, ttl time.Duration) domain.ValidationTarget {
	t.Helper()
	target := s3Target(p.sts.S3URL, "full-bucket", versitygw.RootKey, versitygw.RootSecret)
	target.Credentials.Kind = domain.CredentialAWSSession
	target.Credentials.SessionToken = domain.NewSecret(p.sts.Session(versitygw.RootKey, versitygw.RootSecret, ttl))
	return target
}

func TestSessionCredentials(t *testing.T) {
	p := startAWSPeers(t)
	t.Run("live", func(t *testing.T) {
		report, err := p.h.validate(t, p.session(t, time.Hour))
		if err != nil || !report.Passed() {
			t.Fatalf("report %+v, err %v", report, err)
		}
	})
	cases := []struct {
		name   string
		modify func(*domain.ValidationTarget)
		kind   domain.Kind
		says   []string
	}{
		{"expired", func(tg *domain.ValidationTarget) {
			tg.Credentials.SessionToken = domain.NewSecret(p.sts.Session(versitygw.RootKey, versitygw.RootSecret, -time.Minute))
		}, domain.KindInvalidCredentials, []string{"authenticate:", "temporary credentials", "expired (ExpiredToken)", "give new ones"}},
		{"not issued", func(tg *domain.ValidationTarget) {
			tg.Credentials.SessionToken = domain.NewSecret("stspeer-a-token-nobody-issued")
		}, domain.KindInvalidCredentials, []string{"authenticate:", "does not accept the session token", "InvalidToken"}},
		{"missing", func(tg *domain.ValidationTarget) { tg.Credentials.SessionToken = domain.Secret{} },
			domain.KindInvalidInput, []string{"authenticate:", "need the session token"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := p.session(t, time.Hour)
			c.modify(&target)
			report, err := p.h.validate(t, target)
			providerchecktest.WantKind(t, err, c.kind, c.says...)
			providerchecktest.WantNoLeak(t, report, err, p.h.log.String(), target.Credentials.SessionToken.Reveal())
			if got := providerchecktest.Check(t, report, checkAuth); got.Status != domain.CheckFail {
				t.Errorf("authenticate = %+v, want fail", got)
			}
		})
	}
}

func TestRoleCredentials(t *testing.T) {
	p := startAWSPeers(t)
	t.Run("trusted", func(t *testing.T) {
		for range 3 {
			report, err := p.h.validate(t, p.role)
			if err != nil || !report.Passed() {
				t.Fatalf("report %+v, err %v", report, err)
			}
		}
		if got := p.sts.AssumeRoleCalls(); got != 1 {
			t.Errorf("AssumeRole calls = %d, want 1: the credentials are cached", got)
		}
		if got := p.sts.LastSessionName(); got != "bucketd-"+orgID {
			t.Errorf("session name = %q, want bucketd and the organization", got)
		}
	})
	t.Run("readwrite", func(t *testing.T) {
		target := p.role
		target.Mode = domain.ValidateReadWrite
		if report, err := p.h.validate(t, target); err != nil || !report.Passed() {
			t.Fatalf("report %+v, err %v", report, err)
		}
	})
	cases := []struct {
		name   string
		modify func(*domain.ValidationTarget)
		kind   domain.Kind
		says   []string
	}{
		{"wrong external id", func(tg *domain.ValidationTarget) { tg.Credentials.ExternalID = "bucketd-ext-another-organizations-id" },
			domain.KindAccessDenied, []string{"authenticate:", "AccessDenied", `"sts:ExternalId": "bucketd-ext-another-organizations-id"`,
				`principal "` + bucketdARN + `"`}},
		{"role not trusted", func(tg *domain.ValidationTarget) {
			tg.Credentials.Key = domain.NewSecret("arn:aws:iam::444455556666:role/not-for-bucketd")
		}, domain.KindAccessDenied, []string{"trust policy", `"sts:ExternalId": "` + orgExternalID + `"`}},
		{"not a role ARN", func(tg *domain.ValidationTarget) { tg.Credentials.Key = domain.NewSecret("AKIAIOSFODNN7EXAMPLE") },
			domain.KindInvalidInput, []string{"authenticate:", "not an IAM role ARN"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := p.role
			c.modify(&target)
			report, err := p.h.validate(t, target)
			providerchecktest.WantKind(t, err, c.kind, c.says...)
			if got := providerchecktest.Check(t, report, checkAuth); got.Status != domain.CheckFail {
				t.Errorf("authenticate = %+v, want fail", got)
			}
		})
	}
	t.Run("STS unreachable", func(t *testing.T) {
		h := newHarness(t, 0, nil)
		h.v.roles = newAssumer(t, h.v.httpClient, providerchecktest.ClosedPortURL(t))
		_, err := h.validate(t, p.role)
		providerchecktest.WantKind(t, err, domain.KindEndpointUnreachable, "authenticate:", "cannot reach")
	})
	t.Run("no role assumption", func(t *testing.T) {
		h := newHarness(t, 0, nil)
		_, err := h.validate(t, p.role)
		providerchecktest.WantKind(t, err, domain.KindInternal)
	})
}

func TestSessionExpiryIsExplained(t *testing.T) {
	p := startAWSPeers(t)
	target := p.session(t, time.Hour)
	if _, err := p.h.validate(t, target); err != nil {
		t.Fatalf("live: %v", err)
	}
	p.sts.ExpireSessions()
	_, err := p.h.validate(t, target)
	providerchecktest.WantKind(t, err, domain.KindInvalidCredentials, "temporary credentials", "expired")
	if strings.Contains(err.Error(), target.Credentials.SessionToken.Reveal()) {
		t.Fatal("the message shows the session token")
	}
}
