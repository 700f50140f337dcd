package main_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/client"
	"github.com/bucketd/bucketd/testsupport/stspeer"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

// bucketd's own AWS identity in the end-to-end tests: the servers get it in their environment,
// as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and the STS peer knows it.
const (
	e2eIdentityKey    = "E2EBUCKETDIDENTITY01"
	e2eIdentitySecret = "e2e-bucketd-identity-secret-Kd83nQ"
	e2eIdentityARN    = "arn:aws:iam::111122223333:user/bucketd-e2e"
	e2eRoleARN        = "arn:aws:iam::444455556666:role/e2e-bucketd-reader"
)

// startSTS starts the STS peer in front of the gateway and returns it with the arguments and
// environment that point a server at it.
func startSTS(t *testing.T, gw *versitygw.Server, secrets *secretSet) (*stspeer.Peer, []string, []string) {
	t.Helper()
	peer := stspeer.Start(t, stspeer.Config{
		Callers:  []stspeer.Caller{{AccessKey: e2eIdentityKey, Secret: e2eIdentitySecret, ARN: e2eIdentityARN}},
		Upstream: gw.Endpoint,
	})
	secrets.Add("bucketd's own AWS secret", e2eIdentitySecret)
	env := []string{"AWS_ACCESS_KEY_ID=" + e2eIdentityKey, "AWS_SECRET_ACCESS_KEY=" + e2eIdentitySecret,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
	return peer, []string{"--aws-sts-endpoint", peer.STSURL}, env
}

// testAWSCredentials: an organization learns its ExternalId and bucketd's identity, grants a
// role trusting them, and a dry run assumes it through STS and reads the bucket with what it
// got; another organization naming the same role is refused with the condition its trust
// policy lacks. Temporary credentials pass while live and are refused, saying they expired,
// once they are not.
func testAWSCredentials(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	trust := awsTrust(t, c)
	if !strings.HasPrefix(trust.ExternalId, "bucketd-") || trust.PrincipalArn == nil || *trust.PrincipalArn != e2eIdentityARN {
		t.Fatalf("GET /apikeys/aws-trust = %+v, want the organization's ExternalId and %s", trust, e2eIdentityARN)
	}
	if listed := orgExternalID(t, b, o.OrgID); listed != trust.ExternalId {
		t.Errorf("admin org list shows ExternalId %q, the API %q", listed, trust.ExternalId)
	}
	b.aws.AddRole(stspeer.Role{ARN: e2eRoleARN, TrustedPrincipal: e2eIdentityARN, ExternalID: trust.ExternalId,
		AccessKey: b.gw.RootKey, Secret: b.gw.RootSecret})

	endpoint := b.aws.S3URL
	role := api.ValidateBucketRequest{Bucket: providerBucket, StorageType: api.StorageTypeS3, Key: e2eRoleARN,
		Kind: ptr(api.AWSROLE), Region: ptr[api.Region](versitygw.Region), Endpoint: &endpoint}
	if got := validate(t, c, role); !got.Success {
		t.Fatalf("a dry run with the trusted role = %+v", got)
	}

	other := b.bootstrap(t, -1)
	otherTrust := awsTrust(t, b.client(t, other))
	denied := validate(t, b.client(t, other), role)
	if denied.Success || denied.Code == nil || *denied.Code != "ACCESS_DENIED" ||
		!strings.Contains(denied.Message, `"sts:ExternalId": "`+otherTrust.ExternalId+`"`) ||
		!strings.Contains(denied.Message, e2eIdentityARN) {
		t.Errorf("another organization's dry run with the role = %+v, want ACCESS_DENIED naming its ExternalId and bucketd's identity", denied)
	}

	session := func(ttl time.Duration) api.ValidateBucketRequest {
		token := b.aws.Session(b.gw.RootKey, b.gw.RootSecret, ttl)
		b.secrets.Add("a session token", token)
		return api.ValidateBucketRequest{Bucket: providerBucket, StorageType: api.StorageTypeS3, Key: b.gw.RootKey,
			Secret: b.gw.RootSecret, SessionToken: &token, Kind: ptr(api.AWSSESSION), Region: ptr[api.Region](versitygw.Region),
			Endpoint: &endpoint}
	}
	if got := validate(t, c, session(time.Hour)); !got.Success {
		t.Errorf("a dry run with live temporary credentials = %+v", got)
	}
	expired := validate(t, c, session(-time.Minute))
	if expired.Success || expired.Code == nil || *expired.Code != "INVALID_CREDENTIALS" || !strings.Contains(expired.Message, "expired") {
		t.Errorf("a dry run with expired temporary credentials = %+v, want INVALID_CREDENTIALS saying they expired", expired)
	}
	missing := session(time.Hour)
	missing.SessionToken = nil
	res, err := c.ValidateBucketWithResponse(t.Context(), missing)
	if err != nil || res.StatusCode() != http.StatusBadRequest || !strings.Contains(string(res.Body), "sessionToken") {
		t.Errorf("AWS_SESSION without a token = %v %s, want 400 naming sessionToken", err, res.Body)
	}
}

func awsTrust(t *testing.T, c *client.ClientWithResponses) api.AwsTrustResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	res, err := c.GetAwsTrustWithResponse(ctx)
	if err != nil || res.JSON200 == nil {
		t.Fatalf("GET /apikeys/aws-trust = %v, %s", err, res.Body)
	}
	return *res.JSON200
}

// orgExternalID is the ExternalId `bucketd admin org list --json` shows for orgID.
func orgExternalID(t *testing.T, b *backend, orgID string) string {
	t.Helper()
	res := mustRunBucketd(t, "", "admin", "org", "list", "--json", "--database-url", b.dbURL)
	_, _ = b.cliLogs.Write([]byte(res.stderr))
	var orgs []struct {
		ID         string `json:"id"`
		ExternalID string `json:"externalId"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &orgs); err != nil {
		t.Fatalf("admin org list --json: %v\n%s", err, res.stdout)
	}
	for _, o := range orgs {
		if o.ID == orgID {
			return o.ExternalID
		}
	}
	t.Fatalf("admin org list --json does not list %s", orgID)
	return ""
}
